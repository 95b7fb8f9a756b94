"""``distilsearch distill`` end to end on a tiny teacher, and its argument errors."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from encoders.resolve import fingerprint
from encoders.variants import SOURCE_FINGERPRINT, read_variant
from shell.cli import build_parser, main
from tests.support.tiny_models import tiny_corpus, tiny_teacher


def test_distill_registers_and_trains(tmp_path: Path, settings, capsys) -> None:
    _parser, handlers = build_parser()
    assert "distill" in handlers
    teacher = tiny_teacher(tmp_path / "t", layers=4)
    corpus = tiny_corpus(tmp_path / "corpus.jsonl", docs=30)
    out = tmp_path / "models" / "student"
    argv = ["distill", "--teacher", str(teacher), "--data", str(corpus), "--out", str(out)]
    argv += ["--steps", "2", "--batch-size", "4", "--max-seq-length", "16", "--layer-map", "1,3"]
    assert main(argv) == 0
    meta = json.loads((out / "distill_meta.json").read_text())
    assert meta["layer_map"] == [1, 3] and (tmp_path / "models" / "student-int8").is_dir()
    assert (tmp_path / "models" / "student.ckpt" / "checkpoint.pt").is_file()
    marker = read_variant(tmp_path / "models" / "teacher-onnx")  # for teacher-query mode
    assert marker and marker[SOURCE_FINGERPRINT] == fingerprint(teacher)
    assert "onnx teacher" in capsys.readouterr().out
    assert main([*argv, "--reuse"]) == 0
    printed = capsys.readouterr().out
    assert "reusing" in printed and "onnx teacher" not in printed  # already exported


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--layer-map", "0,x"], "comma-separated"),
        (["--alpha-ce", "-1"], "alpha_ce"),
        (["--layer-map", "0,9"], "teacher has 4 layers"),
        (["--teacher-backends", "onnx-int9"], "--teacher-backends: unknown ['onnx-int9']"),
        (["--query-kinds", "title,haiku"], "query_kinds"),
    ],
)
def test_bad_arguments_are_clear_errors(tmp_path: Path, extra, message, capsys) -> None:
    teacher = tiny_teacher(tmp_path / "t", layers=4)
    corpus = tiny_corpus(tmp_path / "corpus.jsonl", docs=8)
    argv = ["distill", "--teacher", str(teacher), "--data", str(corpus), "--steps", "1"]
    assert main([*argv, "--out", str(tmp_path / "o"), *extra]) == 1
    assert message in capsys.readouterr().err


def test_missing_data_is_reported(tmp_path: Path, capsys) -> None:
    assert main(["distill", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "o")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_cli_module_import_stays_light() -> None:
    code = (
        "import sys, shell.distill_command; "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
    assert time.perf_counter() - start < 30


def test_the_frontier_table_shows_whole_registry_names() -> None:
    from shell.distill_command import frontier_table

    row = {
        "encoder": "teacher-openvino-int8",
        "queries": "teacher-openvino-int8",
        "docs_per_s": 88.9,
        "speed_ratio": 2.33,
        "agreement": 0.8,
        "recommended": True,
    }
    table = frontier_table({"rows": [row], "recommended": row["encoder"], "threshold": 0.87})
    assert table.splitlines()[1].split()[:2] == ["teacher-openvino-int8"] * 2
