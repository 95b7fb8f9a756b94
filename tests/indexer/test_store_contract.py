"""One contract, every store: in-memory, Milvus Lite, and a server when MILVUS_URI is set."""

from __future__ import annotations

import os
import uuid

import numpy as np
import pytest

from indexer.stores import CollectionInfo, CollectionMismatchError, VectorStore
from indexer.types import Chunk

DIM = 8
INFO = CollectionInfo("enc", DIM, "f" * 16)
HOSTILE_SOURCES = [
    '") or true or ("',
    "trailing\\",
    'x" || 1==1 || "',
    'it\'s "quoted"',
    "ünïcode/päth with spaces.txt",
]


def _data(
    n: int, seed: int = 0, sources: list[str] | None = None
) -> tuple[list[Chunk], np.ndarray]:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sources = sources or [f"doc{i % 3}.txt" for i in range(n)]
    chunks = [
        Chunk(
            text=f"chunk {i}",
            source=sources[i % len(sources)],
            file_type="txt",
            section=f"s{i % 2}",
            page=i % 4,
            chunk_index=i,
        )
        for i in range(n)
    ]
    return chunks, vectors


def test_ensure_collection_records_the_encoder_and_refuses_another(store, name):
    assert store.collection_info(name) is None
    store.ensure_collection(name, INFO)
    store.ensure_collection(name, INFO)  # idempotent
    assert store.collection_info(name) == INFO
    assert name in store.list_collections()
    with pytest.raises(CollectionMismatchError, match="fingerprint"):
        store.ensure_collection(name, CollectionInfo("other", DIM, "0" * 16))
    with pytest.raises(CollectionMismatchError):
        store.ensure_collection(name, CollectionInfo("enc", DIM + 1, "f" * 16))


def test_upsert_is_idempotent_and_search_matches_exact_ranking(store, name):
    store.ensure_collection(name, INFO)
    chunks, vectors = _data(40)
    assert store.upsert(name, chunks, vectors) == 40
    store.upsert(name, chunks, vectors)
    assert store.count(name) == 40
    queries = vectors[:3] * 0.9 + vectors[3:6] * 0.1
    results = store.search(name, queries, top_k=5)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :5]
    for row, hits in enumerate(results):
        assert [h.id for h in hits] == [chunks[j].id for j in exact[row]]
        assert hits[0].score == pytest.approx(
            float(queries[row] @ vectors[exact[row, 0]]), abs=1e-4
        )
        assert hits[0].text == chunks[exact[row, 0]].text
        assert hits[0].page == chunks[exact[row, 0]].page


def test_filters_select_exactly_the_matching_rows(store, name):
    store.ensure_collection(name, INFO)
    chunks, vectors = _data(30)
    store.upsert(name, chunks, vectors)
    assert store.count(name, {"source": "doc1.txt"}) == 10
    assert store.count(name, {"source": ["doc1.txt", "doc2.txt"]}) == 20
    assert store.count(name, {"source": "doc1.txt", "page": 1}) == sum(
        1 for c in chunks if c.source == "doc1.txt" and c.page == 1
    )
    hits = store.search(name, vectors[:1], top_k=30, filters={"section": "s1"})[0]
    assert hits and all(h.section == "s1" for h in hits)
    assert store.sources(name) == {"doc0.txt": 10, "doc1.txt": 10, "doc2.txt": 10}


@pytest.mark.parametrize("hostile", HOSTILE_SOURCES)
def test_hostile_filter_values_match_literally(store, name, hostile):
    store.ensure_collection(name, INFO)
    chunks, vectors = _data(6, sources=[hostile, "plain.txt"])
    store.upsert(name, chunks, vectors)
    assert store.count(name, {"source": hostile}) == 3
    assert store.ids(name, {"source": hostile}) == {c.id for c in chunks if c.source == hostile}
    assert store.count(name, {"source": hostile + "x"}) == 0


def test_bad_filters_and_bounds_are_refused(store, name):
    store.ensure_collection(name, INFO)
    chunks, vectors = _data(4)
    store.upsert(name, chunks, vectors)
    with pytest.raises(ValueError, match="not allowed"):
        store.search(name, vectors[:1], 3, filters={"text or 1==1": "x"})
    with pytest.raises(ValueError, match="control"):
        store.count(name, {"source": "a\nb"})
    with pytest.raises(ValueError, match="integers"):
        store.count(name, {"page": "1"})
    with pytest.raises(ValueError, match="top_k"):
        store.search(name, vectors[:1], 0)
    with pytest.raises(ValueError, match="shape"):
        store.search(name, np.zeros((1, DIM + 1), dtype=np.float32), 3)
    with pytest.raises(ValueError, match="NaN"):
        store.upsert(name, chunks[:1], np.full((1, DIM), np.nan, dtype=np.float32))


