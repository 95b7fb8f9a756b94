"""Pure helpers around partitioned elements: JSON flattened to lines, long elements cut
once, chunks with their section titles. No ``unstructured`` import (that stays in
:mod:`indexer.chunking`); elements are read by their attributes only.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from indexer.readable import RULE_LINE, heading_label
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
    """Chunks of the non-empty ``pieces``, numbered, each under the last heading seen
    (:func:`section_titles`)."""
    chunks: list[Chunk] = []
    headings = section_titles(pieces)
    section = ""
    for piece in pieces:
        text = (piece.text or "").strip()
        if not text:
            continue
        section = _section_of(piece, headings) or section
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


#: A reST title with its over- and underline, joined by the plain-text partitioner into
#: one element (``===== Title =====``).
_FRAMED_TITLE = re.compile(r"^([=\-~^#*+])\1{2,}\s+(?P<title>\S.*?)\s+\1{3,}$", re.S)


def section_titles(pieces: list[Any]) -> dict[int, str]:
    """The headings among every piece's elements, by ``id`` of the element: its label.

    A page whose titles are underlined (reST read as plain text: the partitioner makes
    any short line a ``Title``, and leaves each real heading's underline as the next
    element) has only those as headings, and a title framed by its over- and underline;
    on any other page (Markdown, HTML, plain text) a ``Title`` is a heading when
    :func:`indexer.readable.heading_label` accepts it (not code, an option, a sentence
    or a lead-in).
    """
    elements = [e for p in pieces for e in (getattr(p.metadata, "orig_elements", None) or [])]
    underlined: dict[int, str] = {}
    for i, element in enumerate(elements):
        text = (element.text or "").strip()
        framed = _FRAMED_TITLE.match(text)
        after = (elements[i + 1].text or "") if i + 1 < len(elements) else ""
        if framed:
            underlined[id(element)] = heading_label(framed.group("title"))
        elif element.category == "Title" and (RULE_LINE.match(after) or _ruled(text)):
            underlined[id(element)] = heading_label(text)
    if underlined:
        return {key: label for key, label in underlined.items() if label}
    titles = (e for e in elements if e.category == "Title")
    return {id(e): label for e in titles if (label := heading_label(e.text or ""))}


def _ruled(text: str) -> bool:
    """Whether a title element carries its own underline (partitioner joined the lines)."""
    return any(RULE_LINE.match(line) for line in text.splitlines()[1:])


def _section_of(piece: Any, headings: dict[int, str]) -> str:
    """The label of the first heading among the chunk's original elements, or ``""``."""
    for element in getattr(piece.metadata, "orig_elements", None) or []:
        label = headings.get(id(element))
        if label:
            return label[:300]
    return ""
