"""Pure helpers around partitioned elements: JSON flattened to lines, long elements cut
once, chunks with their section titles. No ``unstructured`` import (that stays in
:mod:`indexer.chunking`); elements are read by their attributes only.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from indexer.types import Chunk


def json_to_text(raw: str | bytes, max_depth: int = 64) -> str:
    """Flatten any JSON document to ``path: value`` lines, blank line between records.

    (``unstructured``'s JSON partitioner reads only its own element format.) A document
    nested deeper than ``max_depth`` raises ``ValueError`` (so does one too deep for
    Python's own parser, which raises ``RecursionError``).
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

    try:
        document = json.loads(raw)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {max_depth} levels") from None
    walk(document, "", 0)
    return "\n".join(lines)


#: Elements longer than this many chunk sizes are cut first (see precut_long_elements).
PRECUT_FACTOR = 20


def precut_long_elements(elements: list[Any], limit: int) -> list[Any]:
    """Cut every element longer than ``limit`` characters into pieces of at most ``limit``
    at whitespace, in one linear pass, keeping each element's class and metadata.

    unstructured's text splitter copies the rest of an element on every split, so one
    huge paragraph (a 50 MB file of one sentence repeated) costs time quadratic in its
    length. Pre-cut, each piece is split in time linear in the file.
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


def to_chunks(pieces: list[Any], source: str, file_type: str) -> list[Chunk]:
    """Chunks of the non-empty ``pieces``, numbered, each under the last section title seen."""
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
