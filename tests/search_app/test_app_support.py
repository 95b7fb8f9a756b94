"""A check of the UI tests' stand-in student."""

from __future__ import annotations

from tests.support.app_builders import student_encoder


def test_student_standin_keeps_three_layers_and_differs_from_teacher(tmp_path, teacher):
    student = student_encoder(tmp_path, teacher)
    assert student.name == "student" and student.dim == teacher.dim
    assert student.fingerprint != teacher.fingerprint
    texts = ["how do I cache a page", "template filters take a value"]
    cosine = (student.encode_documents(texts) * teacher.encode_documents(texts)).sum(axis=1)
    assert (cosine < 0.99).all()
