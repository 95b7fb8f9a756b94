"""Every page of the Streamlit app through AppTest, against a real Milvus Lite index.

The index holds the test docs under the real teacher and a stand-in student (the
teacher cut to three layers, see ``tests/test_app_support.py``); it is built once per
module and copied for each test.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from search_app.resources import get_service
from tests.support.app_builders import build_index, make_beir, student_encoder
from tests.support.app_pages import run_page, table_with, texts
from tests.support.services import point_app_at

QUERY = "how do I write a custom template filter"


@pytest.fixture(scope="module")
def student(tmp_path_factory, teacher):
    return student_encoder(tmp_path_factory.mktemp("models"), teacher)


@pytest.fixture(scope="module")
def built(tmp_path_factory, teacher, student) -> dict[str, Path]:
    """Milvus Lite folders: teacher+student, teacher only (closed after building)."""
    root = tmp_path_factory.mktemp("indexes")
    build_index(root / "both" / "milvus.db", [teacher, student])
    build_index(root / "teacher" / "milvus.db", [teacher])
    return {"both": root / "both", "teacher": root / "teacher"}


@pytest.fixture
def app_env(monkeypatch, tmp_path, teacher, student):
    """Settings into ``tmp_path``; the registry hands out the already loaded encoders."""
    data = tmp_path / "data"
    point_app_at(
        monkeypatch, data, student.model_dir.parent, {"teacher": teacher, "student": student}
    )
    yield data
    get_service.clear()  # closes the store (on_release), which frees the Lite file


def use_index(data: Path, built: Path) -> None:
    shutil.copytree(built, data, dirs_exist_ok=True)


@pytest.mark.parametrize("page", [None, "compare", "ask"])
def test_empty_index_shows_how_to_start(app_env, page):
    app = run_page(page)
    assert "Nothing is indexed yet" in texts(app.info)


def test_search_shows_ranked_hits_with_highlights_and_latency(app_env, built):
    use_index(app_env, built["both"])
    app = run_page()
    assert app.selectbox[0].options == ["student", "teacher"]
    assert app.selectbox[0].value == "teacher"
    app.text_input[0].input(QUERY)
    app.button[0].click()
    app.run()
    assert not app.exception, app.exception
    headers = [m.value for m in app.markdown if m.value.startswith("**1.**")]
    assert headers and "· template\\-filters\\.rst" in headers[0]  # below the folder indexed
    assert any("**" in m.value and "register" in m.value for m in app.markdown[1:])
    assert any("register.filter" in t.value for t in app.text)
    assert "ms search" in texts(app.caption)
    # the int8 student has no collection: not offered, named greyed with its command
    note = "Not offered until indexed: ~~student-int8~~ `distilsearch distill`"
    assert note in texts(app.caption)


def test_search_filters_by_source(app_env, built):
    use_index(app_env, built["both"])
    app = run_page()
    source = next(o for o in app.multiselect[0].options if o.endswith("caching.md"))
    app.multiselect[0].set_value([source])
    app.text_input[0].input(QUERY)
    app.button[0].click()
    app.run()
    headers = [m.value for m in app.markdown if m.value.startswith("**")]
    hits = [h for h in headers if "score" in h]
    assert hits and all("caching\\.md" in h for h in hits)


def test_empty_query_warns(app_env, built):
    use_index(app_env, built["both"])
    app = run_page()
    app.button[0].click()
    app.run()
    assert "Type a query" in texts(app.warning)


def test_compare_side_by_side_with_verdict(app_env, built):
    use_index(app_env, built["both"])
    app = run_page("compare")
    assert (app.selectbox[0].value, app.selectbox[1].value) == ("student", "teacher")
    app.text_input[0].input(QUERY)
    app.button[0].click()
    app.run()
    assert not app.exception, app.exception
    verdict = texts(app.subheader)  # the test docs make 4 chunks: k=10 finds all of them
    assert "student agrees on 4 of 4" in verdict
    assert [m.label for m in app.metric][:2] == ["overlap@10", "mean |rank shift|"]
    assert "teacher latency" in [m.label for m in app.metric]
    table = app.dataframe[0].value
    assert {"A rank", "B rank", "shift", "cos A", "cos B", "emb cos"} <= set(table.columns)
    assert (table["cos B"] != "—").all()  # looked up where not retrieved
    assert table.notna().all().all() and not table.isin(["None", "nan"]).any().any()
    assert "**A** = teacher (reference), **B** = student (candidate)" in texts(app.caption)


def test_compare_with_one_encoder_explains_how_to_index_the_other(app_env, built):
    use_index(app_env, built["teacher"])
    app = run_page("compare")
    assert "--encoder student" in texts(app.info)


def test_ask_answers_with_linked_citations(app_env, built):
    use_index(app_env, built["both"])
    app = run_page("ask")
    app.text_input[0].input("How do I register a custom template filter?")
    app.button[0].click()
    app.run()
    assert not app.exception, app.exception
    answer = next(m.value for m in app.markdown if "](#cite-" in m.value)
    assert "register" in answer
    anchors = [h.proto.anchor for h in app.subheader if h.proto.anchor.startswith("cite-")]
    assert anchors and all(f"](#{a})" in answer for a in anchors)
    assert "extractive" in texts(app.caption)


def write_report(folder: Path) -> None:
    from evaluation import EvalReport, SystemResult

    per_t = {"q1": {"ndcg@10": 1.0, "recall@10": 1.0}, "q2": {"ndcg@10": 0.5, "recall@10": 1.0}}
    per_s = {"q1": {"ndcg@10": 0.25, "recall@10": 0.5}, "q2": {"ndcg@10": 0.5, "recall@10": 1.0}}
    systems = {
        name: SystemResult(
            name,
            "dense",
            {"ndcg@10": sum(v["ndcg@10"] for v in per.values()) / 2},
            per,
            {"latency_p50_ms": 5.0, "index_bytes": 1000},
        )
        for name, per in (("teacher", per_t), ("student", per_s))
    }
    fidelity = {
        "student": {
            "reference": "teacher",
            "overlap@10": 0.5,
            "rbo": 0.4,
            "rbo_p": 0.9,
            "embedding_cosine": 0.9,
            "embedding_docs": 2,
            "per_query": {"q1": {"overlap@10": 0.2, "rbo": 0.1}},
        }
    }
    report = EvalReport("tiny", "test", "2025-01-01T00:00:00+00:00", {}, systems, fidelity)
    report.save(folder)


def test_evaluate_opens_a_report_and_drills_down(app_env):
    write_report(app_env / "reports" / "tiny")
    app = run_page("evaluate")
    assert "tiny (test)" in texts(app.subheader)
    assert app.dataframe[0].value["ndcg@10"].tolist() == ["75.00", "37.50"]
    assert len(app.image) == 3
    summary = next(m.value for m in app.markdown if "loses to" in m.value)
    assert "**1** of 2 queries" in summary
    worst = table_with(app, "diff")
    assert worst["query"].tolist()[0] == "q1" and worst["diff"].tolist()[0] == "-0.750"
    for table in app.dataframe:  # a missing figure reads "—", never None
        assert not table.value.isin(["None", "nan"]).any().any() and table.value.notna().all().all()


def test_evaluate_tolerates_a_partial_report(app_env):
    folder = app_env / "reports" / "partial"
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps({"systems": {"student": {"metrics": {}}}}))
    app = run_page("evaluate")
    assert "the report has no 'dataset'" in texts(app.warning)
    assert "system 'student' has no 'per_query'" in texts(app.warning)


def test_evaluate_runs_a_small_evaluation_and_shows_it(app_env, tmp_path, monkeypatch):
    key = "evaluation-write-key"  # a run writes a report: writes on, and the key entered
    monkeypatch.setenv("DISTILSEARCH_UI_WRITES", "1")
    monkeypatch.setenv("DISTILSEARCH_UI_SECRET", key)
    app = run_page("evaluate")
    assert not any(t.label.startswith("BEIR folder") for t in app.text_input)
    next(t for t in app.text_input if t.label == "Write key").input(key)
    app.run()
    folder = next(t for t in app.text_input if t.label.startswith("BEIR folder"))
    folder.input(str(make_beir(tmp_path / "beir")))
    assert next(m for m in app.multiselect if m.label == "Encoders").value == ["student", "teacher"]
    next(b for b in app.button if b.label == "Run").click()
    app.run(timeout=300)
    assert not app.exception, app.exception
    assert "Report written to" in texts(app.success)
    assert "beir-small (test)" in texts(app.subheader)
    assert "loses to" in texts(app.markdown)


def test_evaluate_without_reports_says_how_to_make_one_and_offers_no_run(app_env):
    app = run_page("evaluate")
    assert "distilsearch eval" in texts(app.info)
    assert "next tab" not in texts(app.info)  # read-only: no run tab to point at
    assert [tab.label for tab in app.tabs] == ["Open a report"]


def test_a_read_only_index_page_offers_no_write(app_env, built):
    use_index(app_env, built["both"])
    get_service.clear()
    app = run_page("index")
    assert app.metric[1].value == "4"  # the index is shown
    assert "Read-only: no uploads or deletes here" in texts(app.info)
    assert "by upload" not in texts(app.caption)  # nothing offered that it would refuse
    assert not app.file_uploader and not app.button and not app.checkbox
    disk = list(app.dataframe[0].value["disk"])
    assert disk and all(cell.endswith(("KB", "MB", "B")) for cell in disk)  # measured
    assert not any(t.label == "Write key" for t in app.text_input)


def test_index_page_uploads_shows_stats_and_deletes(app_env, built, monkeypatch):
    key = "index-page-write-key"
    monkeypatch.setenv("DISTILSEARCH_UI_WRITES", "1")
    monkeypatch.setenv("DISTILSEARCH_UI_SECRET", key)
    use_index(app_env, built["both"])
    get_service.clear()
    app = run_page("index")
    assert [m.label for m in app.metric] == ["chunks", "files", "encoders", "disk"]
    assert app.metric[1].value == "4" and app.metric[2].value == "2"
    assert not app.file_uploader  # nothing to write with until the key is entered
    next(t for t in app.text_input if t.label == "Write key").input("not-the-key-at-all")
    app.run()
    assert "does not unlock" in texts(app.error) and not app.file_uploader
    next(t for t in app.text_input if t.label == "Write key").input(key)
    app.run()
    limit = app.file_uploader[0].proto  # one limit, stated once: by the widget, as refused
    assert limit.max_upload_size_mb == 20 and "MB" not in limit.help
    app.file_uploader[0].set_value(
        [
            ("../../notes.md", b"# Notes\n\nUploaded notes about caching.\n", "text/markdown"),
            ("fake.pdf", b"plain text pretending", "application/pdf"),
        ]
    )
    app.button[0].click()
    app.run(timeout=300)
    assert not app.exception, app.exception
    assert "1 indexed" in texts(app.warning) and "1 rejected" in texts(app.warning)
    outcomes = table_with(app, "reason")
    assert outcomes["file"].tolist() == ["notes.md", "fake.pdf"]
    assert app.metric[1].value == "5"
    assert not list((app_env / "uploads").iterdir())
    notes = next(o for o in app.selectbox[0].options if o.endswith("notes.md"))
    app.selectbox[0].set_value(notes)
    app.checkbox[0].check()
    app.button[1].click()
    app.run()
    assert "Deleted" in texts(app.success) and app.metric[1].value == "4"


def test_markdown_escaping_leaves_no_live_syntax():
    from search_app.components import escape_markdown
    from search_app.hits import highlighted_markdown
    from tests.support.app_builders import XSS_PAYLOAD
    from usecases.highlight import Highlight

    escaped = escape_markdown(XSS_PAYLOAD + " [x](javascript:alert(1)) :red[y] $z$ `c`")
    unescaped = re.sub(r"\\.", "", escaped)  # drop every escaped character
    assert not re.search(r"[<>*\[\]()`:$]", unescaped)
    marked = highlighted_markdown(Highlight(("a *b*.", "<i>c</i>"), (0.9, 0.1), frozenset({0})))
    assert marked == "**a \\*b\\*\\.** \\<i\\>c\\<\\/i\\>"


def test_highlights_keep_the_texts_paragraphs():
    from search_app.hits import highlighted_markdown
    from usecases.highlight import highlight_texts

    text = "Registering filters\n\nWrite the filter. Then register it.\n\nregister.filter(cut)"
    [marked] = highlight_texts("register", [text], None)
    assert marked.sentences == (
        "Registering filters",
        "Write the filter.",
        "Then register it.",
        "register.filter(cut)",
    )
    assert marked.starts == {0, 1, 3}
    assert highlighted_markdown(marked) == (
        "Registering filters\n\nWrite the filter\\. Then register it\\."
        "\n\nregister\\.filter\\(cut\\)"
    )
