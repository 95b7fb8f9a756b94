"""Checks on uploaded files before they are written: name, type by name, size.

Names are cut to a safe basename (no directories, no dot files, no odd characters).
The type is then checked by content with :func:`indexer.sniff.detect`, the same check
the indexer applies to every file (see :mod:`usecases.library`).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from encoders import Encoder
from indexer.pipeline import IndexOptions
from indexer.report import FileResult
from indexer.sniff import Limits, Rejected, Unsupported, detect
from usecases.indexing import IndexRequest, QuietEvents, index_paths
from usecases.progress import IndexProgress, file_bytes
from usecases.results import UploadOutcome
from usecases.workspace import IndexContext


@dataclass(frozen=True)
class UploadProgress:
    """Where an upload run stands: files through, the last one's name, and the run's and
    the current batch's remaining time (:class:`usecases.progress.IndexProgress`)."""

    done: int
    total: int
    name: str
    summary: str
    batch: str = ""

    @property
    def fraction(self) -> float:
        return self.done / max(self.total, 1)


ProgressFn = Callable[[UploadProgress], None]

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


def index_accepted(
    ctx: IndexContext,
    files: dict[str, bytes],
    encoders: list[Encoder],
    workers: int,
    on_progress: ProgressFn | None,
) -> list[UploadOutcome]:
    """Write each accepted upload under ``<data dir>/uploads``, check its type by content,
    index what passes through the indexing use case, then delete the files; one outcome
    per file."""
    upload_dir = ctx.settings.data_dir / "uploads"
    upload_dir.mkdir(parents=True, exist_ok=True)
    limits = Limits(max_file_bytes=ctx.settings.max_upload_mb * 2**20)
    names = tuple(e.name for e in encoders)
    outcomes: dict[str, UploadOutcome] = {}
    paths: list[Path] = []
    try:
        for safe, data in files.items():
            path = upload_dir / safe
            _write_new(path, data)
            paths.append(path)
            try:
                detect(path, limits)
            except (Unsupported, Rejected) as exc:
                outcomes[safe] = UploadOutcome(safe, "rejected", reason=f"{safe}: {exc}")
        todo = [p for p in paths if p.name not in outcomes]
        if todo:
            events = _UploadEvents(outcomes, names, len(todo), on_progress)
            options = IndexOptions(
                limits=limits,
                workers=workers,
                embedding_cache=ctx.settings.embedding_cache,
                embedding_cache_mb=max(1.0, ctx.settings.embedding_cache_mb),
            )
            request = IndexRequest(
                tuple(todo),
                names,
                options,
                report_path=ctx.settings.data_dir / "reports" / "last-upload.json",
            )
            settings = ctx.settings.with_overrides(collection=ctx.base_collection)
            index_paths(settings, request, events, store=ctx.store, encoders=encoders)
    finally:
        for path in paths:
            path.unlink(missing_ok=True)
    return [outcomes.get(n) or UploadOutcome(n, "failed", reason="not indexed") for n in files]


class _UploadEvents(QuietEvents):
    """Each indexed upload's outcome, and progress (:class:`UploadProgress`) after each
    file and while a batch is encoded."""

    def __init__(
        self,
        outcomes: dict[str, UploadOutcome],
        encoders: tuple[str, ...],
        total: int,
        on_progress: ProgressFn | None,
    ) -> None:
        self.outcomes, self.encoders = outcomes, encoders
        self.on_progress, self.progress, self.last = on_progress, IndexProgress(total), ""

    def started(self, files: int, engine: str, total_bytes: int = 0) -> None:
        self.progress = IndexProgress(files, total_bytes)

    def file_done(self, result: FileResult, chunks_written: int) -> None:
        name = self.last = Path(result.path).name
        self.progress.file_done(chunks_written, file_bytes([result.path]))
        self.outcomes[name] = UploadOutcome(
            name, result.status, result.chunks, result.reason, self.encoders
        )
        self._tell()

    def encoding(self, label: str, done: int, total: int) -> None:
        self.progress.encoding(label, done, total)
        self._tell()

    def _tell(self) -> None:
        if self.on_progress is not None:
            p = self.progress
            summary, batch = p.summary(), p.batch_summary()
            self.on_progress(UploadProgress(p.files_done, p.files, self.last, summary, batch))


def _write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` without following a symlink planted there."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
