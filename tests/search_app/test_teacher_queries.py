"""Teacher-query mode through ``SearchService`` (exact fakes) and the pages (AppTest).

Keyword fakes: the student's vocabulary is (cat, dog, bird), the teacher's (cat, dog,
fish), so a query the teacher encodes lands on the student's "bird" column and the
effect of the query encoder can be computed by hand. The pages run against a real
Milvus Lite index of the test docs built by a stand-in student whose
``distill_meta.json`` names the real teacher.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from encoders import QueryEncoderMismatchError, SentenceTransformerEncoder
from indexer.readable import readable_text
from search_app.resources import get_service
from tests.support.app_builders import build_index, save_student_standin
from tests.support.app_pages import run_page
from tests.support.fakes import KeywordEncoder, keyword_index, write_distill_meta
from tests.support.services import fake_service, point_app_at
from usecases.search import SearchService

DOCS = {"a.txt": "cat cat dog", "b.txt": "bird bird cat", "c.txt": "dog"}
MODE = "student docs + teacher queries"
QUERY = "how do I write a custom template filter"


def make_service(
    tmp_path: Path, meta: str | None = "teacher", index_teacher: bool = False, docs=DOCS
) -> tuple[SearchService, list[str]]:
    """A service over the student's collection (and the teacher's with ``index_teacher``);
    the student's metadata names ``meta`` ("teacher": the teacher's fingerprint, None:
    no metadata file). Also returns the names the encoder factory was asked for."""
    teacher = KeywordEncoder(["cat", "dog", "fish"], name="teacher")
    folder = tmp_path / "models" / "student"
    folder.mkdir(parents=True, exist_ok=True)
    if meta is not None:
        write_distill_meta(folder, teacher.fingerprint if meta == "teacher" else meta)
    student = KeywordEncoder(["cat", "dog", "bird"], name="student", model_dir=folder)
    store = keyword_index(docs, student, *([teacher] if index_teacher else []))
    return fake_service(tmp_path, store, {"teacher": teacher, "student": student})


def test_search_with_teacher_queries_says_so(tmp_path: Path) -> None:
    service, _ = make_service(tmp_path)
    result = service.search("fish", "student", top_k=2, query_encoder="teacher")
    assert [h.source for h in result.hits] == ["b.txt", "a.txt"]
    assert result.hits[0].score == pytest.approx(2 / math.sqrt(5))
    assert (result.collection, result.label, result.queries_encoded_by) == (
        "docs_student",
        MODE,
        "teacher",
    )
    plain = service.search("fish", "student", query_encoder="student")
    assert (plain.query_encoder, plain.label, plain.queries_encoded_by) == (None, *["student"] * 2)
    assert all(h.score == 0 for h in plain.hits)


def test_highlighting_scores_sentences_with_the_query_encoder(tmp_path: Path) -> None:
    docs = {"x.txt": "The bird sang.\n\nA fish swam by. A cat sat down."}
    service, _ = make_service(tmp_path, docs=docs)
    result = service.search("fish", "student", highlight=True, query_encoder="teacher")
    assert result.highlights[result.hits[0].id].best == frozenset({1})


def test_only_a_paired_student_offers_teacher_queries(tmp_path: Path) -> None:
    service, asked = make_service(tmp_path / "paired")
    assert service.query_encoders("student") == ["student", "teacher"]
    assert service.query_encoders("teacher") == ["teacher"]
    service, asked = make_service(tmp_path / "no-meta", meta=None)
    assert service.query_encoders("student") == ["student"]
    assert asked == ["student"]  # the teacher is not loaded for a student without metadata
    service, _ = make_service(tmp_path / "other", meta="0123456789abcdef")
    assert service.query_encoders("student") == ["student"]


def test_fp32_exports_of_the_teacher_pair_and_others_do_not(tmp_path: Path) -> None:
    teacher = KeywordEncoder(["cat", "dog", "fish"], name="teacher")
    folder = tmp_path / "models" / "student"
    folder.mkdir(parents=True)
    write_distill_meta(folder, teacher.fingerprint)
    student = KeywordEncoder(["cat", "dog", "bird"], name="student", model_dir=folder)
    graphs = {}
    for name, source in (("teacher-onnx", teacher.fingerprint), ("teacher-openvino", "0" * 16)):
        (tmp_path / "models" / name).mkdir()
        graphs[name] = KeywordEncoder(["cat", "dog", "fish"], name=name)
        graphs[name].fingerprint = f"graph of {name}"  # a graph's files, not the weights
        graphs[name].source_fingerprint = source
    store = keyword_index(DOCS, student)
    service, _ = fake_service(tmp_path, store, {"teacher": teacher, "student": student, **graphs})
    assert service.query_encoders("student") == ["student", "teacher", "teacher-onnx"]
    assert service.query_encoders("teacher-onnx") == ["teacher-onnx"]
    fast = service.search("fish", "student", top_k=2, query_encoder="teacher-onnx")
    slow = service.search("fish", "student", top_k=2, query_encoder="teacher")
    assert [(h.source, h.score) for h in fast.hits] == [(h.source, h.score) for h in slow.hits]
    with pytest.raises(QueryEncoderMismatchError, match="teacher-openvino"):
        service.search("fish", "student", query_encoder="teacher-openvino")


def test_an_unpaired_student_is_a_clear_error(tmp_path: Path) -> None:
    service, _ = make_service(tmp_path, meta="0123456789abcdef")
    teacher = service.encoder("teacher")
    with pytest.raises(QueryEncoderMismatchError) as caught:
        service.search("fish", "student", query_encoder="teacher")
    assert "0123456789abcdef" in str(caught.value) and teacher.fingerprint in str(caught.value)
    service, _ = make_service(tmp_path / "none", meta=None)
    with pytest.raises(ValueError, match=r"has no distill_meta\.json"):
        service.answer("fish", "student", query_encoder="teacher")


def test_retrievers_are_cached_per_pair(tmp_path: Path) -> None:
    service, _ = make_service(tmp_path)
    mixed = service.retriever("student", "teacher")
    assert service.retriever("student", "teacher") is mixed
    assert service.retriever("student") is service.retriever("student", "student")
    assert service.retriever("student") is not mixed and mixed.teacher_queries


def test_compare_student_with_its_index_under_teacher_queries(tmp_path: Path) -> None:
    # "fish cat": student query [1,0,0]; teacher query [1,0,1]/√2 (cat + bird column).
    # a = [2,1,0]/√5, b = [1,0,2]/√5 -> student: a 2/√5, b 1/√5; teacher: a 2/√10, b 3/√10
    service, _ = make_service(tmp_path)
    cmp = service.compare(
        "fish cat",
        "student",
        "student",
        top_k=1,
        candidate_query_encoder="student",
        reference_query_encoder="teacher",
    )
    assert (cmp.candidate.label, cmp.reference.label) == ("student", MODE)
    assert cmp.verdict == "student agrees on 0 of 1 (top hit differs)"
    rows = {row.hit.source: row for row in cmp.rows}
    assert [row.hit.source for row in cmp.rows] == ["b.txt", "a.txt"]
    b, a = rows["b.txt"], rows["a.txt"]
    assert b.reference_score == pytest.approx(3 / math.sqrt(10))
    assert b.candidate_score == pytest.approx(1 / math.sqrt(5))  # looked up with the student
    assert a.candidate_score == pytest.approx(2 / math.sqrt(5))
    assert a.reference_score == pytest.approx(2 / math.sqrt(10))  # looked up, teacher query
    assert all(row.embedding_cosine is None for row in cmp.rows)
    assert "same document embeddings" in cmp.embedding_note
    with pytest.raises(ValueError, match="two different"):
        service.compare("cat", "student", "student")
    with pytest.raises(ValueError, match="two different"):
        service.compare(
            "cat",
            "student",
            "student",
            candidate_query_encoder="teacher",
            reference_query_encoder="teacher",
        )


def test_compare_teacher_queries_against_the_teacher(tmp_path: Path) -> None:
    service, _ = make_service(tmp_path, index_teacher=True)
    cmp = service.compare("cat", "student", "teacher", top_k=3, candidate_query_encoder="teacher")
    assert cmp.verdict.startswith(f"{MODE} agrees on")
    assert cmp.reference.label == "teacher" and cmp.candidate.query_encoder == "teacher"
    assert cmp.rows and all(row.embedding_cosine is not None for row in cmp.rows)


def test_answer_retrieves_with_teacher_queries(tmp_path: Path) -> None:
    service, _ = make_service(tmp_path)
    answer = service.answer("fish", "student", top_k=1, query_encoder="teacher")
    assert [h.source for h in answer.retrieved] == ["b.txt"]
    assert answer.generator == "extractive"


# -- the pages, through AppTest, on a real index ------------------------------------------


@pytest.fixture(scope="module")
def student(tmp_path_factory, teacher) -> SentenceTransformerEncoder:
    """The teacher cut to three layers, its metadata naming the teacher (as an export's)."""
    folder = save_student_standin(teacher.model_dir, tmp_path_factory.mktemp("models") / "student")
    write_distill_meta(folder, teacher.fingerprint)
    return SentenceTransformerEncoder("student", folder)


@pytest.fixture(scope="module")
def built(tmp_path_factory, student) -> Path:
    """A Milvus Lite folder with the test docs under the student only (closed)."""
    root = tmp_path_factory.mktemp("index")
    build_index(root / "milvus.db", [student])
    return root


@pytest.fixture
def app_env(monkeypatch, tmp_path, teacher, student, built):
    """Settings into ``tmp_path`` holding a copy of the index; the loaded encoders."""
    data = tmp_path / "data"
    shutil.copytree(built, data)
    point_app_at(
        monkeypatch, data, student.model_dir.parent, {"teacher": teacher, "student": student}
    )
    yield data
    get_service.clear()  # closes the store (on_release), which frees the Lite file


def test_search_page_offers_and_uses_teacher_queries(app_env, teacher, student) -> None:
    app = run_page()
    assert app.selectbox[0].options == ["student", MODE]
    app.selectbox[0].set_value(MODE)
    app.checkbox[0].uncheck()  # no highlighting: the hits' texts stay plain
    app.text_input[0].input(QUERY)
    app.button[0].click()
    app.run()
    assert not app.exception, app.exception
    caption = " ".join(c.value for c in app.caption)
    assert MODE in caption.replace("\\", "") and "docs_student" in caption
    headers = [m.value for m in app.markdown if m.value.startswith("**1.**")]
    shown = [t.value for t in app.text]  # the top hit without markup, then as indexed
    top_text = next((t for t in shown[1:2] if readable_text(t) == shown[0]), shown[0])
    expected = float(teacher.encode_queries([QUERY])[0] @ student.encode_documents([top_text])[0])
    assert f"score `{expected:.3f}`" in headers[0]  # cos(teacher query, student chunk)
    plain = float(np.dot(*student.encode_documents([QUERY, top_text])))
    assert f"{plain:.3f}" != f"{expected:.3f}"


def test_compare_page_sets_the_student_against_teacher_queries(app_env) -> None:
    app = run_page("compare")
    # the student's default pairing against its own queries (no teacher index here)
    assert (app.selectbox[0].value, app.selectbox[1].value) == (MODE, "student")
    app.text_input[0].input(QUERY)
    app.button[0].click()
    app.run()
    assert not app.exception, app.exception
    verdict = " ".join(h.value for h in app.subheader).replace("\\", "")
    assert f"{MODE} agrees on" in verdict
    assert f"{MODE} latency" in [m.label.replace("\\", "") for m in app.metric]
    assert {"A rank", "B rank", "cos A", "cos B"} <= set(app.dataframe[0].value.columns)
    legend = " ".join(c.value for c in app.caption).replace("\\", "")
    assert f"**A** = student (reference), **B** = {MODE} (candidate)" in legend
    assert "same document embeddings" in " ".join(c.value for c in app.caption)


def test_ask_page_offers_teacher_queries(app_env) -> None:
    app = run_page("ask")
    assert MODE in app.selectbox[0].options
