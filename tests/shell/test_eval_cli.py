"""``distilsearch eval``: errors, and a run through Milvus Lite with a keyword encoder."""

from __future__ import annotations

import json
import math
from pathlib import Path
from urllib.error import URLError

import pytest

import encoders.registry
import usecases.evaluating
from evaluation import beir
from shell.cli import main
from shell.eval_command import parse_encoders, parse_fusions, parse_systems
from tests.support.beir_factory import TINY_VOCAB, write_tiny_beir
from tests.support.fakes import KeywordEncoder, write_distill_meta


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DISTILSEARCH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("MILVUS_URI", raising=False)


def patch_build_encoder(monkeypatch, build) -> None:
    """Make the command build ``build``'s encoders: the evaluation use case imports
    ``build_encoder`` from the ``encoders`` package, which holds its own reference to the
    registry's function."""
    monkeypatch.setattr(encoders, "build_encoder", build)
    monkeypatch.setattr(encoders.registry, "build_encoder", build)
    monkeypatch.setattr(usecases.evaluating, "build_encoder", build)


def test_parse_encoders() -> None:
    assert parse_encoders(" teacher, student-int8 ,") == ("teacher", "student-int8")
    assert parse_encoders("") == ()


def test_parse_systems() -> None:
    systems = parse_systems("teacher, student : teacher,")
    assert [str(s) for s in systems] == ["teacher", "student:teacher"]
    assert [s.label for s in systems] == ["teacher", "student docs + teacher queries"]


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
    patch_build_encoder(monkeypatch, lambda name, *_a, **_k: KeywordEncoder(TINY_VOCAB, name))
    root = write_tiny_beir(tmp_path / "tiny")
    out = tmp_path / "reports" / "tiny"
    argv = [
        "eval",
        "--dataset",
        str(root),
        "--encoders",
        "teacher",
        "--bm25",
        "--hybrid",
        "--out",
        str(out),
    ]
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


PAIRED = "student docs + teacher queries"


def fake_models(tmp_path: Path, monkeypatch, teacher_fingerprint: str | None) -> None:
    """``teacher`` and a ``student`` folder under the models dir whose distill_meta.json
    names ``teacher_fingerprint``; ``build_encoder`` returns keyword encoders (the student
    with the vocabulary permuted, its ``model_dir`` that folder)."""
    student_dir = write_distill_meta(tmp_path / "models" / "student", teacher_fingerprint)
    permuted = [TINY_VOCAB[1], TINY_VOCAB[0], *TINY_VOCAB[2:]]

    def build(name, *_args, **_kwargs):
        if name == "student":
            return KeywordEncoder(permuted, name, model_dir=student_dir)
        return KeywordEncoder(TINY_VOCAB, name)

    patch_build_encoder(monkeypatch, build)


@pytest.mark.parametrize("spec", ["a:b:c", "student:", ":teacher", "teacher,student::teacher"])
def test_a_bad_system_spec_is_a_clear_error(tmp_path: Path, capsys, spec: str) -> None:
    root = write_tiny_beir(tmp_path / "tiny")
    assert main(["eval", "--dataset", str(root), "--encoders", spec]) == 1
    err = capsys.readouterr().err
    assert "bad system" in err and "student:teacher" in err and "Traceback" not in err


@pytest.mark.parametrize("spec", ["student:teacher", "teacher:student"])
def test_both_sides_of_a_pair_need_a_model(tmp_path: Path, capsys, spec: str) -> None:
    root = write_tiny_beir(tmp_path / "tiny")
    assert main(["eval", "--dataset", str(root), "--encoders", spec]) == 1
    assert "encoder 'student' needs a distilled model" in capsys.readouterr().err


def test_an_unpaired_student_is_a_clear_error(tmp_path: Path, capsys, monkeypatch) -> None:
    fake_models(tmp_path, monkeypatch, "0123456789abcdef")  # distilled from another teacher
    root = write_tiny_beir(tmp_path / "tiny")
    out = tmp_path / "reports" / "tiny"
    argv = [
        "eval",
        "--dataset",
        str(root),
        "--encoders",
        "teacher,student:teacher",
        "--out",
        str(out),
    ]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "is not the teacher" in err and "0123456789abcdef" in err
    assert "Traceback" not in err and not out.exists()


