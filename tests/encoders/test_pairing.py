"""Teacher-query pairing: a student folder's distill_meta.json must name the teacher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from distill import export
from encoders import (
    QueryEncoderMismatchError,
    SentenceTransformerEncoder,
    check_pairing,
    check_query_encoder,
    distilled_from,
    pairs_with,
)
from encoders.pairing import DISTILL_META, TEACHER_FINGERPRINT
from tests.support.fakes import KeywordEncoder, save_tiny_sentence_transformer, write_distill_meta


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, SentenceTransformerEncoder]:
    """A tiny teacher (2 layers) and a tiny "student" (1 layer), both real folders."""
    root = tmp_path_factory.mktemp("tiny")
    teacher_dir = save_tiny_sentence_transformer(root / "teacher", layers=2)
    student_dir = save_tiny_sentence_transformer(root / "student", layers=1)
    return {
        "teacher": SentenceTransformerEncoder("teacher", teacher_dir),
        "student": SentenceTransformerEncoder("student", student_dir),
    }


@pytest.fixture
def student(tiny) -> SentenceTransformerEncoder:
    """The tiny student with no metadata (each test writes its own)."""
    (tiny["student"].model_dir / DISTILL_META).unlink(missing_ok=True)
    return tiny["student"]


def test_meta_naming_the_teacher_pairs(tiny, student) -> None:
    teacher = tiny["teacher"]
    assert teacher.fingerprint != student.fingerprint
    write_distill_meta(student.model_dir, teacher.fingerprint)
    check_query_encoder(student.model_dir, teacher)
    check_pairing(student, teacher)
    assert pairs_with(student, teacher)
    assert distilled_from(student) == teacher.fingerprint


def test_meta_naming_another_teacher_names_both_fingerprints(tiny, student) -> None:
    teacher = tiny["teacher"]
    write_distill_meta(student.model_dir, "0123456789abcdef")
    with pytest.raises(QueryEncoderMismatchError) as caught:
        check_query_encoder(student.model_dir, teacher)
    message = str(caught.value)
    assert teacher.fingerprint in message and "0123456789abcdef" in message
    assert "'teacher'" in message
    with pytest.raises(ValueError, match="not the teacher"):  # a ValueError for callers
        check_pairing(student, teacher)
    assert not pairs_with(student, teacher)


def test_missing_meta_says_so(tiny, student) -> None:
    with pytest.raises(QueryEncoderMismatchError, match=f"has no {DISTILL_META}"):
        check_pairing(student, tiny["teacher"])
    assert distilled_from(student) is None


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ('{"teacher": "all-MiniLM-L6-v2"}', f"names no {TEACHER_FINGERPRINT}"),
        ('{"teacher_fingerprint": ""}', f"names no {TEACHER_FINGERPRINT}"),
        ("[1, 2]", "does not hold a JSON object"),
        ("{not json", "cannot read"),
    ],
)
def test_meta_without_a_usable_fingerprint(tiny, student, content: str, error: str) -> None:
    (student.model_dir / DISTILL_META).write_text(content)
    with pytest.raises(QueryEncoderMismatchError, match=error):
        check_query_encoder(student.model_dir, tiny["teacher"])
    assert distilled_from(student) is None


def test_same_weights_always_pair_and_folderless_encoders_never_do(tmp_path: Path) -> None:
    one, same = KeywordEncoder(["cat", "dog"], "a"), KeywordEncoder(["cat", "dog"], "b")
    check_pairing(one, same)  # equal fingerprints: the same vector space
    other = KeywordEncoder(["cat", "fish"], "teacher")
    with pytest.raises(QueryEncoderMismatchError, match="has no model folder"):
        check_pairing(one, other)
    assert distilled_from(one) is None


def test_dimensions_must_match(tmp_path: Path) -> None:
    teacher = KeywordEncoder(["cat", "dog", "fish"], "teacher")
    folder = write_distill_meta(tmp_path / "student", teacher.fingerprint)
    student = KeywordEncoder(["cat", "dog"], "student", model_dir=folder)
    with pytest.raises(QueryEncoderMismatchError, match="dimension 3"):
        check_pairing(student, teacher)


def test_export_meta_name_and_int8_copy_keep_the_teacher(tiny, tmp_path: Path) -> None:
    """The int8 export copies the fp32 metadata, so it pairs with the same teacher."""
    assert export.META == DISTILL_META
    teacher = tiny["teacher"]
    fp32 = save_tiny_sentence_transformer(tmp_path / "fp32", layers=1)
    export.write_meta(fp32, {"teacher": "tiny", TEACHER_FINGERPRINT: teacher.fingerprint})
    int8 = export.export_int8(fp32, tmp_path / "student-int8")
    meta = json.loads((int8 / DISTILL_META).read_text())
    assert meta[TEACHER_FINGERPRINT] == teacher.fingerprint and "quantization" in meta
    check_query_encoder(int8, teacher)
