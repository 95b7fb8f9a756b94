"""Read a folder the way the indexer does, for callers that want chunks, not an index."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.chunking import ChunkingError, chunk_file
from indexer.sniff import Rejected, Unsupported, detect
from indexer.types import Chunk
from indexer.walk import iter_files

logger = logging.getLogger(__name__)


@dataclass
class ReadSummary:
    """How many files :func:`read_documents` used, skipped as unsupported, or failed."""

    used: int = 0
    unsupported: int = 0
    failed: int = 0


def read_documents(root: Path, summary: ReadSummary | None = None) -> Iterator[Chunk]:
    """Chunks of every supported file under ``root``, checked as the indexer checks them.

    Type by content, size and zip-bomb limits come from :mod:`indexer.sniff`; unsupported
    types are skipped quietly (counted in ``summary``), rejected and unreadable files with
    a warning. Nothing is written anywhere.
    """
    summary = summary if summary is not None else ReadSummary()
    for file in iter_files([root]):
        try:
            kind = detect(file)
            chunks = chunk_file(file, mime=kind.mime, file_type=kind.label)
        except Unsupported as exc:
            logger.debug("skipping %s: %s", file, exc)
            summary.unsupported += 1
            continue
        except (Rejected, ChunkingError, OSError) as exc:
            logger.warning("skipping %s: %s", file, exc)
            summary.failed += 1
            continue
        except Exception as exc:  # whatever a hostile file does to sniffing, it fails alone
            logger.warning("skipping %s: %s: %s", file, type(exc).__name__, exc)
            summary.failed += 1
            continue
        summary.used += 1
        yield from chunks
