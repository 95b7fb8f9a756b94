"""Kill `distilsearch index` with SIGKILL mid-run and compare the rerun with a clean run.

Shared by tests/test_crash_safety.py and benchmarks/reliability_report.py.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from indexer.stores.milvus import MilvusStore


@dataclass(frozen=True)
class ChunkSet:
    """The ids in a run's collection and the row count (equal when nothing is duplicated)."""

    ids: frozenset[str]
    rows: int


def write_corpus(root: Path, files: int = 40) -> Path:
    root.mkdir(parents=True)
    for i in range(files):
        body = "\n\n".join(f"Paragraph {j} of file {i} about topic {i % 7}." for j in range(6))
        (root / f"doc{i:02d}.md").write_text(f"# File {i}\n\n{body}\n")
    return root


def index_command(docs: Path, model: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "shell.cli",
        "index",
        str(docs),
        "--encoder",
        str(model),
        "--max-chars",
        "80",
        "--batch-chunks",
        "8",
    ]


def _env(data: Path) -> dict[str, str]:
    return dict(os.environ, DISTILSEARCH_DATA_DIR=str(data), DISTILSEARCH_THREADS="1")


def chunk_set(data: Path) -> ChunkSet:
    store = MilvusStore(str(data / "milvus.db"))
    name = next(n for n in store.list_collections() if n.startswith("docs_"))
    result = ChunkSet(frozenset(store.ids(name)), store.count(name))
    store.close()
    return result


def clean_run(docs: Path, model: Path, data: Path) -> tuple[float, ChunkSet]:
    """Index once without interruption; (wall seconds, chunk set)."""
    started = time.monotonic()
    subprocess.run(
        index_command(docs, model), env=_env(data), check=True, capture_output=True, timeout=600
    )
    return time.monotonic() - started, chunk_set(data)


def kill_then_rerun(
    docs: Path, model: Path, data: Path, kill_at_file: int
) -> tuple[bool, ChunkSet]:
    """SIGKILL the run (and its workers) once its progress bar passes ``kill_at_file``
    files, then rerun to the end. Killing on progress, not on elapsed time, lands
    mid-run however fast or slow the machine is.

    Returns whether the first run was still running when killed, and the final chunk set.
    """
    process = subprocess.Popen(
        index_command(docs, model),
        env=_env(data),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    seen = b""
    while process.poll() is None:
        seen = (seen + os.read(process.stderr.fileno(), 4096))[-4096:]
        done = [int(n) for n in re.findall(rb"(\d+)/\d+ \[", seen)]
        if done and max(done) >= kill_at_file:
            break
    was_running = process.poll() is None
    if was_running:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:  # it ended between the poll and the kill
            was_running = False
    process.wait(timeout=30)
    process.stderr.close()
    rerun = subprocess.run(
        index_command(docs, model), env=_env(data), capture_output=True, text=True, timeout=600
    )
    if rerun.returncode != 0:
        raise RuntimeError(f"rerun failed: {rerun.stderr[-2000:]}")
    return was_running, chunk_set(data)
