"""Partition and chunk files with ``unstructured``; the only module that imports it.

Offline, ``unstructured`` wants to download the spaCy model ``en_core_web_sm`` the
first time it classifies text. We answer that need with a blank English spaCy
pipeline plus a rule-based sentencizer: no download, and faster than
``en_core_web_sm`` (the spaCy choice topic of ``docs/results/README.md``).

Text files are decoded here (:func:`indexer.text_decode.decode_text`: UTF-8, a declared
charset, else charset_normalizer with Western defaults winning ties; undecodable bytes
become U+FFFD), not by ``unstructured``'s guess. HTML is parsed with libxml2's huge option:
without it a text node or attribute over 10 MB (an inline ``data:`` image) or nesting
over 256 levels silently ended the page there. What the parser holds is bounded by the
file size limit (``Limits.max_file_bytes``, enforced again while the file is read); a
parser limit still hit fails the file with the reason instead of keeping a cut text.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from indexer.chunk_pieces import PRECUT_FACTOR, json_to_text, precut_long_elements, to_chunks
from indexer.names import display_name, source_name
from indexer.rst_text import looks_like_rst, prepare_rst
from indexer.sniff import EXTENSIONS, MIME_TYPES, RST_MIME, read_regular
from indexer.text_decode import decode_text
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
#: Types decoded here and handed on as UTF-8 (e-mail keeps its own per-part charsets).
DECODED = frozenset({"text/plain", "text/markdown", "text/html", "application/xml", "text/csv"})
MARKUP = frozenset({"text/html", "application/xml"})


class ChunkingError(RuntimeError):
    """A file could not be partitioned or chunked; the message names the file."""


@dataclass(frozen=True)
class ChunkingConfig:
    """How documents are cut into chunks (sizes in characters).

    Defaults chosen on SciFact (the chunking topic of ``docs/results/README.md``):
    by_title, 1000 characters, with an overlap. ``overlap=None`` means 15% of
    ``max_characters`` (150 at 1000, the measured point; other sizes scale with it).
    """

    strategy: Literal["by_title", "basic"] = "by_title"
    max_characters: int = 1000
    new_after_n_chars: int = 800
    combine_text_under_n_chars: int = 300
    overlap: int | None = None
    #: Read reStructuredText as reST (roles and directives reduced to their text, pandoc).
    #: Off by default: it did not keep retrieval level on the Django FAQ set (the rST
    #: cleaning topic of docs/results/README.md), so it stays an option.
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
    _install_huge_html_parser()


@cache
def _install_huge_html_parser() -> None:
    """Give ``unstructured`` an HTML parser with libxml2's huge option (its own parser,
    element classes and all, otherwise unchanged)."""
    from lxml import etree
    from unstructured.partition.html import parser
    from unstructured.partition.html import partition as html_partition

    huge = etree.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True)
    huge.set_element_class_lookup(parser.element_class_lookup)
    parser.html_parser = html_partition.html_parser = huge


def _check_html_limits() -> None:
    """Raise when the last HTML parse stopped at a libxml2 limit (the text after it lost)."""
    from unstructured.partition.html import partition as html_partition

    for error in html_partition.html_parser.error_log:
        if error.type_name == "ERR_RESOURCE_LIMIT":
            raise ValueError(f"the HTML parser stopped at its limit ({error.message.strip()})")


def file_type_of(path: Path) -> str:
    """A short label for ``path``'s type, from its extension (``txt``, ``html``, ...)."""
    return EXTENSIONS.get(path.suffix.lower()) or (path.suffix.lower().lstrip(".") or "unknown")


def chunk_file(
    path: Path,
    config: ChunkingConfig | None = None,
    source: str = "",
    mime: str = "",
    file_type: str = "",
    max_bytes: int | None = None,
) -> list[Chunk]:
    """Partition ``path`` and cut it into chunks carrying source/section/page metadata.

    ``source`` is the name stored with each chunk (default: the resolved path);
    ``mime`` and ``file_type`` come from :mod:`indexer.sniff` when known, else from the
    extension; ``max_bytes`` bounds what is read (a file growing past the size limit
    after it was sniffed). Raises :class:`ChunkingError` naming the file on any failure.
    """
    config = config or ChunkingConfig()
    source = source or source_name(path.resolve())
    mime = mime or _mime_by_name_and_text(path)
    if mime == RST_MIME and not config.read_rst:
        mime = "text/plain"
    try:
        elements = _partition(read_regular(path, max_bytes), mime, source)
        pieces = split_elements(elements, config)
        return to_chunks(pieces, source, file_type or file_type_of(path))
    except RecursionError:
        reason = "nested too deeply for the parser (RecursionError)"
        raise ChunkingError(f"{display_name(path)}: {reason}") from None
    except Exception as exc:  # RecursionError and MemoryError included: the file fails alone
        raise ChunkingError(f"{display_name(path)}: {type(exc).__name__}: {exc}") from exc


def _mime_by_name_and_text(path: Path) -> str:
    """The MIME type by extension; a ``.txt`` file whose start reads as reST gets reST's."""
    mime = MIME_TYPES.get(file_type_of(path), "")
    if mime == "text/plain" and path.is_file():
        with path.open("rb") as handle:
            if looks_like_rst(handle.read(8192).decode("utf-8", errors="replace")):
                return RST_MIME
    return mime


def _partition(raw: bytes, mime: str, name: str) -> list[Any]:
    """Partition a file's bytes (``name`` only labels them: names that are not UTF-8 never
    reach the parsers); text types decoded here."""
    from unstructured.partition.auto import partition

    _install_offline_nlp()
    _install_huge_html_parser()
    if mime == "application/json":
        from unstructured.partition.text import partition_text

        return partition_text(text=json_to_text(decode_text(raw).text), languages=["eng"])
    if mime == RST_MIME:
        return partition_rst_text(decode_text(raw).text, name)
    kwargs: dict[str, Any] = {"strategy": "fast", "languages": ["eng"]}
    if mime:
        kwargs["content_type"] = mime
    if mime in DECODED:
        raw = decode_text(raw, markup=mime in MARKUP).text.encode("utf-8")
        kwargs["encoding"] = "utf-8"
    elements = partition(file=io.BytesIO(raw), metadata_filename=name, **kwargs)
    if mime == "text/html":
        _check_html_limits()
    return elements


def partition_rst_text(text: str, name: str = "") -> list[Any]:
    """Elements of reStructuredText ``text``: Sphinx roles and directives reduced to their
    text (:func:`indexer.rst_text.prepare_rst`), then read as reST (pandoc -> HTML ->
    elements), so headings are titles, code blocks stay whole and no markup is left.

    Pandoc runs without syntax highlighting (much faster on Django's pages). If pandoc is
    missing or fails, the prepared text is read as plain
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
    elements = partition_html(text=html, metadata_filename=name or None, languages=["eng"])
    _check_html_limits()
    return elements


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
