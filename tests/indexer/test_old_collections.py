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

DIM = 8
INFO = CollectionInfo("enc", DIM, "f" * 16)
#: Exactly the byte limits of the schema before the BM25 field existed.
OLD_MAX_BYTES = {
    "id": 64,
    "text": 65535,
    "source": 4096,
    "file_type": 32,
    "section": 1024,
    "content_hash": 64,
}


def create_old_collection(client, name: str) -> None:
    """The schema ``MilvusStore._create`` built before keyword search, through raw pymilvus."""
    from pymilvus import DataType, MilvusClient

    from indexer.stores.milvus import META_PREFIX

    schema = MilvusClient.create_schema(
        auto_id=False, enable_dynamic_field=False, description=META_PREFIX + INFO.to_json()
    )
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=OLD_MAX_BYTES["id"])
    for field in ("text", "source", "file_type", "section", "content_hash"):
        schema.add_field(field, DataType.VARCHAR, max_length=OLD_MAX_BYTES[field])
    schema.add_field("page", DataType.INT64)
    schema.add_field("chunk_index", DataType.INT64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
    index = client.prepare_index_params()
    index.add_index("vector", index_type="FLAT", metric_type="IP", params={})
    client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")


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
    create_old_collection(store._client, "docs_enc")  # as an older release left it
    yield store
    store.close()


def test_an_old_collection_still_indexes_and_serves_dense_search(old_store, caplog):
    chunks, vectors = _data()
    with caplog.at_level(logging.WARNING, logger="indexer.stores.milvus"):
        old_store.ensure_collection("docs_enc", INFO)
    assert "--rebuild" in caplog.text
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
    assert "distilsearch index PATH --rebuild" in message
    assert "nothing is lost" in message and "dense search still works" in message
    assert isinstance(caught.value, RuntimeError)
    for fusion in (Fusion(), Fusion("weighted")):
        with pytest.raises(FullTextUnavailableError, match="--rebuild"):
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
