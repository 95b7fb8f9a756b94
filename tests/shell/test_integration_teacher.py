"""End to end with real parts: unstructured chunking, the packaged MiniLM teacher, Milvus Lite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.pipeline import IndexOptions, index_files
from indexer.retrieval import Retriever, collection_name
from indexer.stores import CollectionMismatchError
from indexer.stores.milvus import MilvusStore
from indexer.walk import iter_files
from shell.cli import EXIT_OK, main
from tests.support.fakes import KeywordEncoder
from tests.support.parallel import TORCH_THREADS
from tests.support.paths import DOCS

QUERIES = {
    "how do I write a custom template filter": "template-filters.rst",
    "which cache backend shares entries between worker processes": "caching.md",
    "run the app under gunicorn in production": "deployment.html",
    "get notified when a model is saved": "signals.txt",
}


@pytest.fixture(scope="module")
def indexed(teacher, tmp_path_factory):
    store = MilvusStore(str(tmp_path_factory.mktemp("lite") / "milvus.db"))
    name = collection_name("docs", teacher.name)
    report = index_files(list(iter_files([DOCS])), [teacher], store, "docs", IndexOptions())
    assert report.ok and report.count("indexed") == 4
    yield store, name
    store.close()


@pytest.mark.parametrize(("query", "expected"), sorted(QUERIES.items()))
def test_expected_document_ranks_first(teacher, indexed, query, expected):
    store, name = indexed
    result = Retriever(teacher, store, name).search(query, top_k=3)
    assert Path(result.hits[0].source).name == expected
    assert result.hits[0].score > result.hits[-1].score
    assert result.encode_ms > 0 and result.search_ms > 0


def test_querying_with_another_encoder_fails_loudly(indexed):
    store, name = indexed
    with pytest.raises(CollectionMismatchError, match="fingerprint"):
        Retriever(KeywordEncoder(["cat"] * 384), store, name)


def test_cli_index_and_search(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DISTILSEARCH_THREADS", str(TORCH_THREADS))
    report = tmp_path / "report.json"
    assert main(["index", str(DOCS), "--report", str(report)]) == EXIT_OK
    assert json.loads(report.read_text())["collections"] == ["docs_teacher"]
    assert "4 indexed" in capsys.readouterr().out
    assert main(["index", str(DOCS)]) == EXIT_OK
    assert "4 unchanged" in capsys.readouterr().out
    assert main(["search", "custom template filter", "--json", "-k", "2"]) == EXIT_OK
    hits = json.loads(capsys.readouterr().out)
    assert Path(hits[0]["source"]).name == "template-filters.rst"
    assert main(["search", "   "]) == 1
    assert "query is empty" in capsys.readouterr().err


def test_a_second_process_on_a_held_lite_file_gets_a_clear_message(tmp_path):
    data = tmp_path / "data"
    holder = MilvusStore(str(data / "milvus.db"))
    env = dict(os.environ, DISTILSEARCH_DATA_DIR=str(data))
    done = subprocess.run(
        [sys.executable, "-m", "shell.cli", "search", "anything"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    holder.close()
    assert done.returncode == 1
    assert "open in another process" in done.stderr
    assert f"{os.getpid()} " in done.stderr  # names the holder
    assert "distilsearch milvus-server" in done.stderr
    assert "Traceback" not in done.stderr
