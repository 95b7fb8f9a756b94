"""What an indexing run did to every file: JSON for machines, a table for people."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Literal

from indexer.names import printable

Status = Literal["indexed", "unchanged", "skipped", "failed"]
STATUSES: tuple[Status, ...] = ("indexed", "unchanged", "skipped", "failed")


@dataclass(frozen=True)
class FileResult:
    """What happened to one file; ``reason`` says why for skipped and failed files."""

    path: str
    status: Status
    chunks: int = 0
    reason: str = ""

    def __post_init__(self) -> None:
        # a reason can quote a raw file name (OSError does): never print control characters
        object.__setattr__(self, "reason", printable(self.reason))


@dataclass
class IndexReport:
    """Per-file outcomes and totals of one indexing run."""

    collections: list[str]
    files: list[FileResult] = field(default_factory=list)
    chunks_written: int = 0
    chunks_deleted: int = 0
    pruned: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""  # why the run stopped early (store unreachable); empty when it finished
    vectors_from_cache: int = 0  # distinct texts whose vector the embedding cache held

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
        reasons = Counter(f.reason for f in problems)
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
        return json.dumps(data, indent=2)
