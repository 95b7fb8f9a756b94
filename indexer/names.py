"""File names as stored text: any name a filesystem allows, kept unique and printable.

A POSIX name is any bytes but ``/`` and NUL: newlines, tabs, escape sequences and
invalid UTF-8 included. Stored sources and report lines use one reversible escaping:

- a backslash becomes ``\\\\``;
- a byte that is not UTF-8 becomes ``\\xHH``;
- a control character becomes ``\\xHH`` (C0 and DEL, one byte each) or ``\\uHHHH``
  (C1 and the Unicode line and paragraph separators).

Every other character is kept, so ordinary paths read as they are. Two different names
never map to one source, and :func:`path_of_source` gives the bytes back.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

_SEPARATORS = {"\u2028", "\u2029"}
_ESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4})")


def _needs_escape(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F or ch in _SEPARATORS


def _escape_char(ch: str) -> str:
    if ch == "\\":
        return "\\\\"
    if _needs_escape(ch):
        code = ord(ch)
        return f"\\x{code:02x}" if code <= 0x7F else f"\\u{code:04x}"
    return ch


def escape_name(raw: bytes) -> str:
    """The printable, reversible text form of the name bytes ``raw``."""
    out: list[str] = []
    position = 0
    while position < len(raw):
        try:
            text = raw[position:].decode("utf-8")
            out.extend(_escape_char(ch) for ch in text)
            break
        except UnicodeDecodeError as exc:
            good = raw[position : position + exc.start].decode("utf-8")
            out.extend(_escape_char(ch) for ch in good)
            bad = raw[position + exc.start : position + exc.end]
            out.extend(f"\\x{byte:02x}" for byte in bad)
            position += exc.end
    return "".join(out)


def printable(text: str) -> str:
    """``text`` with control characters shown as escapes (for messages, not reversible)."""
    if not any(_needs_escape(ch) for ch in text):
        return text
    return "".join(_escape_char(ch) if _needs_escape(ch) else ch for ch in text)


def display_name(path: Path | str) -> str:
    """``path`` as given, escaped for reports and terminals."""
    return escape_name(os.fsencode(path))


def source_name(path: Path | str) -> str:
    """The stored name of a file: its absolute path (``..`` folded, links kept), escaped."""
    return escape_name(os.fsencode(os.path.abspath(path)))


def path_of_source(source: str) -> Path:
    """The file a stored ``source`` names (the inverse of :func:`source_name`)."""
    pieces: list[bytes] = []
    last = 0
    for match in _ESCAPE.finditer(source):
        pieces.append(source[last : match.start()].encode("utf-8"))
        token = match.group(1)
        if token == "\\":
            pieces.append(b"\\")
        elif token.startswith("x"):
            pieces.append(bytes([int(token[1:], 16)]))
        else:
            pieces.append(chr(int(token[1:], 16)).encode("utf-8"))
        last = match.end()
    pieces.append(source[last:].encode("utf-8"))
    return Path(os.fsdecode(b"".join(pieces)))


# -- showing stored sources -------------------------------------------------------------


def source_root(sources: Iterable[str]) -> str:
    """The folder stored sources are shown relative to: the deepest folder that holds
    every one of them (the folder indexed, when one was; the folder above the indexed
    ones, when several were). ``""`` when there is none (no sources, relative names, or
    only ``/`` in common)."""
    folders = {posixpath.dirname(source) for source in sources}
    if not folders:
        return ""
    try:
        root = posixpath.commonpath(list(folders))
    except ValueError:  # absolute and relative names mixed
        return ""
    return "" if root in ("", "/") or not root.startswith("/") else root


def shown_source(source: str, roots: Sequence[str]) -> str:
    """``source`` as every page and the CLI show it: relative to the deepest of ``roots``
    that holds it (see :func:`source_root`), or whole when none does."""
    if isinstance(roots, str):  # one root given bare
        roots = (roots,)
    for root in sorted(roots, key=len, reverse=True):
        prefix = root.rstrip("/") + "/"
        if root and source.startswith(prefix) and len(source) > len(prefix):
            return source[len(prefix) :]
    return source
