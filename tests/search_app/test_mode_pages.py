"""The search-mode widgets on the Search, Ask and Compare pages (AppTest).

The pages run against an in-memory index of keyword fakes (the service's ``store_for``
and ``build_encoder`` replaced), so BM25 is exact and nothing is loaded. An "old"
collection (built before full text) is faked by a store that reports no full-text field.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import usecases.search as service_module
from indexer import MODES
from search_app.resources import get_service
from tests.support.app_pages import run_page, texts
from tests.support.fakes import KeywordEncoder, keyword_index, old_collections_store

DOCS = {
    "a.txt": "cat cat dog",
    "b.txt": "Running <b>filters</b> for the **fish** [x](javascript:alert(1)).\n\n"
    "Another sentence about a cat.",
    "c.txt": "dog barks",
}
HYBRID = "teacher · hybrid (RRF k=60)"


@pytest.fixture
def pages(monkeypatch, tmp_path: Path):
    """Point the app at an in-memory index; returns a function that installs a store."""
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DISTILSEARCH_MODELS_DIR", str(tmp_path / "models"))
    for name in (
        "MILVUS_URI",
        "DISTILSEARCH_LLM_URL",
        "DISTILSEARCH_ENCODER",
        "DISTILSEARCH_SEARCH_MODE",
    ):
        monkeypatch.delenv(name, raising=False)
    teacher = KeywordEncoder(["cat", "dog", "fish"], name="teacher")
    monkeypatch.setattr(
        service_module, "build_encoder", lambda name, _s: {"teacher": teacher}[name]
    )

    def install(store=None):
        store = keyword_index(DOCS, teacher, store=store)
        monkeypatch.setattr(service_module, "store_for", lambda *_args: store)
        return store

    get_service.clear()
    yield install
    get_service.clear()


def test_search_page_offers_the_modes_with_the_default_explained(pages) -> None:
    pages()
    app = run_page()
    assert app.radio[0].options == list(MODES) and app.radio[0].value == "dense"
    assert "default: **dense** — see `docs/results/hybrid.md`" in texts(app.caption)
    assert not app.warning


def test_the_default_mode_comes_from_the_settings(pages, monkeypatch) -> None:
    monkeypatch.setenv("DISTILSEARCH_SEARCH_MODE", "hybrid")
    pages()
    app = run_page()
    assert app.radio[0].value == "hybrid"
    assert "default: **hybrid**" in texts(app.caption)


def test_a_keyword_search_marks_the_matched_words_escaped(pages) -> None:
    pages()
    app = run_page()
    app.radio[0].set_value("keyword")
    app.text_input[0].input("run filter")
    app.button[0].click()
    app.run()
    assert not app.exception, app.exception
    assert "(teacher · keyword)" in texts(app.caption)
    body = next(m.value for m in app.markdown if "orange-background" in m.value)
    assert ":orange-background[Running]" in body and ":orange-background[filters]" in body
    outside = re.sub(r":orange-background\[\w+\]", "", body)
    assert not re.search(r"[<>*\[\]()`:$]", re.sub(r"\\.", "", outside))  # all escaped
    assert "<b>filters</b>" in texts(app.text)  # the full chunk, plain, folded below


def test_an_old_collection_offers_dense_only_and_the_rebuild_command(pages) -> None:
    pages(old_collections_store("docs_teacher"))
    for page in (None, "ask"):
        app = run_page(page)
        assert app.radio[0].options == ["dense"]
        warning = texts(app.warning)
        assert "docs_teacher was built before keyword search" in warning
        assert "distilsearch upgrade" in warning


def test_ask_page_retrieves_in_the_chosen_mode(pages) -> None:
    pages()
    app = run_page("ask")
    assert app.radio[0].options == list(MODES)
    app.radio[0].set_value("keyword")
    app.text_input[0].input("running filters")
    app.button[0].click()
    app.run()
    assert not app.exception, app.exception
    assert "b.txt" in texts(app.markdown)


def test_compare_one_encoder_dense_against_hybrid(pages) -> None:
    pages()
    app = run_page("compare")
    assert "--encoder student" in texts(app.info)  # one encoder: says how to add the other
    assert (app.radio[0].value, app.radio[1].value) == ("hybrid", "dense")
    app.text_input[0].input("fish cat")
    app.button[0].click()
    app.run()
    assert not app.exception, app.exception
    assert f"{HYBRID} agrees on" in texts(app.subheader)
    assert f"{HYBRID} latency" in [m.label.replace("\\", "") for m in app.metric]
    assert {"A rank", "B rank"} <= set(app.dataframe[0].value.columns)
    legend = " ".join(c.value for c in app.caption).replace("\\", "")
    assert f"**A** = teacher (reference), **B** = {HYBRID} (candidate)" in legend
    assert "same document embeddings" in texts(app.caption)