def test_teacher_queries_on_the_student_through_milvus_lite(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    fake_models(tmp_path, monkeypatch, KeywordEncoder(TINY_VOCAB).fingerprint)
    root = write_tiny_beir(tmp_path / "tiny")
    out = tmp_path / "reports" / "tiny"
    argv = [
        "eval",
        "--dataset",
        str(root),
        "--encoders",
        "teacher,student,student:teacher",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert f"evaluating teacher, student, {PAIRED} on tiny/test" in printed
    assert f"| {PAIRED} |" in printed
    data = json.loads((out / "report.json").read_text())
    assert list(data["systems"]) == ["teacher", "student", PAIRED]
    assert data["config"]["encoders"] == ["teacher", "student", "student:teacher"]
    paired = data["systems"][PAIRED]
    # teacher "cat" meets the student's swapped axes: d3 first, relevant d2 second
    assert paired["per_query"]["q1"]["ndcg@10"] == pytest.approx(1 / math.log2(3))
    assert paired["per_query"]["q2"]["mrr@10"] == pytest.approx(1 / 2)  # d1, then d2
    eff = paired["efficiency"]
    assert eff["index_reused"] is True and eff["query_encoder"] == "teacher"
    assert eff["collection"] == data["systems"]["student"]["efficiency"]["collection"]
    assert data["fidelity"][PAIRED]["reference"] == "teacher"


def test_parse_fusions() -> None:
    fusions = parse_fusions(" rrf:60 , weighted:0.5,rrf:20,weighted:1,weighted:.3")
    assert [(f.kind, f.rrf_k, f.dense_weight) for f in fusions] == [
        ("rrf", 60, 0.5),
        ("weighted", 60, 0.5),
        ("rrf", 20, 0.5),
        ("weighted", 60, 1.0),
        ("weighted", 60, 0.3),
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "give comma-separated rrf:K"),
        ("rrf:60,", "give comma-separated rrf:K"),
        ("rrf", "bad fusion 'rrf': use rrf:K"),
        ("rrf:", "bad fusion 'rrf:'"),
        ("rrf:6.0", "bad fusion 'rrf:6.0'"),
        ("rrf:1e3", "bad fusion 'rrf:1e3'"),
        ("rrf:0", "rrf_k must be in [1, 16383], got 0"),
        ("rrf:16384", "rrf_k must be in [1, 16383]"),
        ("weighted:1.5", "dense_weight must be in [0, 1], got 1.5"),
        ("weighted:-0.1", "bad fusion 'weighted:-0.1'"),
        ("weighted:nan", "bad fusion 'weighted:nan'"),
        ("RRF:60", "bad fusion 'RRF:60'"),
        ("hnsw:16", "bad fusion 'hnsw:16'"),
        ("rrf:60,weighted:0.5,rrf:60", "'rrf:60' is listed twice"),
        ("weighted:0.5,weighted:0.50", "'weighted:0.50' is listed twice"),
    ],
)
def test_parse_fusions_is_strict(raw: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_fusions(raw)
    assert message in str(caught.value) and "--milvus-hybrid" in str(caught.value)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--milvus-hybrid", "rrf:sixty"], "bad fusion 'rrf:sixty'"),
        (["--milvus-hybrid", ""], "give comma-separated"),
        (["--encoders", "", "--bm25", "--milvus-bm25"], "name at least one encoder"),
        (["--encoders", "", "--bm25", "--milvus-hybrid", "rrf:60"], "name at least one encoder"),
    ],
)
def test_bad_milvus_flags_are_clear_errors(tmp_path: Path, capsys, extra, message) -> None:
    root = write_tiny_beir(tmp_path / "tiny")
    assert main(["eval", "--dataset", str(root), *extra]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "data" / "eval").exists()  # failed before opening a store


def test_milvus_bm25_and_hybrid_through_milvus_lite(tmp_path: Path, capsys, monkeypatch) -> None:
    patch_build_encoder(monkeypatch, lambda name, *_a, **_k: KeywordEncoder(TINY_VOCAB, name))
    root = write_tiny_beir(tmp_path / "tiny")
    out = tmp_path / "reports" / "tiny"
    argv = [
        "eval",
        "--dataset",
        str(root),
        "--encoders",
        "teacher",
        "--bm25",
        "--milvus-bm25",
        "--milvus-hybrid",
        "rrf:60,weighted:0.5",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    names = "teacher, bm25, milvus-bm25, teacher+milvus-rrf60, teacher+milvus-weighted0.5"
    assert f"evaluating {names} on tiny/test" in printed
    for name in ("milvus-bm25", "teacher+milvus-rrf60", "teacher+milvus-weighted0.5"):
        assert f"| {name} |" in printed
    assert "| milvus-bm25 | bm25 | 3 | 1.000 | 1.000 | 1.000 |" in printed  # agreement row
    data = json.loads((out / "report.json").read_text())
    assert list(data["systems"]) == [
        "teacher",
        "bm25",
        "milvus-bm25",
        "teacher+milvus-rrf60",
        "teacher+milvus-weighted0.5",
    ]
    assert data["systems"]["milvus-bm25"]["per_query"]["q1"]["ndcg@10"] == pytest.approx(
        1 / math.log2(3)
    )
    assert data["bm25_agreement"]["overlap@10"] == 1.0
    assert data["config"]["milvus_bm25"] is True
    assert data["config"]["milvus_hybrid"] == [
        {"kind": "rrf", "rrf_k": 60, "dense_weight": 0.5},
        {"kind": "weighted", "rrf_k": 60, "dense_weight": 0.5},
    ]
    teacher = data["systems"]["teacher"]["efficiency"]
    assert 0 < teacher["index_bytes"] < teacher["store_file_bytes"]
