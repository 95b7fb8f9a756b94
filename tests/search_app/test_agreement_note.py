"""The student's recorded agreement with its teacher: ``SearchService.agreement`` and the
Search and Compare pages (AppTest over an in-memory index of keyword fakes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import search_app.components as components
from evaluation.agreement import AgreementEstimate, SystemAgreement
from tests.support.app_pages import run_page
from tests.support.fakes import KeywordEncoder, keyword_index, write_distill_meta
from tests.support.services import fake_service
from usecases.search import SearchService

DOCS = {"a.txt": "cat cat dog", "b.txt": "bird bird cat", "c.txt": "dog"}
VERDICT = (
    "On your documents the student agrees with the teacher on 8 of 10 results "
    "(9 of 10 with teacher queries), estimated from 200 sentences of your passages."
)


def estimate_block(**extra) -> dict:
    systems = {
        "teacher": SystemAgreement(1.0, 1.0, 0.9),
        "student": SystemAgreement(0.78, 0.7, 0.8),
        "student docs + teacher queries": SystemAgreement(0.86, 0.8, 0.85),
    }
    return {**AgreementEstimate(200, 2000, systems).to_dict(), **extra}


def make_service(tmp_path: Path, block: dict | None) -> SearchService:
    """Keyword teacher and student, both indexed; the student's metadata names the
    teacher and holds ``block`` under "agreement" (none when None)."""
    teacher = KeywordEncoder(["cat", "dog", "fish"], name="teacher")
    folder = write_distill_meta(tmp_path / "models" / "student", teacher.fingerprint)
    if block is not None:
        meta = json.loads((folder / "distill_meta.json").read_text())
        (folder / "distill_meta.json").write_text(json.dumps({**meta, "agreement": block}))
    student = KeywordEncoder(["cat", "dog", "bird"], name="student", model_dir=folder)
    store = keyword_index(DOCS, student, teacher)
    encoders = {"teacher": teacher, "student": student}
    return fake_service(tmp_path, store, encoders, DISTILSEARCH_ENCODER="student")[0]


def test_the_service_rebuilds_the_verdict_from_the_figures(tmp_path: Path) -> None:
    service = make_service(tmp_path, estimate_block(verdict="<script>x</script>"))
    assert service.agreement("student") == VERDICT  # the file's own sentence is not used
    assert service.agreement("teacher") is None  # no distill_meta.json
    assert service.agreement("student-int8") is None  # no such model


@pytest.mark.parametrize(
    "block",
    [
        None,
        {"systems": {}},
        estimate_block(n_queries="many"),
        {
            **estimate_block(),
            "systems": {"student": {"overlap_at_10": 7, "rbo": 0, "self_hit_at_10": 0}},
        },
    ],
    ids=["none", "no-counts", "bad-count", "out-of-range"],
)
def test_missing_or_malformed_estimates_show_nothing(tmp_path: Path, block) -> None:
    assert make_service(tmp_path, block).agreement("student") is None


@pytest.fixture
def app_service(monkeypatch, tmp_path):
    """The pages get the keyword service instead of one over Milvus."""
    service = make_service(tmp_path, estimate_block())
    monkeypatch.setattr(components, "get_service", lambda: service)
    return service


def captions(app: AppTest) -> str:
    return "\n".join(c.value for c in app.caption).replace("\\", "")


def test_search_page_shows_the_students_agreement_whichever_system_is_picked(
    app_service,
) -> None:
    app = run_page()
    # DISTILSEARCH_ENCODER=student: its index with its teacher's queries, the default
    assert app.selectbox[0].value == "student docs + teacher queries"
    app.text_input[0].input("cat")
    app.button[0].click()
    app.run()
    assert not app.exception, app.exception
    shown = captions(app)
    assert f"student: {VERDICT}" in shown
    assert (
        "Searched with student docs + teacher queries: the default for a distilled student" in shown
    )
    app.selectbox[0].set_value("teacher")
    app.button[0].click()
    app.run()
    shown = captions(app)
    assert f"student: {VERDICT}" in shown  # the student is indexed: its note stays
    assert "Searched with teacher: chosen (the default is student)." in shown


def test_compare_page_shows_the_students_agreement(app_service) -> None:
    app = run_page("compare")
    assert (app.selectbox[0].value, app.selectbox[1].value) == (
        "student docs + teacher queries",
        "teacher",
    )
    app.text_input[0].input("cat dog")
    app.button[0].click()
    app.run()
    assert not app.exception, app.exception
    assert captions(app).count(VERDICT) == 1


def test_index_page_shows_each_students_record_frontier_and_training(monkeypatch, tmp_path):
    service = make_service(tmp_path, estimate_block())
    meta_path = tmp_path / "models" / "student" / "distill_meta.json"
    meta = json.loads(meta_path.read_text())
    frontier = {
        "rows": [
            {
                "encoder": "student",
                "queries": "teacher",
                "docs_per_s": 80.0,
                "speed_ratio": 2.5,
                "agreement": None,
                "recommended": True,
            },
        ],
        "threshold": 0.8,
        "recommended": "student",
    }
    meta.update(training={"undertrained": True}, frontier=frontier)
    meta_path.write_text(json.dumps(meta))
    monkeypatch.setattr(components, "get_service", lambda: service)
    app = run_page("index")
    assert not app.exception, app.exception
    assert "#### Student `student`" in [m.value for m in app.markdown]
    assert VERDICT in captions(app)
    assert "student is under-trained" in " ".join(w.value for w in app.warning).replace("\\", "")
    table = next(d.value for d in app.dataframe if "agreement" in d.value.columns)
    assert table["agreement"].tolist() == ["—"] and table["recommended"].tolist() == ["yes"]
    assert "(agreement threshold 0.80)" in captions(app)
