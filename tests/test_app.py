"""The Streamlit search page through AppTest, against a real Milvus Lite index."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from indexer.pipeline import index_files
from indexer.retrieval import collection_name
from indexer.stores.milvus import MilvusStore
from indexer.walk import iter_files
from search_app.resources import get_service

APP = str(Path(__file__).resolve().parent.parent / "search_app" / "app.py")
DOCS = Path(__file__).parent / "data" / "docs"


@pytest.fixture
def app_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DISTILSEARCH_THREADS", "2")
    get_service.clear()
    yield tmp_path / "data" / "milvus.db"
    get_service.clear()


def _run() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    return app


def test_empty_index_shows_how_to_start(app_env):
    app = _run()
    assert any("Nothing is indexed yet" in info.value for info in app.info)


def test_search_shows_ranked_hits_with_source_and_text(app_env, teacher):
    store = MilvusStore(str(app_env))
    index_files(list(iter_files([DOCS])), teacher, store, collection_name("docs", "teacher"))
    app = _run()
    assert app.selectbox[0].options == ["teacher"]
    app.text_input[0].input("how do I write a custom template filter")
    app.button[0].click()
    app.run()
    assert not app.exception, app.exception
    headers = [m.value for m in app.markdown if m.value.startswith("**1.**")]
    assert headers and "template\\-filters\\.rst" in headers[0]
    assert any("register.filter" in t.value for t in app.text)
    assert any("ms search" in c.value for c in app.caption)


def test_empty_query_warns(app_env, teacher):
    store = MilvusStore(str(app_env))
    index_files(list(iter_files([DOCS])), teacher, store, collection_name("docs", "teacher"))
    app = _run()
    app.button[0].click()
    app.run()
    assert any("Type a query" in w.value for w in app.warning)
