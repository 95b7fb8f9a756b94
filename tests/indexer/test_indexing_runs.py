"""Indexing runs with real worker processes, two encoders, pruning and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.chunking import ChunkingConfig
from indexer.names import source_name
from indexer.pipeline import IndexOptions, index_files
from indexer.stores.memory import InMemoryStore
from indexer.walk import iter_files
from tests.support.doc_factory import slow_text
from tests.support.fakes import KeywordEncoder

VOCAB = ["river", "mountain", "forest", "desert"]
SMALL = ChunkingConfig(max_characters=200, new_after_n_chars=150, combine_text_under_n_chars=0)


def _corpus(root: Path, n: int = 6) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    topics = ["river", "mountain", "forest", "desert"]
    for i in range(n):
        topic = topics[i % len(topics)]
        paragraphs = [
            f"Part {j} of note {i}: the {topic} changes with season {j}." for j in range(4)
        ]
        (root / f"note{i}.md").write_text(f"# Note {i}\n\n" + "\n\n".join(paragraphs) + "\n")
    return root


def test_worker_processes_give_the_same_chunks_as_inline(tmp_path):
    files = list(iter_files([_corpus(tmp_path / "docs")]))
    results = {}
    for workers in (0, 2):
        store = InMemoryStore()
        options = IndexOptions(chunking=SMALL, workers=workers, timeout_s=60)
        report = index_files(files, [KeywordEncoder(VOCAB)], store, "docs", options)
        assert report.ok and report.count("indexed") == len(files)
        results[workers] = store.ids("docs_keyword")
    assert results[0] == results[2] and results[0]


def test_a_file_over_its_timeout_fails_and_the_run_goes_on(tmp_path):
    root = _corpus(tmp_path / "docs", n=2)
    slow_text(root / "huge.txt")
    files = list(iter_files([root]))
    options = IndexOptions(chunking=SMALL, workers=1, timeout_s=2)
    report = index_files(files, [KeywordEncoder(VOCAB)], InMemoryStore(), "docs", options)
    by_name = {Path(f.path).name: f for f in report.files}
    assert by_name["huge.txt"].status == "failed"
    assert "timed out after 2s" in by_name["huge.txt"].reason
    assert by_name["note0.md"].status == by_name["note1.md"].status == "indexed"


def test_two_encoders_in_one_pass_store_the_same_chunk_ids(tmp_path):
    files = list(iter_files([_corpus(tmp_path / "docs")]))
    store = InMemoryStore()
    student, teacher = KeywordEncoder(VOCAB, "student"), KeywordEncoder(VOCAB[::-1], "teacher")
    options = IndexOptions(chunking=SMALL, workers=0)
    report = index_files(files, [student, teacher], store, "docs", options)
    assert report.collections == ["docs_student", "docs_teacher"]
    assert store.ids("docs_student") == store.ids("docs_teacher") != set()
    assert report.chunks_written == 2 * store.count("docs_student")


def test_prune_removes_deleted_files_only_when_asked(tmp_path):
    root = _corpus(tmp_path / "docs")
    store, encoder = InMemoryStore(), KeywordEncoder(VOCAB)
    index_files(list(iter_files([root])), [encoder], store, "docs", IndexOptions(workers=0))
    gone = source_name(root / "note0.md")
    (root / "note0.md").unlink()
    index_files(list(iter_files([root])), [encoder], store, "docs", IndexOptions(workers=0))
    assert gone in store.sources("docs_keyword")
    options = IndexOptions(workers=0, prune_roots=(root,))
    report = index_files(list(iter_files([root])), [encoder], store, "docs", options)
    assert gone not in store.sources("docs_keyword")
    assert report.chunks_deleted > 0 and gone in report.to_json()
    assert len(store.sources("docs_keyword")) == 5


def test_a_file_that_turns_bad_keeps_its_indexed_chunks(tmp_path):
    root = _corpus(tmp_path / "docs", n=2)
    store, encoder = InMemoryStore(), KeywordEncoder(VOCAB)
    index_files(list(iter_files([root])), [encoder], store, "docs", IndexOptions(workers=0))
    before = store.ids("docs_keyword")
    (root / "note1.md").write_bytes(b"\x00\x01garbage" * 100)
    report = index_files(
        list(iter_files([root])), [encoder], store, "docs", IndexOptions(workers=0)
    )
    assert [f.status for f in report.files] == ["unchanged", "failed"]
    assert store.ids("docs_keyword") == before


@pytest.mark.parametrize("bad", [{"workers": -1}, {"timeout_s": 0}, {"batch_chunks": 0}])
def test_index_options_validate(bad):
    with pytest.raises(ValueError):
        IndexOptions(**bad)


def test_milvus_going_away_mid_run_stops_with_a_clear_report(tmp_path):
    from indexer.stores.lite_server import running_lite_server
    from indexer.stores.milvus import MilvusStore

    files = list(iter_files([_corpus(tmp_path / "docs", n=8)]))
    server = running_lite_server(tmp_path / "served.db")
    uri = server.__enter__()
    store = MilvusStore(uri, retry_delays=(0.1, 0.2))
    stopped = []

    def stop_server_after_first_file(result, _written):
        if result.status == "indexed" and not stopped:
            stopped.append(result.path)
            server.__exit__(None, None, None)

    options = IndexOptions(chunking=SMALL, workers=0, batch_chunks=1)
    report = index_files(
        files, [KeywordEncoder(VOCAB)], store, "docs", options, stop_server_after_first_file
    )
    assert stopped, "the server was never stopped"
    assert "unreachable after 3 attempts" in report.error
    statuses = {f.path: f.status for f in report.files}
    assert statuses[stopped[0]] == "indexed"
    assert len(report.files) == len(files)
    assert all(f.reason.startswith("not written") for f in report.files if f.status == "failed")
    assert report.count("failed") >= 1 and "STOPPED" in report.summary()
