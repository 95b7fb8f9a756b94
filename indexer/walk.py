"""Find the files to index under the paths a user names."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from pathlib import Path


def iter_files(
    paths: Sequence[Path], include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> Iterator[Path]:
    """Regular files under ``paths`` in a stable order; the type check comes later.

    A file named directly is always yielded. Files found by walking a directory are
    kept when they match one ``include`` glob (if any) and no ``exclude`` glob, both
    matched against the path relative to that directory. Hidden files and folders
    (``.git``, ``.venv``) are passed over, and symlinked folders are not followed, so
    symlink loops cannot trap the walk; broken or looping file links are yielded so the
    report can name them. ``FileNotFoundError`` for a missing path.
    """
    for root in paths:
        if not root.exists():
            raise FileNotFoundError(f"{root}: no such file or directory")
        if root.is_file():
            yield root
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for filename in sorted(filenames):
                path = Path(dirpath) / filename
                rel = path.relative_to(root).as_posix()
                if filename.startswith(".") or not (path.is_file() or path.is_symlink()):
                    continue  # devices, FIFOs and sockets are never read
                if include and not any(fnmatch.fnmatch(rel, g) for g in include):
                    continue
                if any(fnmatch.fnmatch(rel, g) for g in exclude):
                    continue
                yield path
