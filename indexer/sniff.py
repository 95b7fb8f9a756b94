"""Decide what a file is from its bytes and its name, before any parser sees it.

Checks that keep hostile files away from the parsers: size limits, declared
decompressed sizes of zip containers (docx/pptx/epub bombs), encrypted PDFs, binary
content under a text extension, and content that contradicts the extension.

reStructuredText is told by name (``.rst``) and by content: a ``.txt`` file (Sphinx
projects such as Django's docs use that extension) whose first 8 KB carry reST markup
(:func:`indexer.rst_text.looks_like_rst`) keeps the label ``txt`` but gets the reST MIME
type, so it is partitioned as reST.
"""

from __future__ import annotations

import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from indexer.rst_text import looks_like_rst

RST_MIME = "text/x-rst"
#: label -> MIME type handed to the partitioner.
MIME_TYPES: dict[str, str] = {
    "txt": "text/plain",
    "rst": RST_MIME,
    "md": "text/markdown",
    "html": "text/html",
    "xml": "application/xml",
    "json": "application/json",
    "csv": "text/csv",
    "eml": "message/rfc822",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "epub": "application/epub+zip",
}
EXTENSIONS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".log": "txt",
    ".rst": "rst",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".xml": "xml",
    ".json": "json",
    ".csv": "csv",
    ".eml": "eml",
    ".pdf": "pdf",
    ".docx": "docx",
    ".pptx": "pptx",
    ".epub": "epub",
}
TEXT_LABELS = frozenset({"txt", "rst", "md", "html", "xml", "json", "csv", "eml"})
ZIP_LABELS = {"docx": "word/document.xml", "pptx": "ppt/presentation.xml", "epub": "mimetype"}
SNIFF_BYTES = 8192
#: Leading bytes of common binary formats we do not read (images, archives, executables).
BINARY_SIGNATURES = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",
    b"BZh",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x7fELF",
    b"\xd0\xcf\x11\xe0",
    b"OggS",
    b"ID3",
    b"RIFF",
    b"\x00\x00\x01\x00",
)
_EMAIL_HEADER = re.compile(rb"^(From|Received|Return-Path|Message-ID|MIME-Version|Subject): ", re.M)


class Unsupported(Exception):
    """The file is not something distilsearch indexes (a skip, not a failure)."""


class Rejected(Exception):
    """The file claims a supported type but is unsafe or broken (a failure)."""


@dataclass(frozen=True)
class Limits:
    """Bounds applied before parsing (bytes)."""

    max_file_bytes: int = 100 * 1024 * 1024
    max_unzipped_bytes: int = 512 * 1024 * 1024
    max_zip_ratio: float = 200.0

    def __post_init__(self) -> None:
        if self.max_file_bytes < 1 or self.max_unzipped_bytes < 1 or self.max_zip_ratio < 1:
            raise ValueError("limits must be positive")


@dataclass(frozen=True)
class FileKind:
    """A file's detected type: short label and MIME type."""

    label: str
    mime: str


def detect(path: Path, limits: Limits | None = None) -> FileKind:
    """The kind of ``path``; raises :class:`Unsupported` or :class:`Rejected` with a reason."""
    limits = limits or Limits()
    size, head = _read_head(path)
    if size == 0:
        raise Unsupported("empty file")
    if size > limits.max_file_bytes:
        raise Rejected(
            f"file is {size / 2**20:.1f} MiB, "
            f"over the {limits.max_file_bytes / 2**20:.0f} MiB limit"
        )
    by_name = EXTENSIONS.get(path.suffix.lower())
    by_content = _sniff(path, head, by_name)
    if by_name and by_content != by_name and not _compatible(by_name, by_content):
        raise Rejected(f"content looks like {by_content}, not {by_name}")
    label = by_name if by_name and _compatible(by_name, by_content) else by_content
    if label == "pdf":
        _check_pdf(path)
    if label in ZIP_LABELS:
        _check_zip(path, size, limits)
    if label == "txt" and looks_like_rst(head.decode("utf-8", errors="replace")):
        return FileKind(label, RST_MIME)
    return FileKind(label, MIME_TYPES[label])


