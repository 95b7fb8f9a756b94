"""Find the files to index under the paths a user names, and say why others are passed over.

Symbolic links are the way a folder from an untrusted source (a cloned repository, an
unpacked archive) reaches files outside it (``notes.txt -> ~/.ssh/id_rsa``), so a link
whose target lies outside every named root is skipped with its reason unless
``follow_links`` is set. A link inside the roots is read once: when its target is also
found under its own path, the link is skipped. Devices, FIFOs and sockets are never
opened (reading a FIFO blocks for ever).

Every path under the roots is accounted for: read, or passed over with its reason
(hidden names, globs, links, special files; a folder that cannot be listed fails with
the error). A folder passed over is one entry; what lies under it is not listed.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

OUTSIDE = "a link to {target}, outside the indexed folders (--follow-links indexes it)"
SAME_FILE = "the same file as {kept} (read once)"
LINKED_FOLDER = "a link to the folder {target}, already indexed under its own path"
HIDDEN = "hidden (the name starts with a dot): name it on the command line to index it"
EXCLUDED = "excluded by --exclude"
NOT_INCLUDED = "not matched by --include"


@dataclass(frozen=True)
class SkippedPath:
    """A path the walk passed over on purpose, with the reason for the report."""

    path: Path
    reason: str
    status: Literal["skipped", "failed"] = "skipped"  # failed: the folder could not be listed


@dataclass
class Walk:
    """What :func:`walk_files` found: files to read, and paths skipped with a reason."""

    files: list[Path] = field(default_factory=list)
    skipped: list[SkippedPath] = field(default_factory=list)


@dataclass(frozen=True)
class _Rules:
    roots: tuple[str, ...]  # real paths of the named roots
    include: Sequence[str]
    exclude: Sequence[str]
    follow_links: bool

    def inside(self, real: str) -> bool:
        return any(real == r or real.startswith(r.rstrip("/") + "/") for r in self.roots)

    def unwanted(self, rel: str) -> str:
        """Why the globs pass over ``rel`` ("" when they keep it)."""
        if self.include and not any(fnmatch.fnmatch(rel, g) for g in self.include):
            return NOT_INCLUDED
        return EXCLUDED if any(fnmatch.fnmatch(rel, g) for g in self.exclude) else ""


def walk_files(
    paths: Sequence[Path],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    follow_links: bool = False,
) -> Walk:
    """Regular files under ``paths`` in a stable order; the type check comes later.

    A file named directly is always kept. Files found by walking a directory are kept
    when they match one ``include`` glob (if any) and no ``exclude`` glob, both matched
    against the path relative to that directory. Hidden entries (``.git``) are passed
    over with their reason; broken links are kept so the report can name them.
    ``FileNotFoundError`` for a missing path.
    """
    rules = _Rules(tuple(os.path.realpath(p) for p in paths), include, exclude, follow_links)
    walk = Walk()
    found: list[Path] = []
    for root in paths:
        if not root.exists():
            raise FileNotFoundError(f"{root}: no such file or directory")
        if root.is_dir():
            found.extend(_walk_dir(root, root, rules, walk, set()))
        else:
            found.append(root)
    walk.files = _read_once(found, walk)
    return walk


def iter_files(
    paths: Sequence[Path],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    follow_links: bool = False,
) -> Iterator[Path]:
    """The files of :func:`walk_files` (callers that need no skip reasons)."""
    yield from walk_files(paths, include, exclude, follow_links).files


def _walk_dir(
    top: Path, root: Path, rules: _Rules, walk: Walk, visited: set[str]
) -> Iterator[Path]:
    """Files under ``top`` (relative globs against ``root``); ``visited``: real folders."""
    visited.add(os.path.realpath(top))

    def unlisted(error: OSError) -> None:
        path = Path(error.filename) if error.filename else top
        walk.skipped.append(SkippedPath(path, f"cannot list this folder: {error}", "failed"))

    for dirpath, dirnames, filenames in os.walk(top, onerror=unlisted, followlinks=False):
        here = Path(dirpath)
        for name in sorted(dirnames):
            if name.startswith("."):
                walk.skipped.append(SkippedPath(here / name, HIDDEN))
            elif (here / name).is_symlink():
                yield from _linked_dir(here / name, root, rules, walk, visited)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not (here / d).is_symlink()
        )
        for filename in sorted(filenames):
            path = here / filename
            reason = (HIDDEN if filename.startswith(".") else "") or rules.unwanted(
                path.relative_to(root).as_posix()
            )
            reason = reason or _file_problem(path, rules)
            if reason:
                walk.skipped.append(SkippedPath(path, reason))
            else:
                yield path


def _linked_dir(
    link: Path, root: Path, rules: _Rules, walk: Walk, visited: set[str]
) -> Iterator[Path]:
    """A symlinked folder: skipped inside the roots or outside them, unless followed."""
    target = os.path.realpath(link)
    if target in visited or rules.inside(target):
        walk.skipped.append(SkippedPath(link, LINKED_FOLDER.format(target=target)))
    elif not rules.follow_links:
        walk.skipped.append(SkippedPath(link, OUTSIDE.format(target=target)))
    else:
        yield from _walk_dir(link, root, rules, walk, visited)


def _file_problem(path: Path, rules: _Rules) -> str:
    """Why ``path`` is not read ("" when it is): special files, links leading out."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return ""  # a broken or looping link: reading it fails with the reason
    if not stat.S_ISREG(mode):
        return "not a regular file (a device, FIFO or socket is never read)"
    if path.is_symlink() and not rules.follow_links:
        target = os.path.realpath(path)
        if not rules.inside(target):
            return OUTSIDE.format(target=target)
    return ""


def _read_once(found: list[Path], walk: Walk) -> list[Path]:
    """Drop every second path to one file, keeping its own path over a link's."""
    by_target: dict[str, Path] = {}
    for path in sorted(found, key=lambda p: p.is_symlink()):  # real paths first, stable
        target = os.path.realpath(path)
        kept = by_target.setdefault(target, path)
        if kept != path:
            walk.skipped.append(SkippedPath(path, SAME_FILE.format(kept=kept)))
    keep = set(by_target.values())
    return [p for p in dict.fromkeys(found) if p in keep]
