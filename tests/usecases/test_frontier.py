"""The frontier on the user's documents: which encoders get a row, and which one is
recommended (the fastest whose agreement clears the threshold)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from core.settings import load_settings
from tests.support.paths import REPO
from usecases.frontier import (
    RECOMMEND_AT,
    FrontierRow,
    candidates,
    frontier_block,
    registry_names,
)


def row(name: str, speed: float, agreement: float) -> FrontierRow:
    return FrontierRow(name, "teacher", 10.0 * speed, speed, agreement)


def test_the_fastest_encoder_above_the_threshold_is_recommended() -> None:
    block = frontier_block(
        [
            row("teacher", 1.0, 1.0),
            row("student-openvino-int8", 5.0, RECOMMEND_AT - 0.01),
            row("student", 1.5, RECOMMEND_AT + 0.1),
            row("teacher-openvino-int8", 3.0, RECOMMEND_AT + 0.05),
        ]
    )
    assert [r["encoder"] for r in block["rows"]] == [
        "teacher",
        "student",
        "teacher-openvino-int8",
        "student-openvino-int8",
    ]
    assert block["recommended"] == "teacher-openvino-int8"
    assert [r["recommended"] for r in block["rows"]] == [False, False, True, False]
    assert frontier_block([row("student", 2.0, 0.1)])["recommended"] is None


def test_rows_cover_every_encoder_on_disk(tmp_path: Path) -> None:
    settings = load_settings({"DISTILSEARCH_MODELS_DIR": str(tmp_path)})
    for name in ("student", "student-openvino-int8", "teacher-onnx", "teacher-onnx-int8"):
        (tmp_path / name).mkdir()
    student = tmp_path / "student"
    pairs = candidates(settings, student)
    assert pairs[:3] == [
        ("teacher", "teacher"),
        ("teacher-onnx", "teacher-onnx"),
        ("teacher-onnx-int8", "teacher-onnx-int8"),
    ]
    assert pairs[3:] == [
        (str(student), "teacher"),
        (str(tmp_path / "student-openvino-int8"), "teacher"),
    ]
    names = registry_names(student, tmp_path)
    assert names(str(tmp_path / "student-openvino-int8")) == "student-openvino-int8"
    elsewhere = registry_names(tmp_path / "mine", tmp_path)
    assert elsewhere(str(tmp_path / "mine-onnx-int8")) == str(tmp_path / "mine-onnx-int8")


def test_the_recommended_encoder_becomes_the_default_for_index_and_search(
    tmp_path: Path, capsys
) -> None:
    from distill.export import update_meta
    from shell.index_command import default_encoder
    from tests.support.fakes import write_distill_meta
    from usecases.frontier import recommended_encoder

    settings = load_settings({"DISTILSEARCH_MODELS_DIR": str(tmp_path)})
    assert recommended_encoder(settings) is None and default_encoder(settings) == "teacher"
    student = write_distill_meta(tmp_path / "student", "abc")
    update_meta(student, frontier={"rows": [], "recommended": "student-openvino-int8"})
    assert recommended_encoder(settings) is None  # its folder is not there
    (tmp_path / "student-openvino-int8").mkdir()
    assert recommended_encoder(settings) == "student-openvino-int8"
    assert default_encoder(settings) == "student-openvino-int8"
    assert "distill recommended on your documents" in capsys.readouterr().err
    chosen = load_settings(
        {"DISTILSEARCH_MODELS_DIR": str(tmp_path), "DISTILSEARCH_ENCODER": "student"}
    )
    assert default_encoder(chosen) == "student"  # an explicit choice wins


def test_the_threshold_is_the_one_the_suite_measured_for_the_shipped_estimate() -> None:
    # RECOMMEND_AT is the report's threshold (benchmarks/frontier.py report), rounded down to
    # two decimals; a rerun that moves it must move the constant too.
    ranking = json.loads((REPO / "docs/results/agreement_vs_retention.json").read_text())
    assert ranking["shipped"] == "probe_overlap"
    assert math.floor(ranking["threshold"] * 100) / 100 == RECOMMEND_AT
