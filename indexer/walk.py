"""Find the files to index under the paths a user names."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from indexer.chunking import TEXT_TYPES

SUPPORTED_SUFFIXES = frozenset(TEXT_TYPES)


def iter_files(
    paths: Sequence[Path],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    suffixes: frozenset[str] = SUPPORTED_SUFFIXES,
) -> Iterator[Path]:
    """Files under ``paths`` in a stable order.

    A file named directly is always yielded; files found by walking a directory are
    kept when their suffix is supported, they match one ``include`` glob (if any) and
    no ``exclude`` glob. Symlinked directories are not followed (no loops). Raises
    ``FileNotFoundError`` for a named path that does not exist.
    """
    for root in paths:
        if not root.exists():
            raise FileNotFoundError(f"{root}: no such file or directory")
        if root.is_file():
            yield root
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for filename in sorted(filenames):
                path = Path(dirpath) / filename
                rel = path.relative_to(root).as_posix()
                if path.suffix.lower() not in suffixes or not path.is_file():
                    continue
                if include and not any(fnmatch.fnmatch(rel, g) for g in include):
                    continue
                if any(fnmatch.fnmatch(rel, g) for g in exclude):
                    continue
                yield path