def _read_head(path: Path) -> tuple[int, bytes]:
    """``(size, first bytes)`` of a regular file, never blocking on a FIFO or device.

    The file is opened non-blocking and checked with ``fstat`` on that open handle, so
    a path swapped for a FIFO after the walk fails here instead of hanging the run.
    """
    fd = _open_regular(path)
    try:
        size = os.fstat(fd).st_size
        return size, os.read(fd, SNIFF_BYTES) if size else b""
    finally:
        os.close(fd)


def read_regular(path: Path, max_bytes: int | None = None) -> bytes:
    """Every byte of a regular file (opened as :func:`detect` opens it); over ``max_bytes``
    (a file that grew after it was sniffed) raises :class:`Rejected` without reading on."""
    fd = _open_regular(path)
    with os.fdopen(fd, "rb") as handle:
        raw = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    if max_bytes is not None and len(raw) > max_bytes:
        raise Rejected(f"grew past the {max_bytes / 2**20:.0f} MiB limit while it was read")
    return raw


def _open_regular(path: Path) -> int:
    """A descriptor on ``path``, opened non-blocking; :class:`Rejected` unless regular."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise Rejected("not a regular file (a device, FIFO or socket is never read)")
    return fd


def _compatible(by_name: str, by_content: str) -> bool:
    """Text formats are told apart by name: plain text under .md/.csv/.json is fine."""
    return by_name == by_content or (by_name in TEXT_LABELS and by_content in TEXT_LABELS)


def _sniff(path: Path, head: bytes, by_name: str | None) -> str:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return by_name if by_name in TEXT_LABELS else "txt"
    if head.startswith(BINARY_SIGNATURES) or b"\x00" in head or _binary_share(head) > 0.1:
        raise (Rejected if by_name else Unsupported)("binary content, not a document type we read")
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "html"
    if stripped.startswith(b"<?xml"):
        return "html" if b"<html" in stripped[:2000] else "xml"
    if stripped[:1] in (b"{", b"[") and by_name in (None, "json") and _is_json(path):
        return "json"
    if _EMAIL_HEADER.match(head):
        return "eml"
    return by_name if by_name in TEXT_LABELS else "txt"


def _binary_share(head: bytes) -> float:
    """Fraction of bytes that are control characters other than whitespace."""
    if not head:
        return 0.0
    bad = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return bad / len(head)


def _is_json(path: Path) -> bool:
    try:
        json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError):
        return False
    except RecursionError:  # [[[[...]]]] 100,000 deep: JSON, but no parser here reads it
        raise Rejected("JSON nested too deeply to read") from None
    return True


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == b"application/epub+zip":
                return "epub"
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise Rejected(f"broken zip container: {exc}") from exc
    for label, marker in ZIP_LABELS.items():
        if marker in names and label != "epub":
            return label
    raise Unsupported("zip archive that is not a docx, pptx or epub")


def _check_zip(path: Path, size: int, limits: Limits) -> None:
    """Refuse archives whose declared decompressed size or ratio is out of bounds."""
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise Rejected(f"broken zip container: {exc}") from exc
    if declared > limits.max_unzipped_bytes:
        raise Rejected(
            f"declares {declared / 2**20:.0f} MiB decompressed, over the "
            f"{limits.max_unzipped_bytes / 2**20:.0f} MiB limit (possible zip bomb)"
        )
    if declared > 10 * 2**20 and declared / max(size, 1) > limits.max_zip_ratio:
        raise Rejected(f"compression ratio {declared / size:.0f}:1 is suspicious (zip bomb)")


def _check_pdf(path: Path) -> None:
    """Refuse encrypted or unreadable PDFs with a clear reason."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise Rejected("PDF is encrypted")
        if len(reader.pages) == 0:
            raise Unsupported("PDF has no pages")
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise Rejected(f"PDF cannot be read: {exc}") from exc
