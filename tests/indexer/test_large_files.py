"""A large file runs under a budget, shows progress inside it and fails alone when over it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from indexer.chunking import ChunkingConfig
from indexer.names import display_name
from indexer.pipeline import IndexOptions, index_files
from indexer.stores.memory import InMemoryStore
from indexer.workers import Task
from tests.support.doc_factory import slow_text
from tests.support.fakes import KeywordEncoder

SENTENCE = "The river bends twice below the old mill before it reaches the sea. "
SMALL = ChunkingConfig("basic", 120, 100, 0, overlap=0)
C = "docs_keyword"


class Slow(KeywordEncoder):
    """A keyword encoder that takes ``seconds`` per call and records what it encodes."""

    def __init__(self, seconds: float = 0.0) -> None:
        super().__init__(["river", "mill", "sea", "line"])
        self.seconds = seconds
        self.seen: list[str] = []

    def encode_documents(self, texts):
        time.sleep(self.seconds)
        self.seen.extend(texts)
        return super().encode_documents(texts)


def _repeated(path: Path, mb: float) -> Path:
    path.write_text(SENTENCE * int(mb * 2**20 / len(SENTENCE)))
    return path


def _distinct(path: Path, lines: int) -> Path:
    path.write_text(
        "\n\n".join(f"Line {i} of a long river log, entry {i * 7919}." for i in range(lines))
    )
    return path


def test_one_sentence_repeated_for_megabytes_is_encoded_a_few_times(tmp_path):
    big = _repeated(tmp_path / "big.txt", 3)
    encoder, store = Slow(), InMemoryStore()
    progress: list[tuple[str, int, int]] = []
    options = IndexOptions(workers=0, batch_chunks=256)
    report = index_files(
        [big], [encoder], store, "docs", options, on_encode=lambda *p: progress.append(p)
    )
    chunks = report.files[0].chunks
    assert report.ok and report.files[0].status == "indexed" and chunks > 3000
    assert store.count(C) == chunks
    assert len(encoder.seen) < 50  # a handful of distinct chunk texts, not thousands
    assert progress[-1] == (display_name(big), chunks, chunks)


def test_progress_inside_a_large_file_counts_its_chunks(tmp_path):
    big = _distinct(tmp_path / "log.txt", 400)
    progress: list[tuple[str, int, int]] = []
    options = IndexOptions(chunking=SMALL, workers=0, batch_chunks=50)
    report = index_files(
        [big], [Slow()], InMemoryStore(), "docs", options, on_encode=lambda *p: progress.append(p)
    )
    total = report.files[0].chunks
    assert total >= 150
    assert [p[0] for p in progress] == [display_name(big)] * len(progress)
    done = [p[1] for p in progress]
    assert done == sorted(done) and done[0] == 0 and done[-1] == total and len(done) > 4
    assert {p[2] for p in progress} == {total}


def test_a_file_cut_into_too_many_chunks_fails_alone_and_keeps_its_chunks(tmp_path):
    log, other = _distinct(tmp_path / "log.txt", 5), _distinct(tmp_path / "other.txt", 3)
    store = InMemoryStore()
    options = IndexOptions(chunking=SMALL, workers=0, max_file_chunks=50)
    index_files([log], [Slow()], store, "docs", options)
    before = store.ids(C)
    _distinct(log, 200)
    report = index_files([log, other], [Slow()], store, "docs", options)
    failed, indexed = report.files
    assert failed.status == "failed" and "over the limit of 50 per file" in failed.reason
    assert "--max-file-chunks" in failed.reason and indexed.status == "indexed"
    assert before <= store.ids(C)  # the failed file's earlier chunks are all still there


def test_a_file_over_its_budget_fails_alone_and_the_rerun_goes_on_from_the_cache(tmp_path):
    log, other = _distinct(tmp_path / "log.txt", 4), _distinct(tmp_path / "other.txt", 3)
    store, cache = InMemoryStore(), tmp_path / "cache.sqlite"
    options = IndexOptions(
        chunking=SMALL, workers=0, batch_chunks=20, file_budget_s=0.4, embedding_cache=cache
    )
    index_files([log], [Slow()], store, "docs", options)
    before = store.ids(C)
    _distinct(log, 300)
    slow = Slow(seconds=0.15)
    report = index_files([log, other], [slow], store, "docs", options)
    failed, indexed = report.files
    assert failed.status == "failed" and "over the per-file budget of 0.4s" in failed.reason
    assert "cached" in failed.reason and indexed.status == "indexed"
    assert store.ids(C, {"source": str(log.resolve())}) == before  # nothing of it written
    first = set(slow.seen)
    again = Slow()
    roomy = IndexOptions(chunking=SMALL, workers=0, batch_chunks=20, embedding_cache=cache)
    report = index_files([log], [again], store, "docs", roomy)
    assert report.ok and report.files[0].status == "indexed"
    assert again.seen and not first & set(again.seen)


@pytest.mark.parametrize(
    "bad", [{"file_budget_s": 0}, {"max_file_chunks": 0}, {"embedding_cache_mb": 0}]
)
def test_budget_options_validate(bad):
    with pytest.raises(ValueError):
        IndexOptions(**bad)


def test_when_no_worker_can_start_again_the_other_files_fail_alone(tmp_path, monkeypatch):
    from indexer import workers
    from indexer.sniff import Limits, detect

    huge = slow_text(tmp_path / "huge.txt")
    small = _distinct(tmp_path / "small.txt", 2)
    tasks = [Task(p, str(p), detect(p, Limits()).mime, "txt") for p in (huge, small)]
    with workers.PartitionPool(1, 2.0, SMALL) as pool:
        monkeypatch.setattr(workers, "STARTUP_TIMEOUT_S", 0.001)  # the replacement never starts
        outcomes = list(pool.imap(tasks))
    assert [o.task.path for o in outcomes] == [huge, small]
    assert outcomes[0].error.startswith("partitioning timed out after 2s (3.")
    assert "--timeout gives it more" in outcomes[0].error
    assert outcomes[1].error.startswith("not partitioned: a partitioning worker did not start")


class Calls(Slow):
    """Records each ``encode_documents`` call's size."""

    def __init__(self, seconds: float = 0.0) -> None:
        super().__init__(seconds)
        self.calls: list[int] = []

    def encode_documents(self, texts):
        self.calls.append(len(texts))
        return super().encode_documents(texts)


