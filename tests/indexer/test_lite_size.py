"""One collection's size inside a Milvus Lite file, read from SQLite's ``dbstat``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from indexer.stores import CollectionInfo, open_store
from indexer.stores import lite_size as index_size
from indexer.stores.lite_size import collection_bytes
from indexer.types import Chunk

DIM = 8
INFO = CollectionInfo("enc", DIM, "f" * 16)


def fill(store, name: str, rows: int) -> None:
    rng = np.random.default_rng(rows)
    vectors = rng.normal(size=(rows, DIM)).astype(np.float32)  # (rows, DIM)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [
        Chunk(text=f"passage {i} about topic{i % 17} " * 8, source=f"doc{i}.txt", file_type="txt")
        for i in range(rows)
    ]
    store.ensure_collection(name, INFO)
    store.upsert(name, chunks, vectors)


@pytest.fixture(scope="module")
def lite_file(tmp_path_factory) -> Iterator[Path]:
    """A Milvus Lite file holding ``small_enc`` (40 rows) and ``big_enc`` (800 rows)."""
    path = tmp_path_factory.mktemp("lite") / "two.db"
    store = open_store(str(path))
    try:
        fill(store, "small_enc", 40)
        fill(store, "big_enc", 800)
        yield path
    finally:
        store.close()


def test_each_collection_is_measured_apart(lite_file: Path) -> None:
    small = collection_bytes(str(lite_file), "small_enc")
    big = collection_bytes(str(lite_file), "big_enc")
    assert small is not None and big is not None
    assert 0 < small < big
    assert big > 5 * small  # 20 times the rows
    file_size = lite_file.stat().st_size
    assert small + big < file_size  # the file also holds Milvus's own tables


def test_a_collection_is_its_table_its_indexes_and_its_share_of_the_bm25_tables(
    lite_file: Path,
) -> None:
    with sqlite3.connect(f"file:{lite_file}?mode=ro", uri=True) as conn:
        own = conn.execute(
            "SELECT SUM(pgsize) FROM dbstat WHERE name = ? OR name IN "
            "(SELECT name FROM sqlite_master WHERE tbl_name = ?)",
            ("big_enc", "big_enc"),
        ).fetchone()[0]
        shared = conn.execute(
            "SELECT COUNT(*) FROM token_doc_count WHERE collection_name = 'big_enc'"
        ).fetchone()[0]
    measured = collection_bytes(str(lite_file), "big_enc")
    assert shared > 0  # full-text collections keep their vocabulary in the shared table
    assert own <= measured < own + lite_file.stat().st_size // 2


def test_not_measured_is_none(lite_file: Path, tmp_path: Path) -> None:
    assert collection_bytes(str(lite_file), "no_such_collection") is None
    assert collection_bytes("http://localhost:19530", "small_enc") is None
    assert collection_bytes("memory", "small_enc") is None  # the in-memory store's location
    assert collection_bytes(str(tmp_path / "missing.db"), "small_enc") is None
    text = tmp_path / "notes.db"
    text.write_text("not a database")
    assert collection_bytes(str(text), "small_enc") is None
    assert collection_bytes(str(tmp_path), "small_enc") is None  # a folder


def test_a_sqlite_without_dbstat_is_none(lite_file: Path, monkeypatch) -> None:
    monkeypatch.setattr(index_size, "_PAGES", "SELECT SUM(pgsize) FROM no_dbstat_here")
    assert collection_bytes(str(lite_file), "small_enc") is None


def test_a_path_with_odd_characters(tmp_path: Path) -> None:
    folder = tmp_path / "a dir?with#odd%chars"
    folder.mkdir()
    path = folder / "x.db"
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE "coll_a" (id INTEGER PRIMARY KEY, data BLOB)')
        conn.executemany('INSERT INTO "coll_a" (data) VALUES (?)', [(b"x" * 3000,)] * 20)
    assert collection_bytes(str(path), "coll_a") >= 20 * 3000
