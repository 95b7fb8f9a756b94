"""``distilsearch demo`` indexes every encoder it makes, so the UI offers no unindexed one."""

from __future__ import annotations

from pathlib import Path

import pytest

import shell.demo_command as demo_command
import usecases.demo as demo
from shell.cli import EXIT_OK, main
from usecases.distilling import DistillOutcome
from usecases.indexing import IndexRequest


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch) -> dict[str, list[str]]:
    """The demo's steps stubbed: the docs folder, a distilled student with its int8
    export on disk, and what ``index_paths`` was asked to index with."""
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DISTILSEARCH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("MILVUS_URI", raising=False)
    calls: dict[str, list[str]] = {}

    def distil(_config, _data, out: Path, _settings, _run) -> DistillOutcome:
        out.mkdir(parents=True)
        (out.parent / "student-int8").mkdir()
        return DistillOutcome(out, None)

    def index(_settings, request: IndexRequest) -> int:
        calls["encoders"] = list(request.encoders)
        calls["include"] = list(request.include)
        return EXIT_OK

    monkeypatch.setattr(demo, "fetch_django_docs", lambda dest: dest)
    monkeypatch.setattr(demo, "distill_student", distil)
    monkeypatch.setattr(demo_command, "index_and_print", index)
    return calls


def test_demo_indexes_teacher_student_and_int8(recorded) -> None:
    assert main(["demo", "--no-serve"]) == EXIT_OK
    assert recorded["encoders"] == ["teacher", "student", "student-int8"]


def test_demo_without_distilling_indexes_the_teacher_only(recorded) -> None:
    assert main(["demo", "--no-serve", "--distill-minutes", "0"]) == EXIT_OK
    assert recorded["encoders"] == ["teacher"]
