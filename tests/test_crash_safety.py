"""kill -9 in the middle of `distilsearch index`, then rerun: the same chunks as a clean run."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.stores.milvus import MilvusStore
from tests.fakes import save_tiny_sentence_transformer

pytestmark = pytest.mark.slow
TRIALS = 3


def _corpus(root: Path) -> Path:
    root.mkdir(parents=True)
    for i in range(40):
        body = "\n\n".join(f"Paragraph {j} of file {i} about topic {i % 7}." for j in range(6))
        (root / f"doc{i:02d}.md").write_text(f"# File {i}\n\n{body}\n")
    return root


def _command(docs: Path, model: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "indexer.cli",
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


def _chunk_set(data: Path) -> tuple[set[str], int]:
    store = MilvusStore(str(data / "milvus.db"))
    name = next(n for n in store.list_collections() if n.startswith("docs_"))
    ids, count = store.ids(name), store.count(name)
    store.close()
    return ids, count


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash")
    docs = _corpus(root / "docs")
    model = save_tiny_sentence_transformer(root / "model")
    started = time.monotonic()
    subprocess.run(
        _command(docs, model),
        env=_env(root / "clean"),
        check=True,
        capture_output=True,
        timeout=600,
    )
    return docs, model, time.monotonic() - started, _chunk_set(root / "clean")


@pytest.mark.parametrize("trial", range(TRIALS))
def test_sigkill_then_rerun_equals_a_clean_run(setup, tmp_path, trial):
    docs, model, clean_seconds, (clean_ids, clean_count) = setup
    assert clean_count == len(clean_ids) > 40
    delay = random.Random(trial).uniform(0.3, 0.9) * clean_seconds
    process = subprocess.Popen(
        _command(docs, model),
        env=_env(tmp_path),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    assert process.poll() is None, "the run ended before the kill; lower the delay"
    os.killpg(process.pid, signal.SIGKILL)  # the CLI and its partitioning workers
    process.wait(timeout=30)
    rerun = subprocess.run(
        _command(docs, model), env=_env(tmp_path), capture_output=True, text=True, timeout=600
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    ids, count = _chunk_set(tmp_path)
    assert ids == clean_ids
    assert count == len(ids)  # no duplicates
