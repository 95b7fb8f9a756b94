"""``distilsearch upgrade``: older collections get full text in place, through the CLI."""

from __future__ import annotations

import numpy as np

from indexer.stores import CollectionInfo
from indexer.stores.milvus import MilvusStore
from indexer.types import Chunk
from shell.cli import EXIT_OK, main
from tests.support.old_schema import create_old_collection

INFO = CollectionInfo("teacher", 4, "a" * 16)


def test_upgrade_gives_every_old_collection_full_text_and_keeps_its_rows(tmp_path, capsys):
    db = tmp_path / "milvus.db"
    store = MilvusStore(str(db))
    create_old_collection(store._client, "docs_teacher", INFO)
    chunks = [
        Chunk(text=t, source="a.txt", file_type="txt", chunk_index=i)
        for i, t in enumerate(["rivers flood", "hills rise", "owls hoot"])
    ]
    store.upsert("docs_teacher", chunks, np.eye(4, dtype=np.float32)[:3])
    store.close()
    args = ["upgrade", "--milvus-uri", str(db), "--collection", "docs"]
    assert main(args) == EXIT_OK
    assert "full text added, 3 chunks kept" in capsys.readouterr().err
    assert main(args) == EXIT_OK
    assert "docs_teacher: already has full text" in capsys.readouterr().out
    store = MilvusStore(str(db))
    try:
        assert store.has_full_text("docs_teacher") and store.count("docs_teacher") == 3
        hits = store.search_text("docs_teacher", ["flooding river"], 3)[0]
        assert [h.id for h in hits] == [chunks[0].id]
    finally:
        store.close()
