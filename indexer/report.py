"""What an indexing run did to every file: JSON for machines, a table for people."""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from indexer.names import printable

logger = logging.getLogger(__name__)

Status = Literal["indexed", "unchanged", "skipped", "failed"]
STATUSES: tuple[Status, ...] = ("indexed", "unchanged", "skipped", "failed")
#: The limits a file can fail under, as ``FileResult.limit`` names them.
Limit = Literal["", "timeout", "max_file_chunks", "file_budget"]
#: Why a run stopped early: the store unreachable, the store refusing a write (disk full,
#: read-only, I/O error), the engine not starting (Ray). The CLI's exit code follows it.
StopCause = Literal["", "store_unreachable", "store_write", "engine_start"]
_NUMBER = re.compile(r"\d[\d,.]*")


@dataclass(frozen=True)
class FileResult:
    """What happened to one file; ``reason`` says why for skipped and failed files."""

    path: str
    status: Status
    chunks: int = 0
    reason: str = ""
    limit: Limit = ""  # the size or time limit it failed under (a rerun skips it unchanged)

    def __post_init__(self) -> None:
        # a reason can quote a raw file name (OSError does): never print control characters
        object.__setattr__(self, "reason", printable(self.reason))

    @property
    def reason_kind(self) -> str:
        """The reason without this file's name and numbers, so that files failing the
        same way group together: ``file is N MiB, over the N MiB limit``."""
        text = self.reason
        for name in sorted({self.path, os.path.abspath(self.path)}, key=len, reverse=True):
            text = text.replace(name, "FILE")
        return _NUMBER.sub("N", text)


@dataclass
class IndexReport:
    """Per-file outcomes and totals of one indexing run."""

    collections: list[str]
    files: list[FileResult] = field(default_factory=list)
    chunks_written: int = 0
    chunks_deleted: int = 0
    pruned: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""  # why the run stopped early; empty when it finished
    stopped_by: StopCause = ""  # what stopped it early
    vectors_from_cache: int = 0  # distinct texts whose vector the embedding cache held

    def stop(self, cause: StopCause, error: str) -> None:
        """Mark the run as stopped early by ``cause``, saying why."""
        self.stopped_by, self.error = cause, error

    def count(self, status: Status) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def ok(self) -> bool:
        """True when no file failed (skipped files are not failures)."""
        return self.count("failed") == 0

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(s)} {s}" for s in STATUSES)
        stopped = f"; STOPPED: {self.error}" if self.error else ""
        cached = f" ({self.vectors_from_cache} vectors cached)" if self.vectors_from_cache else ""
        return (
            f"{len(self.files)} files: {counts}; {self.chunks_written} chunks written{cached}, "
            f"{self.chunks_deleted} deleted in {self.seconds:.1f}s{stopped}"
        )

    def table(self, max_rows: int = 50) -> str:
        """A plain-text table: counts per status, then every skipped or failed file."""
        lines = [f"{'status':<10} {'files':>6}"]
        lines += [f"{s:<10} {self.count(s):>6}" for s in STATUSES]
        problems = [f for f in self.files if f.status in ("skipped", "failed")]
        reasons = Counter(f.reason_kind for f in problems)
        if problems:
            lines.append("")
            lines.append(f"{'status':<8} {'file':<50} reason")
            for result in problems[:max_rows]:
                lines.append(f"{result.status:<8} {result.path[-50:]:<50} {result.reason[:120]}")
            if len(problems) > max_rows:
                lines.append(f"... {len(problems) - max_rows} more; most common reasons:")
                lines += [f"  {n:>5} x {reason[:100]}" for reason, n in reasons.most_common(5)]
        if self.pruned:
            lines.append(f"\npruned {len(set(self.pruned))} deleted files' chunks")
        return "\n".join(lines)

    def to_json(self) -> str:
        data = asdict(self)
        data["pruned"] = sorted(set(self.pruned))
        data["counts"] = {s: self.count(s) for s in STATUSES}
        problems = [f for f in self.files if f.status in ("skipped", "failed")]
        data["reasons"] = dict(Counter(f.reason_kind for f in problems).most_common())
        return json.dumps(data, indent=2)


def save_report(report: IndexReport, path: Path) -> Path | None:
    """Write ``report`` as JSON to ``path`` (whole or not at all: the earlier report stays
    if the write fails); on a full disk, to the temporary folder instead. Where it went,
    or None when nowhere could hold it (logged)."""
    text = report.to_json()
    for target in (path, Path(tempfile.gettempdir()) / f"distilsearch-{path.name}"):
        partial = target.with_name(target.name + ".partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(text)
            os.replace(partial, target)
            return target
        except OSError as exc:
            logger.error("cannot write the report to %s: %s", target, exc)
            partial.unlink(missing_ok=True)
    return None
