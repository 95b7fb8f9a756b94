"""Checks on uploaded files before they are written: name, type by name, size.

Names are cut to a safe basename (no directories, no dot files, no odd characters).
The type is then checked by content with :func:`indexer.sniff.detect`, the same check
the indexer applies to every file (see :mod:`search_app.library`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
MAX_STEM_CHARS = 100


class UploadRejected(ValueError):
    """An upload failed a check; the message says which, in words a user understands."""


def safe_filename(name: str) -> str:
    """The basename of ``name`` with only ``[A-Za-z0-9_-]`` in the stem, suffix lower-cased.

    ``../../etc/passwd.txt`` -> ``passwd.txt``; ``C:\\x\\my notes.MD`` -> ``my_notes.md``;
    a name without a usable stem becomes ``upload<suffix>``.
    """
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("_", stem).strip("_-")[:MAX_STEM_CHARS] or "upload"
    suffix = _UNSAFE.sub("", suffix).lower()
    return f"{stem}.{suffix}" if suffix else stem


def check_upload(name: str, data: bytes, max_bytes: int, suffixes: Collection[str]) -> str:
    """The safe name to store ``data`` under; :class:`UploadRejected` when it fails a check."""
    safe = safe_filename(name)
    suffix = "." + safe.rsplit(".", 1)[-1] if "." in safe else ""
    if suffix not in suffixes:
        allowed = ", ".join(sorted(suffixes))
        raise UploadRejected(f"{safe}: file type {suffix or '(none)'} is not indexed ({allowed})")
    if len(data) > max_bytes:
        raise UploadRejected(
            f"{safe}: {len(data) / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB limit"
        )
    if not data.strip():
        raise UploadRejected(f"{safe}: the file is empty")
    return safe
