"""Collections built before keyword search (no BM25 field) keep serving dense search;
keyword and hybrid search on them fail with a message that says how to rebuild."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from indexer.stores import CollectionInfo, FullTextUnavailableError, Fusion
from indexer.types import Chunk
from tests.support.old_schema import create_old_collection

DIM = 8
INFO = CollectionInfo("enc", DIM, "f" * 16)


def _data() -> tuple[list[Chunk], np.ndarray]:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(6, DIM)).astype(np.float32)  # (6, DIM)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = ["a dog runs fast", "cats sleep", "zebras graze", "qubits", "bread", "code"]
    chunks = [
        Chunk(text=t, source=f"doc{i % 2}.txt", file_type="txt", chunk_index=i)
        for i, t in enumerate(texts)
    ]
    return chunks, vectors


@pytest.fixture
def old_store(tmp_path: Path) -> Iterator:
    from indexer.stores.milvus import MilvusStore

    store = MilvusStore(str(tmp_path / "old.db"))
    create_old_collection(store._client, "docs_enc", INFO)  # as an older release left it
    yield store
    store.close()


def test_an_old_collection_still_indexes_and_serves_dense_search(old_store, caplog):
    chunks, vectors = _data()
    with caplog.at_level(logging.WARNING, logger="indexer.stores.milvus"):
        old_store.ensure_collection("docs_enc", INFO)
    assert "distilsearch upgrade" in caplog.text
    assert old_store.collection_info("docs_enc") == INFO
    assert old_store.has_full_text("docs_enc") is False
    old_store.upsert("docs_enc", chunks, vectors)
    hits = old_store.search("docs_enc", vectors[:1], top_k=3, filters={"source": "doc0.txt"})[0]
    assert hits[0].id == chunks[0].id
    assert all(h.source == "doc0.txt" for h in hits)


def test_keyword_and_hybrid_search_on_an_old_collection_say_how_to_rebuild(old_store):
    chunks, vectors = _data()
    old_store.upsert("docs_enc", chunks, vectors)
    with pytest.raises(FullTextUnavailableError) as caught:
        old_store.search_text("docs_enc", ["dog"], 5)
    message = str(caught.value)
    assert "'docs_enc'" in message and str(old_store.location) in message
    assert "distilsearch upgrade" in message
    assert "keeping every chunk and vector" in message and "dense search still works" in message
    assert isinstance(caught.value, RuntimeError)
    for fusion in (Fusion(), Fusion("weighted")):
        with pytest.raises(FullTextUnavailableError, match="distilsearch upgrade"):
            old_store.search_hybrid("docs_enc", vectors[:1], ["dog"], 5, fusion=fusion)


def test_drop_and_reindex_gives_full_text(old_store):
    """What ``--rebuild`` does: drop the collection, then index the files again."""
    chunks, vectors = _data()
    old_store.upsert("docs_enc", chunks, vectors)
    old_store.drop("docs_enc")
    old_store.ensure_collection("docs_enc", INFO)
    old_store.upsert("docs_enc", chunks, vectors)
    assert old_store.has_full_text("docs_enc")
    assert [h.id for h in old_store.search_text("docs_enc", ["dogs running"], 5)[0]] == [
        chunks[0].id
    ]


def _state(store) -> tuple[list[str], list[tuple[str, str]]]:
    return store.list_collections(), sorted(store.texts("docs_enc"))


def test_upgrade_adds_full_text_in_place_keeping_rows_and_vectors(old_store):
    chunks, vectors = _data()
    old_store.upsert("docs_enc", chunks, vectors)
    before = old_store.search("docs_enc", vectors, top_k=6)
    assert old_store.upgrade_full_text("docs_enc") == 6
    assert old_store.has_full_text("docs_enc") and old_store.collection_info("docs_enc") == INFO
    after = old_store.search("docs_enc", vectors, top_k=6)
    assert [[(h.id, round(h.score, 5)) for h in q] for q in after] == [
        [(h.id, round(h.score, 5)) for h in q] for q in before
    ]  # the same vectors: nothing was re-encoded
    assert [h.id for h in old_store.search_text("docs_enc", ["dogs running"], 5)[0]] == [
        chunks[0].id
    ]
    assert old_store.list_collections() == ["docs_enc"]  # no staging copy left
    assert old_store.upgrade_full_text("docs_enc") == 0


@pytest.mark.parametrize("stopped_after", ["first copy, partly", "drop", "second copy"])
def test_an_upgrade_stopped_half_way_finishes_on_the_next_run(old_store, stopped_after):
    """Each state a crash can leave is finished by the next upgrade, losing no row."""
    from indexer.stores import milvus_upgrade

    chunks, vectors = _data()
    old_store.upsert("docs_enc", chunks, vectors)
    staging = "docs_enc" + milvus_upgrade.STAGING_SUFFIX
    milvus_upgrade._create(old_store, staging, INFO)
    if stopped_after == "first copy, partly":
        rows = old_store._scan("docs_enc", None, milvus_upgrade.COPY_FIELDS)[:2]
        old_store._client.upsert(staging, rows)
    else:
        milvus_upgrade._copy(old_store, "docs_enc", staging)
        old_store.drop("docs_enc")
        if stopped_after == "second copy":
            milvus_upgrade._create(old_store, "docs_enc", INFO)
    assert old_store.upgrade_full_text("docs_enc") == 6
    names, texts = _state(old_store)
    assert names == ["docs_enc"] and texts == sorted((c.id, c.text) for c in chunks)
    assert old_store.has_full_text("docs_enc")
