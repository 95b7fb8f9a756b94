"""``Retriever`` with a query encoder: teacher queries against a student's collection.

Keyword fakes make the effect visible by hand: the student's vocabulary is (cat, dog,
bird), the teacher's (cat, dog, fish). A "fish" query encoded by the teacher is
[0, 0, 1], which in the student's space is "bird": the bird document ranks first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from encoders import QueryEncoderMismatchError
from indexer.retrieval import Retriever, collection_name
from indexer.stores import CollectionMismatchError
from tests.support.fakes import KeywordEncoder, keyword_index, write_distill_meta

DOCS = {"a.txt": "cat cat dog", "b.txt": "bird bird cat", "c.txt": "dog"}
STUDENT_COLL = collection_name("docs", "student")


def make(tmp_path: Path, meta_names: str | None = "teacher"):
    """(teacher, student, store): the student's metadata names ``meta_names``'s fingerprint."""
    teacher = KeywordEncoder(["cat", "dog", "fish"], name="teacher")
    fingerprint = teacher.fingerprint if meta_names == "teacher" else meta_names
    folder = write_distill_meta(tmp_path / "student", fingerprint)
    student = KeywordEncoder(["cat", "dog", "bird"], name="student", model_dir=folder)
    return teacher, student, keyword_index(DOCS, student)


def test_teacher_queries_search_the_students_collection(tmp_path: Path) -> None:
    teacher, student, store = make(tmp_path)
    retriever = Retriever(student, store, STUDENT_COLL, query_encoder=teacher)
    assert retriever.teacher_queries and retriever.query_encoder is teacher
    assert retriever.encoder is student  # the collection's encoder
    student.calls.clear()
    result = retriever.search("fish", top_k=2)
    assert [h.source for h in result.hits] == ["b.txt", "a.txt"]
    assert result.hits[0].score == pytest.approx(2 / 5**0.5)  # [0,0,1]·[1,0,2]/√5
    assert teacher.calls == [1] and student.calls == []
    plain = Retriever(student, store, STUDENT_COLL).search("fish", top_k=2)
    assert all(h.score == 0 for h in plain.hits)  # the student has no "fish"


def test_default_and_same_weights_are_plain(tmp_path: Path) -> None:
    _, student, store = make(tmp_path)
    assert Retriever(student, store, STUDENT_COLL).query_encoder is student
    twin = KeywordEncoder(["cat", "dog", "bird"], name="twin")  # same weights, no folder
    retriever = Retriever(student, store, STUDENT_COLL, query_encoder=twin)
    assert not retriever.teacher_queries


def test_a_query_encoder_the_student_does_not_name_is_refused(tmp_path: Path) -> None:
    teacher, student, store = make(tmp_path, meta_names="0123456789abcdef")
    with pytest.raises(QueryEncoderMismatchError) as caught:
        Retriever(student, store, STUDENT_COLL, query_encoder=teacher)
    assert teacher.fingerprint in str(caught.value) and "0123456789abcdef" in str(caught.value)


def test_a_student_without_metadata_is_refused(tmp_path: Path) -> None:
    teacher, student, store = make(tmp_path)
    (student.model_dir / "distill_meta.json").unlink()
    with pytest.raises(QueryEncoderMismatchError, match=r"has no distill_meta\.json"):
        Retriever(student, store, STUDENT_COLL, query_encoder=teacher)
    student.model_dir = None
    with pytest.raises(QueryEncoderMismatchError, match="no model folder"):
        Retriever(student, store, STUDENT_COLL, query_encoder=teacher)


def test_the_collection_check_stays_against_the_document_encoder(tmp_path: Path) -> None:
    teacher, student, store = make(tmp_path)
    with pytest.raises(CollectionMismatchError):
        Retriever(teacher, store, STUDENT_COLL, query_encoder=teacher)
    with pytest.raises(KeyError, match="does not exist"):
        Retriever(student, store, "docs_missing", query_encoder=teacher)


def test_a_teacher_of_another_dimension_is_refused(tmp_path: Path) -> None:
    wide = KeywordEncoder(["cat", "dog", "fish", "owl"], name="teacher")
    folder = write_distill_meta(tmp_path / "student", wide.fingerprint)
    student = KeywordEncoder(["cat", "dog", "bird"], name="student", model_dir=folder)
    store = keyword_index(DOCS, student)
    with pytest.raises(QueryEncoderMismatchError, match="dimension 4"):
        Retriever(student, store, STUDENT_COLL, query_encoder=wide)
