"""System specs: ``student`` and ``student:teacher`` (documents : queries), and their labels."""

from __future__ import annotations

import pytest

from encoders import SystemSpec, parse_system, system_label


def test_a_plain_name_is_one_encoder_on_both_sides() -> None:
    spec = parse_system("student")
    assert spec == SystemSpec("student", "student")
    assert not spec.paired and spec.label == "student" and str(spec) == "student"
    assert spec.encoders == ("student",)


def test_documents_colon_queries_is_teacher_query_mode() -> None:
    spec = parse_system(" student-int8 : teacher ")
    assert spec == SystemSpec("student-int8", "teacher")
    assert spec.paired and spec.encoders == ("student-int8", "teacher")
    assert spec.label == "student-int8 docs + teacher queries"
    assert str(spec) == "student-int8:teacher"
    assert parse_system(str(spec)) == spec


def test_the_same_encoder_on_both_sides_is_the_plain_system() -> None:
    spec = parse_system("teacher:teacher")
    assert not spec.paired and spec.label == "teacher" and str(spec) == "teacher"


@pytest.mark.parametrize("bad", ["a:b:c", "student::teacher"])
def test_more_than_one_separator_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="one ':' at most") as caught:
        parse_system(bad)
    assert repr(bad) in str(caught.value) and "student:teacher" in str(caught.value)


@pytest.mark.parametrize("bad", ["", " ", "student:", ":teacher", " : "])
def test_an_empty_side_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="an encoder name is missing"):
        parse_system(bad)


def test_labels() -> None:
    assert system_label("student") == system_label("student", "student") == "student"
    assert system_label("student", "teacher") == "student docs + teacher queries"
