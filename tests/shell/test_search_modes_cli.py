"""``distilsearch search --mode`` and ``distilsearch index --rebuild``.

The Milvus Lite tests index small text files with a keyword fake standing in for the
teacher (so BM25 runs in Milvus for real, with nothing to load); the old-collection
tests use an in-memory store that reports no full-text field until it is rebuilt.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import encoders
import usecases.indexing
import usecases.search as service_module
from shell.cli import EXIT_ERROR, EXIT_OK, main
from tests.support.fakes import KeywordEncoder, keyword_index, old_collections_store

FILES = {
    "a.txt": "Running filters in the kitchen sink.",
    "b.txt": "A cat and a dog.",
}


def write_files(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch) -> Path:
    """Data in ``tmp_path``; every encoder the registry builds is the keyword teacher."""
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DISTILSEARCH_MODELS_DIR", str(tmp_path / "models"))
    for name in ("MILVUS_URI", "DISTILSEARCH_ENCODER", "DISTILSEARCH_SEARCH_MODE"):
        monkeypatch.delenv(name, raising=False)
    teacher = KeywordEncoder(["cat", "dog", "filter", "kitchen"], name="teacher")
    monkeypatch.setattr(encoders, "build_encoder", lambda _name, _settings: teacher)
    monkeypatch.setattr(service_module, "build_encoder", lambda _name, _settings: teacher)
    monkeypatch.setattr(usecases.indexing, "build_encoder", lambda _name, _settings: teacher)
    return tmp_path


def index(*argv: str) -> int:
    return main(["index", *argv, "--workers", "0"])


def test_search_modes_on_milvus_lite(cli_env, capsys) -> None:
    assert index(str(write_files(cli_env / "docs", FILES))) == EXIT_OK
    capsys.readouterr()
    assert main(["search", "runs filtering", "--mode", "keyword", "--json"]) == EXIT_OK
    hits = json.loads(capsys.readouterr().out)
    assert [Path(h["source"]).name for h in hits] == ["a.txt"]  # stemmed: run, filter
    assert main(["search", "runs filtering", "--mode", "keyword"]) == EXIT_OK
    assert "(teacher: keyword search, 0 ms encode + " in capsys.readouterr().out
    argv = ["search", "cat kitchen", "--mode", "hybrid", "--dense-weight", "0.7", "-k", "2"]
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    assert "(teacher: hybrid (weighted, dense 0.7) search, " in out
    assert main(["search", "cat", "--rrf-k", "5"]) == EXIT_ERROR
    assert "only apply to --mode hybrid" in capsys.readouterr().err


def test_the_default_mode_comes_from_the_environment(cli_env, capsys, monkeypatch) -> None:
    assert index(str(write_files(cli_env / "docs", FILES))) == EXIT_OK
    monkeypatch.setenv("DISTILSEARCH_SEARCH_MODE", "keyword")
    capsys.readouterr()
    assert main(["search", "sink"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "a.txt" in out and "(teacher: keyword search" in out
    assert main(["search", "sink", "--mode", "dense"]) == EXIT_OK
    assert "(teacher: dense search" in capsys.readouterr().out


def test_rebuild_recreates_the_collection_from_the_given_paths_only(cli_env, capsys) -> None:
    assert index(str(write_files(cli_env / "first", FILES))) == EXIT_OK
    second = write_files(cli_env / "second", {"c.txt": "The dog sleeps in the kitchen."})
    capsys.readouterr()
    assert index(str(second), "--rebuild") == EXIT_OK
    captured = capsys.readouterr()
    assert "only files under the given paths come back" in captured.err
    assert str(cli_env / "data" / "uploads") in captured.err
    assert "dropping collection docs_teacher (2 chunks)" in captured.err
    assert "1 indexed" in captured.out
    assert main(["search", "dog", "--json", "-k", "10"]) == EXIT_OK
    hits = json.loads(capsys.readouterr().out)
    assert [Path(h["source"]).name for h in hits] == ["c.txt"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--mode", "dense", "--fusion", "rrf"], "--fusion only apply to --mode hybrid"),
        (["--mode", "hybrid", "--fusion", "rrf", "--dense-weight", "0.3"], "--dense-weight"),
        (["--mode", "hybrid", "--fusion", "weighted", "--rrf-k", "5"], "--rrf-k applies"),
        (["--mode", "hybrid", "--rrf-k", "0"], "rrf_k must be in [1, 16383]"),
        (["--mode", "hybrid", "--dense-weight", "2"], "dense_weight must be in [0, 1]"),
    ],
)
def test_contradicting_fusion_flags_are_one_clear_line(cli_env, capsys, flags, message) -> None:
    assert main(["search", "anything", *flags]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("distilsearch search: error:") and message in err
    assert not (cli_env / "data").exists()  # refused before the store was opened


def test_help_says_what_rebuild_loses(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["index", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Only files under the given PATHS come back" in text
    assert "No confirmation is asked" in text


def test_indexing_again_upgrades_an_old_collection_and_keeps_its_chunks(
    cli_env, capsys, monkeypatch
) -> None:
    teacher = encoders.build_encoder("teacher", None)
    store = keyword_index({"old.txt": "cat"}, teacher, store=old_collections_store("docs_teacher"))
    monkeypatch.setattr(usecases.indexing, "store_for", lambda *_args: store)
    monkeypatch.setattr(service_module, "store_for", lambda *_args: store)
    assert main(["search", "cat", "--mode", "keyword"]) == EXIT_ERROR
    assert "distilsearch upgrade" in capsys.readouterr().err
    assert main(["search", "cat", "--mode", "dense"]) == EXIT_OK  # dense keeps working
    docs = write_files(cli_env / "docs", FILES)
    assert index(str(docs)) == EXIT_OK
    err = capsys.readouterr().err
    assert "collection docs_teacher has no full-text field: adding it in place" in err
    assert "full text added" in err  # indexing again upgrades, keeping what was there
    assert main(["search", "filter", "--mode", "keyword", "--json"]) == EXIT_OK
    hits = json.loads(capsys.readouterr().out)
    assert [Path(h["source"]).name for h in hits] == ["a.txt"]
    assert "old.txt" in {Path(s).name for s in store.sources("docs_teacher")}  # kept
