"""``distilsearch search --query-encoder``: teacher-query mode from the terminal (fakes).

The student's vocabulary is (cat, dog, bird), the teacher's (cat, dog, fish): "fish"
encoded by the teacher finds the student's "bird" document.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import usecases.search as service_module
from shell.cli import EXIT_ERROR, EXIT_OK, main
from tests.support.fakes import KeywordEncoder, keyword_index, write_distill_meta

DOCS = {"a.txt": "cat cat dog", "b.txt": "bird bird cat", "c.txt": "dog"}


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch) -> dict[str, KeywordEncoder]:
    """The student's index in memory, and the registry handing out keyword encoders."""
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DISTILSEARCH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("MILVUS_URI", raising=False)
    teacher = KeywordEncoder(["cat", "dog", "fish"], name="teacher")
    folder = write_distill_meta(tmp_path / "models" / "student", teacher.fingerprint)
    student = KeywordEncoder(["cat", "dog", "bird"], name="student", model_dir=folder)
    store = keyword_index(DOCS, student)
    encoders = {"teacher": teacher, "student": student}
    monkeypatch.setattr(service_module, "store_for", lambda *_args: store)
    monkeypatch.setattr(service_module, "build_encoder", lambda name, _s: encoders[name])
    return encoders


def test_search_with_teacher_queries(cli_env, capsys) -> None:
    argv = ["search", "fish", "--encoder", "student", "--query-encoder", "teacher", "-k", "1"]
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["1.", "0.894", "b.txt"]  # 2/√5
    assert "(student docs + teacher queries:" in out
    assert main([*argv, "--json"]) == EXIT_OK
    hits = json.loads(capsys.readouterr().out)
    assert [h["source"] for h in hits] == ["b.txt"]


def test_a_student_is_searched_with_teacher_queries_by_default(cli_env, capsys) -> None:
    assert main(["search", "cat", "--encoder", "student", "-k", "1"]) == EXIT_OK
    assert "(student docs + teacher queries: " in capsys.readouterr().out


def test_student_only_queries_are_one_flag_away(cli_env, capsys) -> None:
    argv = ["search", "cat", "--encoder", "student", "--query-encoder", "student", "-k", "1"]
    assert main(argv) == EXIT_OK
    assert "(student: " in capsys.readouterr().out


def test_an_unpaired_student_is_one_clear_line(cli_env, capsys) -> None:
    (cli_env["student"].model_dir / "distill_meta.json").unlink()
    argv = ["search", "fish", "--encoder", "student", "--query-encoder", "teacher"]
    assert main(argv) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("distilsearch search: error:") and "distill_meta.json" in err
    assert "Traceback" not in err
