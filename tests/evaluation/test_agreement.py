"""The label-free agreement estimate, by hand with keyword fakes, and the benchmark's core.

Disjoint case: vocabulary (x, y); passage ``P_i`` holds ``i`` x's and ``19 - i`` y's
(i = 0..19), so its vector is ``(i, 19 - i) / norm``, a different angle for each. The
pseudo-query "x" is ``(1, 0)``: the teacher ranks ``P19 .. P10`` first. A student that
encodes queries with the vocabulary reversed turns "x" into ``(0, 1)`` and ranks
``P0 .. P9`` first: no result in common (overlap 0, RBO 0), and "x"'s source ``P19`` is
not in its top 10. Its documents are the teacher's, so with teacher queries it ranks
exactly as the teacher does.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evaluation.agreement import (
    MAX_QUERY_WORDS,
    MIN_QUERY_WORDS,
    STUDENT,
    TEACHER,
    TEACHER_QUERIES,
    AgreementEstimate,
    AgreementProbe,
    PseudoQuery,
    SystemAgreement,
    estimate_agreement,
    sample_passages,
    sample_queries,
)
from tests.support.fakes import KeywordEncoder, write_distill_meta

VOCAB = ["cat", "dog", "fish", "bird"]
PASSAGES = [
    f"The {a} met a {b} by the river. Later the {a} and the {b} ate fish together. Done."
    for a in VOCAB
    for b in VOCAB
] + ["too short", "tiny"]


class QuerySwapEncoder(KeywordEncoder):
    """Documents as :class:`KeywordEncoder`; queries with the vocabulary reversed."""

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.ascontiguousarray(super().encode_queries(texts)[:, ::-1])


def paired_student(tmp_path: Path, teacher: KeywordEncoder, cls=KeywordEncoder, vocab=None):
    """A student whose metadata names ``teacher`` (other weights: another fingerprint)."""
    folder = write_distill_meta(tmp_path / "student", teacher.fingerprint)
    student = cls(vocab or teacher.vocabulary, name="student", model_dir=folder)
    student.fingerprint = "student-weights"
    return student


def test_identical_encoders_agree_completely(tmp_path: Path) -> None:
    teacher = KeywordEncoder(VOCAB, "teacher")
    estimate = estimate_agreement(PASSAGES, teacher, paired_student(tmp_path, teacher))
    assert (estimate.n_passages, estimate.n_queries) == (18, 16)  # the short two give none
    assert set(estimate.systems) == {TEACHER, STUDENT, TEACHER_QUERIES}
    for row in estimate.systems.values():
        assert (row.overlap_at_10, row.rbo) == (pytest.approx(1.0), pytest.approx(1.0))
        assert row.self_hit_at_10 == estimate.systems[TEACHER].self_hit_at_10
    assert estimate.verdict().startswith(
        "On your documents the student agrees with the teacher on 10 of 10 results "
        "(10 of 10 with teacher queries)"
    )


def test_a_disjoint_student_agrees_on_nothing(tmp_path: Path) -> None:
    teacher = KeywordEncoder(["x", "y"], "teacher")
    student = paired_student(tmp_path, teacher, QuerySwapEncoder)
    passages = [" ".join(["x"] * i + ["y"] * (19 - i)) for i in range(20)]
    probe = AgreementProbe(passages, teacher, queries=[PseudoQuery("x", 19)])
    estimate = probe.measure(student)
    assert probe.reference["q00000"] == [f"p{i:06d}" for i in range(19, 9, -1)]
    assert estimate.systems[STUDENT] == SystemAgreement(0.0, 0.0, 0.0)
    assert estimate.systems[TEACHER] == SystemAgreement(1.0, pytest.approx(1.0), 1.0)
    assert estimate.systems[TEACHER_QUERIES] == SystemAgreement(1.0, pytest.approx(1.0), 1.0)
    assert "on 0 of 10 results (10 of 10 with teacher queries)" in estimate.verdict()


def test_teacher_query_mode_needs_a_paired_student() -> None:
    teacher = KeywordEncoder(VOCAB, "teacher")
    unpaired = KeywordEncoder(["cat", "dog", "fish", "owl"], "student")  # no metadata
    estimate = estimate_agreement(PASSAGES, teacher, unpaired)
    assert set(estimate.systems) == {TEACHER, STUDENT}
    assert "teacher queries" not in estimate.verdict()
    assert estimate.systems[STUDENT].overlap_at_10 < 1.0


def test_pseudo_queries_are_deterministic_spans_of_their_passage() -> None:
    passages = sample_passages(PASSAGES, 100, seed=0)
    first, again = sample_queries(passages, 8, seed=3), sample_queries(passages, 8, seed=3)
    assert first == again and first != sample_queries(passages, 8, seed=4)
    assert len({q.source for q in first}) == 8  # each from another passage
    for query in first:
        assert query.text in passages[query.source]
        assert MIN_QUERY_WORDS <= len(query.text.split()) <= MAX_QUERY_WORDS
        assert not {".", "!", "?"} & set(query.text[:-1])  # within one sentence
    assert all(passages[q.source] not in ("too short", "tiny") for q in first)


def test_passages_are_deduplicated_and_sampled_by_seed() -> None:
    texts = ["a  b c", "a b c", "", "   ", *[f"p {i}" for i in range(30)]]
    assert sample_passages(texts[:4], 10, seed=0) == ["a b c"]
    picked = sample_passages(texts, 5, seed=1)
    assert len(picked) == 5 and picked == sample_passages(texts, 5, seed=1)
    order = [texts.index(p) if p in texts else 0 for p in picked]
    assert order == sorted(order)  # original order kept
    with pytest.raises(ValueError, match="max_passages"):
        sample_passages(texts, 0, seed=0)


def test_encoding_is_batched_and_bounded() -> None:
    teacher = KeywordEncoder(VOCAB, "teacher")
    probe = AgreementProbe(PASSAGES, teacher, max_passages=10, max_queries=3, batch=4)
    assert (len(probe.passages), len(probe.queries)) == (10, 3)
    assert teacher.calls == [3, 4, 4, 2]  # queries, then the passages in batches of 4


def test_no_usable_passage_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="pseudo-query"):
        estimate_agreement(["too short", "tiny"], KeywordEncoder(VOCAB), KeywordEncoder(VOCAB))


def test_estimate_round_trips_through_json_and_rounds_the_verdict() -> None:
    systems = {TEACHER: SystemAgreement(1.0, 1.0, 0.9), STUDENT: SystemAgreement(0.76, 0.7, 0.8)}
    estimate = AgreementEstimate(200, 2000, systems, seed=7)
    data = json.loads(json.dumps(estimate.to_dict()))
    assert AgreementEstimate.from_dict(data) == estimate
    assert data["verdict"].startswith(
        "On your documents the student agrees with the teacher on 8 of 10 results,"
    )
    small = AgreementEstimate(3, 4, {STUDENT: SystemAgreement(0.5, 0.5, 1.0)})
    assert "on 2 of 4 results" in small.verdict("the int8 student")
    with pytest.raises(ValueError, match="not an agreement estimate"):
        AgreementEstimate.from_dict({"n_queries": 1, "n_passages": 1})