def test_delete_ids_and_drop(store, name):
    store.ensure_collection(name, INFO)
    chunks, vectors = _data(10)
    store.upsert(name, chunks, vectors)
    store.delete(name, [c.id for c in chunks[:4]])
    assert store.ids(name) == {c.id for c in chunks[4:]}
    store.drop(name)
    assert store.collection_info(name) is None
    assert name not in store.list_collections()


# -- Milvus Lite specifics -----------------------------------------------------------------


def test_lite_refuses_a_milvus_lite_3_folder_naming_it(tmp_path):
    from indexer.stores.base import StoreUnavailableError
    from indexer.stores.milvus import MilvusStore

    old = tmp_path / "milvus.db"
    (old / "collections").mkdir(parents=True)
    with pytest.raises(StoreUnavailableError, match=r"milvus\.db is a folder"):
        MilvusStore(str(old))
    assert (old / "collections").is_dir(), "the old folder must be left as it was"


@pytest.mark.parametrize("bad", ["x" * 37 + ".db", "with space.db", "ünï.db"])
def test_lite_refuses_file_names_milvus_lite_cannot_open(tmp_path, bad):
    from indexer.stores.base import StoreUnavailableError
    from indexer.stores.milvus import MilvusStore

    with pytest.raises(StoreUnavailableError, match="file name"):
        MilvusStore(str(tmp_path / bad))


def test_a_collection_without_an_encoder_record_is_not_taken_over(tmp_path):
    from indexer.stores.milvus import MilvusStore

    store = MilvusStore(str(tmp_path / "foreign.db"))
    try:
        client = store._client
        client.create_collection("theirs", dimension=DIM)
        assert store.collection_info("theirs") is None
        with pytest.raises(ValueError, match="not created by distilsearch"):
            store.ensure_collection("theirs", INFO)
        assert client.has_collection("theirs")
    finally:
        store.close()


def test_served_lite_file_gets_the_lite_index(lite_server):
    from indexer.stores.milvus import MilvusStore
    from indexer.stores.milvus_engine import LITE_INDEX

    store = MilvusStore(lite_server)
    try:
        name = f"served_{uuid.uuid4().hex[:8]}"
        store.ensure_collection(name, INFO)
        described = store._client.describe_index(name, "vector")
        assert described["index_type"] == LITE_INDEX[0]
    finally:
        store.close()


def test_serving_a_file_another_process_holds_fails_naming_the_holder(tmp_path):
    import subprocess

    from indexer.stores.lite_server import free_port, server_command
    from indexer.stores.milvus import MilvusStore

    db = tmp_path / "held.db"
    store = MilvusStore(str(db))  # this process holds the file (POSIX locks are per process)
    try:
        done = subprocess.run(
            server_command(db, "127.0.0.1", free_port()),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        store.close()
    assert done.returncode == 2
    assert "held.db is open in another process" in done.stderr
    assert str(os.getpid()) in done.stderr


def test_texts_yield_every_stored_id_and_text(store, name):
    store.ensure_collection(name, INFO)
    chunks, vectors = _data(7)
    store.upsert(name, chunks, vectors)
    assert sorted(store.texts(name)) == sorted((c.id, c.text) for c in chunks)


def test_the_store_says_where_its_data_lives(store, tmp_path):
    assert isinstance(store, VectorStore)
    assert store.location
    size = store.disk_bytes()
    if store.is_server or store.location == "memory":
        assert size is None
    else:
        assert store.location == str(tmp_path / "contract.db")
        assert size is not None and size > 0


def test_a_collection_reports_its_own_bytes_where_they_are_on_disk(store, name):
    store.ensure_collection(name, INFO)
    chunks, vectors = _data(40)
    store.upsert(name, chunks, vectors)
    size = store.collection_bytes(name)
    if store.is_server or store.location == "memory":
        assert size is None  # a server's storage is its own; memory has no disk
    else:
        total = store.disk_bytes()
        assert size is not None and total is not None and 0 < size < total
    assert store.collection_bytes(f"{name}_absent") is None
