"""Files that failed under a size or time limit, remembered so a rerun does not read them again.

A file stopped by ``--timeout``, ``--max-file-chunks`` or ``--file-budget`` costs the
same again on every rerun, and a large one holds up the whole rerun. The ledger, a small
JSON file in the data folder, keeps for each such file its size and modification time,
the run's setup (store, collections, chunking) and the limit it hit. A rerun reports it
failed again at once, with its reason, when none of these changed and the limit is no
larger; otherwise, or with ``retry_failed`` (``--retry-failed``), the file is read
again. A file read (indexed, unchanged, or failing another way) is forgotten. The
ledger is a cache: unreadable, it is empty; unwritable, it is not saved.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.names import display_name, source_name
from indexer.report import FileResult, IndexReport

logger = logging.getLogger(__name__)

AGAIN = "unchanged since it failed on {when}, so not read again (--retry-failed reads it)"
#: ``index --retry-failed``'s help.
RETRY_HELP = (
    "read again the files that failed under --timeout, --max-file-chunks or --file-budget "
    "and have not changed since (a rerun otherwise reports them failed again at once, "
    "unless that limit was raised)"
)


@dataclass(frozen=True)
class RunLimits:
    """A run's setup (a digest) and the value of each limit (``inf``: none)."""

    setup: str
    values: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(
        cls, setup: Any, timeout_s: float | None, chunks: int, budget_s: float | None
    ) -> RunLimits:
        """Limits from their settings (``None``: no limit); ``setup`` is digested as JSON."""
        text = json.dumps(setup, sort_keys=True, default=str)
        values = {
            "timeout": math.inf if timeout_s is None else timeout_s,
            "max_file_chunks": chunks,
            "file_budget": math.inf if budget_s is None else budget_s,
        }
        return cls(hashlib.sha256(text.encode()).hexdigest()[:16], values)


class FailureLedger:
    """The remembered limit failures of one data folder (a JSON file at ``path``)."""

    def __init__(self, path: Path, limits: RunLimits, retry_failed: bool = False) -> None:
        self._path, self._limits, self._retry = path, limits, retry_failed
        self._entries: dict[str, dict[str, Any]] = _load(path)
        self._stats: dict[str, tuple[str, os.stat_result]] = {}  # display name -> (source, stat)
        self._again: set[str] = set()

    def split(self, files: Sequence[Path], record: Callable[[FileResult], None]) -> list[Path]:
        """The files of ``files`` to read; each one skipped is recorded as failed again."""
        to_read = []
        for path in dict.fromkeys(files):
            try:
                info = path.stat()
            except OSError:
                to_read.append(path)  # reading it reports why
                continue
            name, source = display_name(path), source_name(path)
            self._stats[name] = (source, info)
            entry = self._entries.get(source)
            if entry is None or self._retry or not self._still_fails(entry, info):
                to_read.append(path)
                continue
            self._again.add(name)
            reason = f"{entry['reason']} ({AGAIN.format(when=entry['when'])})"
            record(FileResult(name, "failed", reason=reason, limit=entry["limit"]))
        return to_read

    def _still_fails(self, entry: dict[str, Any], info: os.stat_result) -> bool:
        same_file = entry["size"] == info.st_size and entry["mtime_ns"] == info.st_mtime_ns
        limit = self._limits.values.get(entry["limit"], math.inf)
        return same_file and entry["setup"] == self._limits.setup and limit <= entry["value"]

    def update(self, report: IndexReport) -> None:
        """Remember this run's limit failures, forget the files it read, save."""
        for result in report.files:
            if result.path in self._again or result.path not in self._stats:
                continue
            source, info = self._stats[result.path]
            if result.limit and result.status == "failed":
                self._entries[source] = _entry(result, info, self._limits)
            else:
                self._entries.pop(source, None)
        self._save()

    def _save(self) -> None:
        partial = self._path.with_name(self._path.name + ".partial")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps(self._entries, indent=1, sort_keys=True))
            os.replace(partial, self._path)
        except OSError as exc:  # a full disk: the next run reads these files again
            logger.warning("cannot save the failed-files ledger %s: %s", self._path, exc)
            partial.unlink(missing_ok=True)


def _entry(result: FileResult, info: os.stat_result, limits: RunLimits) -> dict[str, Any]:
    return {
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
        "setup": limits.setup,
        "limit": result.limit,
        "value": limits.values.get(result.limit, math.inf),
        "reason": result.reason,
        "when": time.strftime("%Y-%m-%d %H:%M"),
    }


def _load(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
