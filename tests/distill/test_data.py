"""Training text: BEIR corpus reading, held-out split by document, length buckets."""

from __future__ import annotations

from pathlib import Path

import pytest

from distill.data import (
    QUESTION_FRAMES,
    BucketBatcher,
    Example,
    first_sentence,
    load_examples,
    passages,
    split_holdout,
    vary_queries,
    whole_documents,
)
from tests.support.paths import DOCS
from tests.support.tiny_models import tiny_corpus


def test_beir_corpus_gives_passages_with_titles_as_queries(tmp_path: Path) -> None:
    corpus = tiny_corpus(tmp_path / "beir" / "corpus.jsonl", docs=10)
    (tmp_path / "beir" / "queries.jsonl").write_text('{"_id": "q", "text": "never read"}\n')
    examples = load_examples(str(tmp_path / "beir"), max_seq_length=16)
    assert {e.doc for e in examples} == {f"d{i}" for i in range(10)}
    assert all(e.text.startswith(e.query) or e.doc == examples[0].doc for e in examples[:1])
    assert all(len(e.text.split()) <= int(16 * 0.7) for e in examples)
    assert not any("never read" in e.text for e in examples)
    assert load_examples(str(corpus), 16) == examples


def test_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_examples(str(tmp_path / "nope"), 64)


def test_helpers() -> None:
    assert first_sentence("One two. Three four.") == "One two."
    assert passages("a b c d e", 2) == ["a b", "c d", "e"]


def test_query_kinds_redraw_only_the_query_and_repeat_with_the_seed() -> None:
    text = "Forms are validated in two steps. Fields clean first, then the form. That is all."
    examples = [Example(text, "Form validation", f"d{i}") for i in range(60)]
    assert vary_queries(examples, ("title",), seed=1) == examples
    for kind in ("sentence", "span", "question"):
        varied = vary_queries(examples, (kind,), seed=1)
        assert [(e.text, e.doc) for e in varied] == [(e.text, e.doc) for e in examples]
        assert all(e.query and e.query != "Form validation" for e in varied), kind
    sentences = {e.query for e in vary_queries(examples, ("sentence",), seed=1)}
    assert sentences == {
        "Forms are validated in two steps.",
        "Fields clean first, then the form.",
        "That is all.",
    }
    assert all(
        3 <= len(e.query.split()) <= 12 and e.query in text
        for e in vary_queries(examples, ("span",), 1)
    )
    questions = {e.query for e in vary_queries(examples, ("question",), seed=1)}
    assert questions <= {frame.format("form validation") for frame in QUESTION_FRAMES}
    mixed = vary_queries(examples, ("title", "question"), seed=7)
    assert mixed == vary_queries(examples, ("title", "question"), seed=7)
    assert {e.query == "Form validation" for e in mixed} == {True, False}


def test_holdout_never_splits_a_document(tmp_path: Path) -> None:
    examples = load_examples(str(tiny_corpus(tmp_path / "c.jsonl", docs=50)), 16)
    train, held = split_holdout(examples, 0.1, seed=3)
    assert held and train
    assert not {e.doc for e in train} & {e.doc for e in held}
    assert len({e.doc for e in held}) == 5
    assert split_holdout(examples, 0.1, seed=3) == (train, held)


def test_whole_documents_rejoin_each_documents_windows_in_order(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        '{"_id": "a", "title": "Forms", "text": "one two three four five six seven eight nine"}\n'
        '{"_id": "b", "title": "", "text": "ten eleven"}\n'
    )
    examples = load_examples(str(corpus), max_seq_length=12)  # 8-word windows
    assert len(examples) == 3
    assert whole_documents(examples) == [
        "Forms one two three four five six seven eight nine",
        "ten eleven",
    ]


def test_bucket_batches_cover_each_epoch_and_group_lengths() -> None:
    lengths = [i % 37 for i in range(400)]
    batcher = BucketBatcher(lengths, batch_size=8, seed=1, pool_batches=5)
    epoch = batcher.epoch(0)
    flat = [i for b in epoch for i in b]
    assert len(flat) == len(set(flat)) == 400 and all(len(b) == 8 for b in epoch)
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in epoch)
    assert spread / len(epoch) < 10  # random batches would spread ~30
    assert batcher.epoch(1) != epoch and batcher.epoch(0) == epoch
    shards = [BucketBatcher(lengths, 8, 1, 5, rank=r, world=2).epoch(0) for r in (0, 1)]
    assert not {i for b in shards[0] for i in b} & {i for b in shards[1] for i in b}


def test_folder_text_goes_through_the_indexers_chunking() -> None:
    docs = DOCS
    examples = load_examples(str(docs), max_seq_length=64)
    sources = {e.doc.split("#")[0] for e in examples}
    assert len(sources) >= 3 and all(e.query for e in examples)


def test_folder_skips_what_the_indexer_would_skip(tmp_path: Path, caplog) -> None:
    sentence = "Django caches whole pages or fragments of templates for a while. "
    (tmp_path / "good.txt").write_text("\n\n".join(sentence * 8 for _ in range(4)))
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "junk.pdf").write_bytes(bytes(range(256)) * 8)
    with caplog.at_level("INFO", logger="distill.data"):
        examples = load_examples(str(tmp_path), max_seq_length=64)
    assert {Path(e.doc.split("#")[0]).name for e in examples} == {"good.txt"}
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert "junk.pdf" in warned and "image.png" not in warned
    assert "training text from 1 files" in caplog.text


def test_texts_from_an_existing_collection(tmp_path: Path) -> None:
    import numpy as np

    from indexer.stores.base import CollectionInfo
    from indexer.stores.milvus import MilvusStore
    from indexer.types import Chunk

    uri = str(tmp_path / "lite.db")
    store = MilvusStore(uri)
    chunks = [Chunk(f"chunk number {i} says the cat sat.", "a.txt", "txt") for i in range(5)]
    store.ensure_collection("docs_teacher", CollectionInfo("teacher", 4, "fp"))
    vectors = np.eye(5, 4, dtype=np.float32) + 0.1
    store.upsert("docs_teacher", chunks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    store.close()
    examples = load_examples("collection:docs_teacher", 64, milvus_uri=uri)
    assert sorted(e.text for e in examples) == sorted(c.text for c in chunks)
    with pytest.raises(ValueError, match="Milvus URI"):
        load_examples("collection:docs_teacher", 64)
