"""Partition and chunk files with ``unstructured``; the only module that imports it.

Offline, ``unstructured`` wants to download the spaCy model ``en_core_web_sm`` the
first time it classifies text. We answer that need with a blank English spaCy
pipeline plus a rule-based sentencizer: no download, and on 61 Django docs files it
partitioned 4.7x faster than ``en_core_web_sm`` with 5% more chunks
(``benchmarks/spacy_choice.py``).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from indexer.names import display_name, source_name
from indexer.rst_text import looks_like_rst, prepare_rst
from indexer.sniff import EXTENSIONS, MIME_TYPES, RST_MIME
from indexer.types import Chunk

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")

logger = logging.getLogger(__name__)


#: pandoc's options for reST: sandboxed (a page's ``include`` cannot read other files;
#: pandoc then fails and the page is read as plain text), no syntax highlighting (the
#: costly part), no warnings.
PANDOC_ARGS = ("--sandbox", "--syntax-highlighting=none", "--quiet")
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
    #: Read reStructuredText as reST (roles and directives reduced to their text, pandoc).
    #: Off by default: on the Django FAQ set the teacher lost 0.50 nDCG@10 with it (63.78
    #: against 64.28 on the raw text; docs/results/rst_cleaning.md), so the measured rule
    #: (keep it only if retrieval does not get worse) leaves it as an option.
    read_rst: bool = False

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
    import pypandoc  # noqa: F401  (reST)
    import unstructured.partition.auto
    import unstructured.partition.html  # noqa: F401  (reST is read through HTML)

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
    mime = mime or _mime_by_name_and_text(path)
    if mime == RST_MIME and not config.read_rst:
        mime = "text/plain"
    try:
        elements = _partition(path, mime, source)
        pieces = split_elements(elements, config)
    except Exception as exc:
        raise ChunkingError(f"{display_name(path)}: {type(exc).__name__}: {exc}") from exc
    return _to_chunks(pieces, source, file_type or file_type_of(path))


def _mime_by_name_and_text(path: Path) -> str:
    """The MIME type by extension; a ``.txt`` file whose start reads as reST gets reST's."""
    mime = MIME_TYPES.get(file_type_of(path), "")
    if mime == "text/plain" and path.is_file():
        with path.open("rb") as handle:
            if looks_like_rst(handle.read(8192).decode("utf-8", errors="replace")):
                return RST_MIME
    return mime


def _partition(path: Path, mime: str, name: str) -> list[Any]:
    """Partition from an open file, so names that are not UTF-8 never reach the parsers."""
    from unstructured.partition.auto import partition

    _install_offline_nlp()
    if mime == "application/json":
        from unstructured.partition.text import partition_text

        return partition_text(text=json_to_text(path.read_bytes()), languages=["eng"])
    if mime == RST_MIME:
        return partition_rst_text(path.read_bytes().decode("utf-8", errors="replace"), name)
    kwargs: dict[str, Any] = {"strategy": "fast", "languages": ["eng"]}
    if mime:
        kwargs["content_type"] = mime
    with path.open("rb") as handle:
        return partition(file=handle, metadata_filename=name, **kwargs)


def partition_rst_text(text: str, name: str = "") -> list[Any]:
    """Elements of reStructuredText ``text``: Sphinx roles and directives reduced to their
    text (:func:`indexer.rst_text.prepare_rst`), then read as reST (pandoc -> HTML ->
    elements), so headings are titles, code blocks stay whole and no markup is left.

    Pandoc runs without syntax highlighting (6x faster on a 10 KB Django page, 0.04 s
    against 0.43 s). If pandoc is missing or fails, the prepared text is read as plain
    text (logged).
    """
    import pypandoc
    from unstructured.partition.html import partition_html
    from unstructured.partition.text import partition_text

    _install_offline_nlp()
    prepared = prepare_rst(text)
    try:
        html = pypandoc.convert_text(prepared, "html", format="rst", extra_args=list(PANDOC_ARGS))
    except (OSError, RuntimeError) as exc:
        logger.warning("%s: pandoc failed (%s); reading reST as plain text", name or "text", exc)
        return partition_text(text=prepared, languages=["eng"])
    return partition_html(text=html, metadata_filename=name or None, languages=["eng"])


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
    elements = precut_long_elements(elements, PRECUT_FACTOR * config.max_characters)
    if config.strategy == "by_title":
        return chunk_by_title(
            elements, combine_text_under_n_chars=config.combine_text_under_n_chars, **common
        )
    return chunk_elements(elements, **common)


#: Elements longer than this many chunk sizes are cut first (see precut_long_elements).
PRECUT_FACTOR = 20


def precut_long_elements(elements: list[Any], limit: int) -> list[Any]:
    """Cut every element longer than ``limit`` characters into pieces of at most ``limit``
    at whitespace, in one linear pass, keeping each element's class and metadata.

    unstructured's text splitter copies the rest of an element on every split, so one
    huge paragraph (a 50 MB file of one sentence repeated) costs time quadratic in its
    length: 1 MB took 1.3 s and 5 MB 4.3 s, 10 MB 4.5x the time of 5 MB. Pre-cut, each
    piece is split in time linear in the file.
    """
    out: list[Any] = []
    for element in elements:
        text = getattr(element, "text", "") or ""
        if len(text) <= limit:
            out.append(element)
            continue
        start = 0
        while start < len(text):
            end = min(len(text), start + limit)
            if end < len(text):
                space = text.rfind(" ", start + limit // 2, end)
                end = space + 1 if space > start else end
            piece = copy.copy(element)
            piece.text = text[start:end]
            piece.metadata = copy.deepcopy(element.metadata)
            out.append(piece)
            start = end
    return out


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
