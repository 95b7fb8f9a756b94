"""Faults injected into real `distilsearch index` runs (in this process, Milvus Lite, a tiny
model): run the CLI, read its report and the ids it left, and record each case.

With ``DISTILSEARCH_RELIABILITY_LOG`` set to a file, every case appends one JSON line
(what was done, what the tool did: exit code, reason, convergence); that file is what
``benchmarks/reliability_report.py`` turns into docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from indexer.stores.milvus import MilvusStore
from shell.cli import main
from tests.support.crash_kit import write_corpus

RECORD_ENV = "DISTILSEARCH_RELIABILITY_LOG"


@dataclass(frozen=True)
class Run:
    """One CLI run: exit code, what it printed, and the JSON report it wrote."""

    code: int
    out: str
    err: str
    report: dict[str, Any]

    def status(self, name: str) -> tuple[str, str]:
        """``(status, reason)`` of the file whose reported path ends with ``/name``."""
        entry = next(f for f in self.report["files"] if f["path"].endswith("/" + name))
        return entry["status"], entry["reason"]


def corpus(root: Path, files: int = 12) -> Path:
    """``files`` small Markdown files (several chunks each at 80 characters)."""
    return write_corpus(root, files)


def index_args(docs: Path, model: Path, *extra: str) -> list[str]:
    """``distilsearch index`` over ``docs`` in small chunks and batches (many writes)."""
    small = ["--max-chars", "80", "--batch-chunks", "8", "--workers", "0"]
    return ["index", str(docs), "--encoder", str(model), *small, *extra]


def run_index(
    args: list[str],
    data: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    uri: str = "",
) -> Run:
    """Run the CLI with ``data`` as the data folder (and ``uri`` as Milvus, if given)."""
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(data))
    monkeypatch.delenv("DISTILSEARCH_EMBEDDING_CACHE_MB", raising=False)
    if uri:
        monkeypatch.setenv("MILVUS_URI", uri)
    else:
        monkeypatch.delenv("MILVUS_URI", raising=False)
    code = main(args)
    printed = capsys.readouterr()
    where = re.search(r"^report: (\S+)$", printed.out, re.M)
    report = json.loads(Path(where.group(1)).read_text()) if where else {}
    return Run(code, printed.out, printed.err, report)


def ids(uri: str) -> frozenset[str]:
    """Every chunk id of the one ``docs_*`` collection at ``uri``, checked for duplicates."""
    store = MilvusStore(uri)
    try:
        (name,) = [n for n in store.list_collections() if n.startswith("docs_")]
        found = store.ids(name)
        assert store.count(name) == len(found), "a chunk stored twice"
        return frozenset(found)
    finally:
        store.close()


def record(case: str, injected: str, **facts: Any) -> None:
    """Append one case to the reliability log (when ``DISTILSEARCH_RELIABILITY_LOG`` is set)."""
    log = os.environ.get(RECORD_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"case": case, "injected": injected, **facts}) + "\n")
