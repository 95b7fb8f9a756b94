"""``distilsearch demo`` indexes every encoder it makes, so the UI offers no unindexed one."""

from __future__ import annotations

from pathlib import Path

import pytest

import shell.demo_command as demo_command
import usecases.demo as demo
from distill.config import DistillConfig
from distill.export import update_meta
from shell.cli import EXIT_OK, main
from tests.support.fakes import write_distill_meta
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

    def distil(config, _data, out: Path, _settings, run) -> DistillOutcome:
        calls["steps"] = [config.steps]
        calls["exports"] = [*run.backends, *run.teacher_backends]
        out.mkdir(parents=True)
        (out.parent / "student-openvino-int8").mkdir()
        frontier = {"rows": [], "threshold": 0.8, "recommended": "student-openvino-int8"}
        write_distill_meta(out, "abc")
        update_meta(out, frontier=frontier)
        return DistillOutcome(out, None)

    def index(_settings, request: IndexRequest) -> int:
        calls["encoders"] = list(request.encoders)
        calls["include"] = list(request.include)
        return EXIT_OK

    monkeypatch.setattr(demo, "fetch_django_docs", lambda dest: dest)
    monkeypatch.setattr(demo, "distill_student", distil)
    monkeypatch.setattr(demo_command, "index_and_print", index)
    return calls


def test_demo_indexes_the_teacher_and_the_recommended_encoder(recorded) -> None:
    assert main(["demo", "--no-serve"]) == EXIT_OK
    assert recorded["encoders"] == ["teacher", "student-openvino-int8"]
    assert recorded["steps"] == [DistillConfig().steps]  # a work budget, not minutes
    assert {"openvino-int8", "onnx-int8"} <= set(recorded["exports"])


def test_demo_without_distilling_indexes_the_teacher_only(recorded) -> None:
    assert main(["demo", "--no-serve", "--distill-steps", "0"]) == EXIT_OK
    assert recorded["encoders"] == ["teacher"]
