"""Bytes of a text file to text: a byte-order mark, UTF-8, a declared charset, or a guess.

Order: a byte-order mark names the codec; bytes that are valid UTF-8 are UTF-8; bytes
that are mostly UTF-8 (valid multi-byte sequences covering at least as many bytes as the
stray non-ASCII bytes that break it) are UTF-8 with each undecodable byte shown as
U+FFFD; an HTML or XML file's declared charset is used when the bytes decode under it;
anything else is guessed by charset_normalizer. Its guesses often tie on short Western
text (``crème`` reads as well in cp1250 as in cp1252), so among the candidates as
plausible as its best one the Western defaults of the web (cp1252, then Latin-1) win; a
better-scoring candidate (Cyrillic text in cp1251) still wins. Every decode replaces
what it cannot read with U+FFFD: a byte never becomes a letter of another script.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

#: Byte-order marks, UTF-32 before UTF-16 (their little-endian marks share a prefix).
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Preferred among equally plausible guesses, first first.
PREFERRED = ("cp1252", "latin_1", "iso8859_15")
#: How much worse than the best guess a preferred one may score and still win.
TIE = 0.02
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z0-9_.:-]{2,40})""", re.I)
_NON_ASCII = re.compile(rb"[\x80-\xff]")


@dataclass(frozen=True)
class Decoded:
    """A file's text and the codec it was read with (``utf-8``, ``cp1252``, ...)."""

    text: str
    encoding: str


def decode_text(raw: bytes, markup: bool = False) -> Decoded:
    """``raw`` as text; ``markup``: an HTML or XML file, whose declared charset counts."""
    for bom, codec in BOMS:
        if raw.startswith(bom):
            return Decoded(raw.decode(codec, errors="replace"), codec)
    try:
        return Decoded(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(raw):
        return Decoded(raw.decode("utf-8", errors="replace"), "utf-8")
    codec = (_declared(raw) if markup else None) or _guess(raw)
    return Decoded(raw.decode(codec, errors="replace"), codec)


def _mostly_utf8(raw: bytes) -> bool:
    """Valid multi-byte UTF-8 sequences cover at least as many bytes as the non-ASCII bytes
    outside them (legacy text rarely forms one: an accented letter then two symbols)."""
    covered = sum(len(s) for s in _UTF8_SEQUENCE.findall(raw))
    return covered > 0 and covered >= len(_NON_ASCII.findall(raw)) - covered


def _declared(raw: bytes) -> str | None:
    """The charset an HTML ``<meta>`` or XML declaration names, if the bytes decode under it."""
    match = _DECLARED.search(raw[:4096])
    if match is None:
        return None
    try:
        codec = codecs.lookup(match.group(1).decode("ascii")).name
        raw.decode(codec)
    except (LookupError, UnicodeDecodeError):
        return None
    return codec


def _guess(raw: bytes) -> str:
    """charset_normalizer's guess, a Western default winning its ties; cp1252 if none."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(raw))
    if not matches:
        return "cp1252"
    best = matches[0]
    for preferred in PREFERRED:
        for match in matches:
            close = match.chaos <= best.chaos + TIE and match.coherence >= best.coherence - TIE
            if close and preferred in match.could_be_from_charset:
                return preferred
    return best.encoding
