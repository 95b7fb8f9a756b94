"""``distilsearch search`` shows sources as the pages do: relative to the folder indexed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import usecases.search as service_module
from shell.cli import EXIT_OK, main
from tests.support.fakes import KeywordEncoder, keyword_index

ROOT = "/srv/django-docs"
DOCS = {
    f"{ROOT}/howto/custom-template-tags.txt": "cat cat dog",
    f"{ROOT}/ref/templates/language.txt": "dog bird",
}


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DISTILSEARCH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("MILVUS_URI", raising=False)
    teacher = KeywordEncoder(["cat", "dog", "bird"], name="teacher")
    store = keyword_index(DOCS, teacher)
    monkeypatch.setattr(service_module, "store_for", lambda *_args: store)
    monkeypatch.setattr(service_module, "build_encoder", lambda name, _s: teacher)


def test_hits_show_sources_below_the_folder_indexed(cli_env, capsys) -> None:
    assert main(["search", "dog", "--encoder", "teacher", "-k", "2"]) == EXIT_OK
    out = capsys.readouterr().out
    shown = [line.split()[2] for line in out.splitlines() if line[:3].strip().endswith(".")]
    assert sorted(shown) == ["howto/custom-template-tags.txt", "ref/templates/language.txt"]
    assert f"sources relative to {ROOT})" in out


def test_source_filter_takes_the_shown_or_the_absolute_path(cli_env, capsys) -> None:
    for given in ("ref/templates/language.txt", f"{ROOT}/ref/templates/language.txt"):
        argv = ["search", "dog", "--encoder", "teacher", "--source", given, "--json"]
        assert main(argv) == EXIT_OK
        hits = json.loads(capsys.readouterr().out)
        assert [h["source"] for h in hits] == [f"{ROOT}/ref/templates/language.txt"]


def test_a_name_with_bidi_controls_is_shown_escaped(tmp_path: Path, monkeypatch, capsys) -> None:
    """A source stored raw (before such names were escaped) cannot spoof the output."""
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DISTILSEARCH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("MILVUS_URI", raising=False)
    teacher = KeywordEncoder(["cat", "dog"], name="teacher")
    docs = {f"{ROOT}/invoice-\u202etxt.exe": "cat", f"{ROOT}/zero\u200bwidth.txt": "cat dog"}
    store = keyword_index(docs, teacher)
    monkeypatch.setattr(service_module, "store_for", lambda *_args: store)
    monkeypatch.setattr(service_module, "build_encoder", lambda name, _s: teacher)
    assert main(["search", "cat", "--encoder", "teacher", "-k", "2"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "\u202e" not in out and "\u200b" not in out
    assert "invoice-\\u202etxt.exe" in out and "zero\\u200bwidth.txt" in out
