"""File names as stored text: any name a filesystem allows, kept unique and printable.

A POSIX name is any bytes but ``/`` and NUL: newlines, tabs, escape sequences and
invalid UTF-8 included. Stored sources and report lines use one reversible escaping:

- a backslash becomes ``\\\\``;
- a byte that is not UTF-8 becomes ``\\xHH``;
- a control character becomes ``\\xHH`` (C0 and DEL, one byte each) or ``\\uHHHH``
  (C1 and the Unicode line and paragraph separators);
- a character that is invisible or changes how the rest is shown becomes ``\\uHHHH``
  (``\\UHHHHHHHH`` past U+FFFF): bidi controls (U+202E turns ``txt.exe`` around on
  screen), zero-width and other default-ignorable characters (U+200B, U+FEFF, tags),
  format characters, and spaces other than U+0020 (U+00A0 passes for a space).

Every other character is kept, so ordinary paths read as they are. Two different names
never map to one source, and :func:`path_of_source` gives the bytes back.
"""

from __future__ import annotations

import os
import posixpath
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

_ESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")
#: Unicode categories never shown raw: controls, format characters (bidi controls,
#: zero-width joiners, soft hyphen, tags), surrogates (undecodable bytes in a message),
#: line and paragraph separators, and spaces (U+0020 is let through below).
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Zs"})
#: Default-ignorable code points outside those categories (Unicode's
#: DerivedCoreProperties): fillers and selectors that render as nothing.
_IGNORABLE_RANGES = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2800, 0x2800),  # braille blank: draws nothing, not a space
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)


def _needs_escape(ch: str) -> bool:
    code = ord(ch)
    if 0x20 <= code < 0x7F:
        return False
    if code < 0xA0:
        return True  # C0, DEL, C1
    if unicodedata.category(ch) in _HIDDEN_CATEGORIES:
        return True
    return any(low <= code <= high for low, high in _IGNORABLE_RANGES)


def _escape_char(ch: str) -> str:
    if ch == "\\":
        return "\\\\"
    if _needs_escape(ch):
        code = ord(ch)
        if code <= 0x7F:
            return f"\\x{code:02x}"
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
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
    """``text`` with control, bidi and invisible characters shown as escapes (for
    messages and for names stored before those were escaped; not reversible)."""
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
            pieces.append(chr(int(token[1:], 16)).encode("utf-8", "surrogatepass"))
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
            return printable(source[len(prefix) :])
    return printable(source)  # a name stored before bidi controls were escaped
