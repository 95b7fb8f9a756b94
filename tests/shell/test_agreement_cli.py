"""The agreement estimate after ``distilsearch distill`` and ``distilsearch agreement`` on
demand, with tiny models (a random 4-layer teacher, a 2-layer student, 2 steps)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.agreement import DEFAULT_MAX_PASSAGES, DEFAULT_MAX_QUERIES, TEACHER_QUERIES
from shell import agreement_command
from shell.cli import build_parser, main
from tests.support.tiny_models import tiny_corpus, tiny_teacher
from usecases.agreement import TRAINING_CORPUS

SYSTEMS = {"teacher", "student", TEACHER_QUERIES}


@pytest.fixture(scope="module")
def distilled(tmp_path_factory) -> dict[str, Path]:
    """A tiny student distilled (and estimated) once for the module."""
    root = tmp_path_factory.mktemp("agreement")
    teacher = tiny_teacher(root / "t", layers=4)
    corpus = tiny_corpus(root / "corpus.jsonl", docs=30)
    out = root / "models" / "student"
    argv = ["distill", "--teacher", str(teacher), "--data", str(corpus), "--out", str(out)]
    argv += ["--steps", "2", "--batch-size", "4", "--max-seq-length", "16", "--layer-map", "1,3"]
    assert main(argv) == 0
    int8 = root / "models" / "student-int8"
    return {"teacher": teacher, "corpus": corpus, "out": out, "int8": int8}


def meta(folder: Path) -> dict:
    return json.loads((folder / "distill_meta.json").read_text())


def test_distill_records_the_estimate_in_both_exports(distilled) -> None:
    fp32, int8 = meta(distilled["out"])["agreement"], meta(distilled["int8"])["agreement"]
    for block in (fp32, int8):
        assert set(block["systems"]) == SYSTEMS
        assert block["n_queries"] > 0 and block["n_passages"] > 0
        assert block["systems"]["teacher"]["overlap_at_10"] == pytest.approx(1.0)
        assert block["corpus"] == TRAINING_CORPUS
    assert fp32["verdict"].startswith("On your documents the student agrees with the teacher")
    assert int8["verdict"].startswith("On your documents the int8 student agrees")
    assert fp32["verdict"] in (distilled["out"] / "README.md").read_text()


def test_distill_records_the_frontier_on_the_users_documents(distilled) -> None:
    frontier = meta(distilled["out"])["frontier"]
    rows = {row["encoder"]: row for row in frontier["rows"]}
    student = str(distilled["out"])
    assert {"teacher", student, str(distilled["int8"])} <= set(rows)
    assert rows["teacher"]["speed_ratio"] == 1.0 and rows["teacher"]["agreement"] == 1.0
    assert rows[student]["queries"] == "teacher" and 0 <= rows[student]["agreement"] <= 1
    assert all(row["docs_per_s"] > 0 for row in frontier["rows"])
    fastest_clearing = max(
        (r for r in frontier["rows"] if r["agreement"] >= frontier["threshold"]),
        key=lambda r: r["speed_ratio"],
    )
    assert frontier["recommended"] == fastest_clearing["encoder"]


def test_agreement_on_demand_prints_and_writes(distilled, capsys) -> None:
    capsys.readouterr()
    argv = [
        "agreement",
        "--data",
        str(distilled["corpus"]),
        "--student",
        str(distilled["out"]),
        "--max-queries",
        "5",
        "--seed",
        "3",
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("On your documents the student agrees") and "self-hit@10" in printed
    assert main([*argv, "--json", "--write"]) == 0
    shown = json.loads(capsys.readouterr().out.split("\nrecorded in")[0])
    recorded = meta(distilled["out"])["agreement"]
    assert shown == recorded and recorded["n_queries"] == 5 and recorded["seed"] == 3
    assert set(recorded["systems"]) == SYSTEMS  # the teacher came from the student's metadata


def test_writing_needs_a_distilled_student(distilled, capsys) -> None:
    teacher = str(distilled["teacher"])
    argv = ["agreement", "--data", str(distilled["corpus"]), "--student", teacher, "--write"]
    assert main(argv) == 1
    assert "no distill_meta.json" in capsys.readouterr().err


def test_distill_can_skip_the_estimate(tmp_path: Path, capsys) -> None:
    teacher = tiny_teacher(tmp_path / "t", layers=4)
    corpus = tiny_corpus(tmp_path / "corpus.jsonl", docs=12)
    out = tmp_path / "student"
    assert (
        main(
            [
                "distill",
                "--teacher",
                str(teacher),
                "--data",
                str(corpus),
                "--out",
                str(out),
                "--steps",
                "1",
                "--batch-size",
                "4",
                "--max-seq-length",
                "16",
                "--layer-map",
                "1,3",
                "--no-int8",
                "--no-agreement",
            ]
        )
        == 0
    )
    assert "agreement" not in meta(out)
    assert "On your documents" not in capsys.readouterr().out


def test_the_command_is_registered_and_explains_itself(capsys) -> None:
    parser, handlers = build_parser()
    assert "agreement" in handlers
    with pytest.raises(SystemExit):
        parser.parse_args(["agreement", "--help"])
    assert "label-free" in capsys.readouterr().out
    defaults = (agreement_command.MAX_PASSAGES, agreement_command.MAX_QUERIES)
    assert defaults == (DEFAULT_MAX_PASSAGES, DEFAULT_MAX_QUERIES)
