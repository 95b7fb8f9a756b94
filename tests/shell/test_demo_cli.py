"""``distilsearch demo`` indexes every encoder it makes, so the UI offers no unindexed one."""

from __future__ import annotations

from pathlib import Path

import pytest

import shell.demo_command as demo
from shell.cli import EXIT_OK, main


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch) -> dict[str, list[str]]:
    """The demo's steps stubbed: the docs folder, a distilled student with its int8
    export on disk, and what ``index_paths`` was asked to index with."""
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DISTILSEARCH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("MILVUS_URI", raising=False)
    calls: dict[str, list[str]] = {}

    def distil(_config, _data, out: Path, _settings, _run) -> int:
        out.mkdir(parents=True)
        (out.parent / "student-int8").mkdir()
        return EXIT_OK

    def index(_settings, _paths, encoders, include) -> int:
        calls["encoders"] = list(encoders)
        return EXIT_OK

    monkeypatch.setattr(demo, "fetch_django_docs", lambda dest: dest)
    monkeypatch.setattr(demo, "distill_student", distil)
    monkeypatch.setattr(demo, "index_paths", index)
    return calls


def test_demo_indexes_teacher_student_and_int8(recorded) -> None:
    assert main(["demo", "--no-serve"]) == EXIT_OK
    assert recorded["encoders"] == ["teacher", "student", "student-int8"]


def test_demo_without_distilling_indexes_the_teacher_only(recorded) -> None:
    assert main(["demo", "--no-serve", "--distill-minutes", "0"]) == EXIT_OK
    assert recorded["encoders"] == ["teacher"]
