from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import load_settings
from indexer.types import Chunk, chunk_id


def test_defaults_put_milvus_lite_under_the_data_dir():
    s = load_settings({"DISTILSEARCH_DATA_DIR": "/tmp/x"})
    assert s.milvus_uri == str(Path("/tmp/x") / "milvus.db")
    assert not s.is_server
    assert s.collection == "docs" and s.encoder == "teacher"


def test_server_uri_and_overrides():
    s = load_settings({"MILVUS_URI": "http://localhost:19530"})
    assert s.is_server
    assert s.with_overrides(collection="other", encoder=None).collection == "other"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DISTILSEARCH_COLLECTION": "bad-name"}, "COLLECTION"),
        ({"DISTILSEARCH_THREADS": "many"}, "THREADS"),
        ({"DISTILSEARCH_THREADS": "0"}, "THREADS"),
        ({"DISTILSEARCH_MILVUS_RETRY_S": "soon"}, "MILVUS_RETRY_S must be a number"),
        ({"DISTILSEARCH_MILVUS_RETRY_S": "-1"}, "MILVUS_RETRY_S must be in"),
    ],
)
def test_invalid_settings_name_the_variable(env, message):
    with pytest.raises(ValueError, match=message):
        load_settings(env)


def test_chunk_ids_are_stable_hex_and_depend_on_source_position_and_text():
    a = Chunk(text="hello", source="a.txt", file_type="txt", chunk_index=0)
    assert a.id == chunk_id("a.txt", 0, "hello")
    assert len(a.id) == 32 and all(ch in "0123456789abcdef" for ch in a.id)
    assert Chunk(text="hello", source="a.txt", file_type="txt").id == a.id
    assert Chunk(text="hello", source="b.txt", file_type="txt").id != a.id
    assert Chunk(text="hello", source="a.txt", file_type="txt", chunk_index=1).id != a.id
    assert Chunk(text="hello!", source="a.txt", file_type="txt").id != a.id
    assert a.content_hash.startswith("2cf24dba")  # sha256("hello")
