"""Partition and chunk files with ``unstructured``; the only module that imports it.

Offline, ``unstructured`` wants to download the spaCy model ``en_core_web_sm`` the
first time it classifies text. We answer that need with a blank English spaCy
pipeline plus a rule-based sentencizer: no download, and on 61 Django docs files it
partitioned 4.7x faster than ``en_core_web_sm`` with 5% more chunks
(``benchmarks/spacy_choice.py``).
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from indexer.names import display_name, source_name
from indexer.sniff import EXTENSIONS, MIME_TYPES
from indexer.types import Chunk

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")

logger = logging.getLogger(__name__)


#: Default overlap in percent of the chunk size.
DEFAULT_OVERLAP_PCT = 15


class ChunkingError(RuntimeError):
    """A file could not be partitioned or chunked; the message names the file."""


@dataclass(frozen=True)
class ChunkingConfig:
    """How documents are cut into chunks (sizes in characters).

    Defaults measured on SciFact (1,500 abstracts, packaged teacher; nDCG@10 of the best
    chunk per document, ``benchmarks/chunking_choice.py``): by_title 1000 with a 150
    character overlap 78.60, without overlap 76.87, 500 characters 78.15 (1.5x the
    chunks), 2000 characters 76.85, basic 1000 76.87. ``overlap=None`` means 15% of
    ``max_characters`` (150 at 1000, the measured point; other sizes scale with it).
    """

    strategy: Literal["by_title", "basic"] = "by_title"
    max_characters: int = 1000
    new_after_n_chars: int = 800
    combine_text_under_n_chars: int = 300
    overlap: int | None = None

    def __post_init__(self) -> None:
        if self.strategy not in ("by_title", "basic"):
            raise ValueError(f"strategy must be 'by_title' or 'basic', got {self.strategy!r}")
        if self.max_characters < 50:
            raise ValueError(f"max_characters must be >= 50, got {self.max_characters}")
        if not 0 < self.new_after_n_chars <= self.max_characters:
            raise ValueError("new_after_n_chars must be in (0, max_characters]")
        if not 0 <= self.combine_text_under_n_chars <= self.max_characters:
            raise ValueError("combine_text_under_n_chars must be in [0, max_characters]")
        if self.overlap is None:
            object.__setattr__(self, "overlap", self.max_characters * DEFAULT_OVERLAP_PCT // 100)
        if not 0 <= self.overlap < self.max_characters // 2:
            raise ValueError("overlap must be in [0, max_characters / 2)")


@cache
def _install_offline_nlp() -> None:
    """Point ``unstructured``'s spaCy hook at a blank pipeline with a sentencizer."""
    import spacy
    from unstructured.nlp import tokenize

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    tokenize._get_nlp.cache_clear()
    tokenize._get_nlp = lambda: nlp


def warm_up() -> None:
    """Import the partitioners and set up the offline NLP hook ahead of the first file."""
    import unstructured.partition.auto  # noqa: F401

    _install_offline_nlp()


def file_type_of(path: Path) -> str:
    """A short label for ``path``'s type, from its extension (``txt``, ``html``, ...)."""
    return EXTENSIONS.get(path.suffix.lower()) or (path.suffix.lower().lstrip(".") or "unknown")


def chunk_file(
    path: Path,
    config: ChunkingConfig | None = None,
    source: str = "",
    mime: str = "",
    file_type: str = "",
) -> list[Chunk]:
    """Partition ``path`` and cut it into chunks carrying source/section/page metadata.

    ``source`` is the name stored with each chunk (default: the resolved path);
    ``mime`` and ``file_type`` come from :mod:`indexer.sniff` when known, else from the
    extension. Raises :class:`ChunkingError` naming the file on any failure.
    """
    config = config or ChunkingConfig()
    source = source or source_name(path.resolve())
    mime = mime or MIME_TYPES.get(file_type_of(path), "")
    try:
        elements = _partition(path, mime, source)
        pieces = split_elements(elements, config)
    except Exception as exc:
        raise ChunkingError(f"{display_name(path)}: {type(exc).__name__}: {exc}") from exc
    return _to_chunks(pieces, source, file_type or file_type_of(path))


def _partition(path: Path, mime: str, name: str) -> list[Any]:
    """Partition from an open file, so names that are not UTF-8 never reach the parsers."""
    from unstructured.partition.auto import partition

    _install_offline_nlp()
    if mime == "application/json":
        from unstructured.partition.text import partition_text

        return partition_text(text=json_to_text(path.read_bytes()), languages=["eng"])
    kwargs: dict[str, Any] = {"strategy": "fast", "languages": ["eng"]}
    if mime:
        kwargs["content_type"] = mime
    with path.open("rb") as handle:
        return partition(file=handle, metadata_filename=name, **kwargs)


def json_to_text(raw: bytes, max_depth: int = 64) -> str:
    """Flatten any JSON document to ``path: value`` lines, blank line between records.

    (``unstructured``'s JSON partitioner reads only its own element format.)
    """
    lines: list[str] = []

    def walk(node: Any, prefix: str, depth: int) -> None:
        if depth > max_depth:
            raise ValueError(f"JSON nested deeper than {max_depth} levels")
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else str(key), depth + 1)
        elif isinstance(node, list):
            for item in node:
                walk(item, prefix, depth + 1)
                if depth == 0:
                    lines.append("")
        elif node is not None and str(node).strip():
            lines.append(f"{prefix}: {node}" if prefix else str(node))

    walk(json.loads(raw), "", 0)
    return "\n".join(lines)


def split_elements(elements: list[Any], config: ChunkingConfig) -> list[Any]:
    """Chunk partitioned ``unstructured`` elements as ``config`` says."""
    from unstructured.chunking.basic import chunk_elements
    from unstructured.chunking.title import chunk_by_title

    common = {
        "max_characters": config.max_characters,
        "new_after_n_chars": config.new_after_n_chars,
        "overlap": config.overlap,
        "include_orig_elements": True,
    }
    if config.strategy == "by_title":
        return chunk_by_title(
            elements, combine_text_under_n_chars=config.combine_text_under_n_chars, **common
        )
    return chunk_elements(elements, **common)


def _to_chunks(pieces: list[Any], source: str, file_type: str) -> list[Chunk]:
    chunks: list[Chunk] = []
    section = ""
    for piece in pieces:
        text = (piece.text or "").strip()
        if not text:
            continue
        section = _section_of(piece) or section
        page = getattr(piece.metadata, "page_number", None)
        chunks.append(
            Chunk(
                text=text,
                source=source,
                file_type=file_type,
                section=section,
                page=int(page) if page is not None else -1,
                chunk_index=len(chunks),
            )
        )
    return chunks


_RULE_LINE = re.compile(r"^[=\-~^\"'`#*+_:.]{3,}$")


def _section_of(piece: Any) -> str:
    """The first title among the chunk's original elements, without rule lines or markup."""
    for element in getattr(piece.metadata, "orig_elements", None) or []:
        if element.category != "Title":
            continue
        lines = [ln.strip() for ln in element.text.splitlines()]
        title = " ".join(ln for ln in lines if ln and not _RULE_LINE.match(ln))
        if title and not title.startswith(".."):
            return title[:300]
    return ""