def test_an_idle_encoder_gets_the_first_file_without_waiting_for_a_full_batch(tmp_path):
    files = [_distinct(tmp_path / f"f{i}.txt", 6) for i in range(4)]
    encoder, store = Calls(seconds=0.2), InMemoryStore()
    options = IndexOptions(workers=0, batch_chunks=1000, chunking=SMALL)
    report = index_files(files, [encoder], store, "docs", options)
    assert report.count("indexed") == 4
    # a full batch would be all 4 files in one call; the idle writer takes the first alone
    assert len(encoder.calls) >= 2 and encoder.calls[0] < sum(encoder.calls)
    assert sum(encoder.calls) == len(store.ids(C, {}))


def test_partition_workers_start_before_they_are_needed_and_match_in_process(tmp_path):
    from indexer.sniff import Limits, detect
    from indexer.workers import Partitioner

    paths = [_distinct(tmp_path / f"f{i}.txt", 5) for i in range(3)]
    tasks = [Task(p, str(p), detect(p, Limits()).mime, "txt") for p in paths]
    pooled = Partitioner(1, 60.0, SMALL)
    try:
        pool = pooled._pool
        assert pool is not None and not pool._ready  # started, not waited for
        assert all(w.process.is_alive() for w in pool._workers)
        from_workers = {o.task.path: [c.id for c in o.chunks] for o in pooled.partition(tasks)}
    finally:
        pooled.close()
    in_process = Partitioner(0, 60.0, SMALL)
    assert in_process._pool is None
    assert from_workers == {
        o.task.path: [c.id for c in o.chunks] for o in in_process.partition(tasks)
    }
    assert all(from_workers.values())


def test_a_script_without_a_main_guard_is_told_why_its_worker_died(tmp_path):
    import os
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "from indexer.chunking import ChunkingConfig\n"
        "from indexer.workers import Partitioner\n"
        "Partitioner(1, 60.0, ChunkingConfig(), wait=True).close()\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert done.returncode != 0
    assert "died while starting" in done.stderr
    assert 'if __name__ == "__main__":' in done.stderr
