"""Indexing runs: per-file outcomes, idempotent reruns, replaced and failed files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from indexer.chunking import ChunkingConfig
from indexer.pipeline import IndexOptions, index_files
from indexer.stores.memory import InMemoryStore
from indexer.walk import iter_files
from tests.support.fakes import KeywordEncoder

SMALL = ChunkingConfig(max_characters=120, new_after_n_chars=100, combine_text_under_n_chars=0)
C = "docs_keyword"
INLINE = IndexOptions(chunking=SMALL, workers=0, batch_chunks=2)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "cats.txt").write_text("Cats\n\nThe cat sat on the mat.\n\nA cat purrs when happy.\n")
    (root / "sub" / "dogs.md").write_text("# Dogs\n\nThe dog ran fast after the ball.\n")
    (root / "empty.txt").write_text("")
    (root / "image.png").write_bytes(b"\x89PNG\r\n")
    return root


def _run(files, encoder, store, options=INLINE):
    return index_files(files, [encoder], store, "docs", options)


ALL = ["cats.txt", "empty.txt", "image.png", "dogs.md"]


def test_walk_yields_every_visible_file_and_honours_globs(corpus):
    (corpus / ".hidden.txt").write_text("secret")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "HEAD").write_text("ref")
    assert [p.name for p in iter_files([corpus])] == ALL
    assert [p.name for p in iter_files([corpus], include=["sub/*"])] == ["dogs.md"]
    assert [p.name for p in iter_files([corpus], exclude=["*.txt", "*.png"])] == ["dogs.md"]
    assert [p.name for p in iter_files([corpus / "cats.txt"])] == ["cats.txt"]
    with pytest.raises(FileNotFoundError, match="nowhere"):
        list(iter_files([corpus / "nowhere"]))


def test_walk_survives_symlink_loops(corpus):
    os.symlink(corpus, corpus / "sub" / "loop")
    assert [p.name for p in iter_files([corpus])] == ALL


def test_index_then_rerun_writes_nothing(corpus):
    encoder, store = KeywordEncoder(["cat", "dog", "mat"]), InMemoryStore()
    files = list(iter_files([corpus]))
    report = _run(files, encoder, store)
    assert [f.status for f in report.files] == ["indexed", "skipped", "skipped", "indexed"]
    assert [f.reason for f in report.files][1:3] == [
        "empty file",
        "binary content, not a document type we read",
    ]
    assert report.ok and report.chunks_written == store.count(C) > 0
    calls = len(encoder.calls)
    again = _run(files, encoder, store)
    assert [f.status for f in again.files] == ["unchanged", "skipped", "skipped", "unchanged"]
    assert again.chunks_written == 0 and len(encoder.calls) == calls


def test_changed_file_replaces_its_chunks_only(corpus):
    encoder, store = KeywordEncoder(["cat", "dog", "mat"]), InMemoryStore()
    files = list(iter_files([corpus]))
    _run(files, encoder, store)
    dogs_before = store.ids(C, {"source": str((corpus / "sub" / "dogs.md").resolve())})
    (corpus / "cats.txt").write_text("Cats\n\nA completely new sentence about a cat.\n")
    report = _run(files, encoder, store)
    assert [f.status for f in report.files] == ["indexed", "skipped", "skipped", "unchanged"]
    cats = store.sources(C)[str((corpus / "cats.txt").resolve())]
    assert cats == 2 and report.chunks_deleted >= 1
    texts = [h.text for h in store.search(C, encoder.encode_queries(["cat"]), 10)[0]]
    assert not any("purrs" in t for t in texts)
    assert store.ids(C, {"source": str((corpus / "sub" / "dogs.md").resolve())}) == dogs_before


def test_a_failing_file_is_reported_and_the_rest_indexed(corpus):
    encoder, store = KeywordEncoder(["cat", "dog"]), InMemoryStore()
    files = [*iter_files([corpus]), corpus / "vanished.txt"]
    report = _run(files, encoder, store)
    failed = [f for f in report.files if f.status == "failed"]
    assert len(failed) == 1 and failed[0].path.endswith("vanished.txt")
    assert "No such file" in failed[0].reason
    assert not report.ok
    assert report.count("indexed") == 2
    assert "1 failed" in report.summary()
    assert "vanished.txt" in report.table()


def test_repeated_chunk_texts_are_encoded_once(tmp_path):
    from indexer.encode_batches import encode_texts

    class Counting(KeywordEncoder):
        def __init__(self, vocabulary: list[str]) -> None:
            super().__init__(vocabulary)
            self.seen: list[str] = []

        def encode_documents(self, texts):
            self.seen.extend(texts)
            return super().encode_documents(texts)

    encoder = Counting(["river", "hill"])
    texts = ["the river", "a hill", "the river", "the river"]
    vectors = encode_texts(encoder, texts)
    assert sorted(encoder.seen) == ["a hill", "the river"]
    assert np.array_equal(vectors, KeywordEncoder(["river", "hill"]).encode_documents(texts))
    (tmp_path / "same.txt").write_text("\n\n".join(["The river bends here."] * 400))
    encoder.seen.clear()
    report = index_files(
        [tmp_path / "same.txt"],
        [encoder],
        InMemoryStore(),
        "d",
        IndexOptions(
            workers=0,
            chunking=ChunkingConfig(
                max_characters=60, new_after_n_chars=50, combine_text_under_n_chars=0, overlap=0
            ),
        ),
    )
    assert report.files[0].chunks > 50 and len(encoder.seen) < 5
