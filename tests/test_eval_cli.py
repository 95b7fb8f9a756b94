"""``distilsearch eval``: errors, and a run through Milvus Lite with a keyword encoder."""

from __future__ import annotations

import json
import math
from pathlib import Path
from urllib.error import URLError

import pytest

import indexer.encoders
from indexer.cli import main
from indexer.evaluation import beir
from indexer.evaluation.cli import parse_encoders
from tests.fakes import KeywordEncoder
from tests.test_eval_beir import TINY_VOCAB, write_tiny_beir


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DISTILSEARCH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("MILVUS_URI", raising=False)


def test_parse_encoders() -> None:
    assert parse_encoders(" teacher, student-int8 ,") == ("teacher", "student-int8")
    assert parse_encoders("") == ()


def test_missing_dataset_dir(tmp_path: Path, capsys) -> None:
    status = main(["eval", "--dataset", str(tmp_path / "missing"), "--bm25", "--encoders", ""])
    assert status == 1
    assert "neither a directory nor a BEIR dataset name" in capsys.readouterr().err


def test_beir_name_offline(tmp_path: Path, capsys, monkeypatch) -> None:
    def offline(*_args, **_kwargs):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(beir, "urlopen", offline)
    assert main(["eval", "--dataset", "scifact", "--encoders", "", "--bm25"]) == 1
    err = capsys.readouterr().err
    assert "cannot download BEIR dataset 'scifact'" in err and "offline" in err
    assert "Traceback" not in err


def test_student_without_a_model_is_a_clear_error(tmp_path: Path, capsys) -> None:
    root = write_tiny_beir(tmp_path / "tiny")
    status = main(["eval", "--dataset", str(root), "--encoders", "teacher,student"])
    assert status == 1
    err = capsys.readouterr().err
    assert "encoder 'student' needs a distilled model" in err and "distilsearch distill" in err


def test_bad_flag_combination(tmp_path: Path, capsys) -> None:
    root = write_tiny_beir(tmp_path / "tiny")
    assert main(["eval", "--dataset", str(root), "--hybrid"]) == 1
    assert "--hybrid" in capsys.readouterr().err


def test_run_through_milvus_lite(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(
        indexer.encoders, "build_encoder", lambda name, *_a, **_k: KeywordEncoder(TINY_VOCAB, name)
    )
    root = write_tiny_beir(tmp_path / "tiny")
    out = tmp_path / "reports" / "tiny"
    argv = ["eval", "--dataset", str(root), "--encoders", "teacher", "--bm25", "--hybrid",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "| system | ndcg@10 |" in printed and "| teacher+bm25 |" in printed
    data = json.loads((out / "report.json").read_text())
    teacher = data["systems"]["teacher"]
    # d1..d4 tie at 0 for q3 in Milvus: only q1 and q2 are fully determined
    assert teacher["per_query"]["q1"]["ndcg@10"] == pytest.approx(1 / math.log2(3))
    assert teacher["per_query"]["q2"]["ndcg@10"] == pytest.approx(1.0)
    assert teacher["efficiency"]["index_bytes"] > 0
    assert teacher["efficiency"]["index_reused"] is False
    assert (tmp_path / "data" / "eval" / "milvus.db").exists()  # the eval's own Lite file
    assert main(argv) == 0  # second run reuses the collection
    data = json.loads((out / "report.json").read_text())
    assert data["systems"]["teacher"]["efficiency"]["index_reused"] is True
