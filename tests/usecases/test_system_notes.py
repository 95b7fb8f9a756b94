"""What pages say about their encoders: the default system, which one a result used and
why, and each distilled student's agreement, training and frontier (keyword fakes)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.fakes import KeywordEncoder, keyword_index, write_distill_meta
from tests.support.services import fake_service
from usecases.system_notes import (
    NO_AGREEMENT,
    UNDERTRAINED,
    default_system,
    frontier_row,
    student_statuses,
    system_reason,
)

DOCS = {"a.txt": "cat cat dog", "b.txt": "bird bird cat"}
FRONTIER = {
    "rows": [
        {
            "encoder": "teacher",
            "queries": "teacher",
            "docs_per_s": 41.5,
            "speed_ratio": 1.0,
            "agreement": 1.0,
            "recommended": False,
        },
        {
            "encoder": "student",
            "queries": "teacher-onnx",
            "docs_per_s": 120.25,
            "speed_ratio": 2.9,
            "agreement": None,
            "recommended": True,
        },
    ],
    "threshold": 0.8,
    "recommended": "student",
}


def service_with(tmp_path: Path, meta: dict, **env: str):
    teacher = KeywordEncoder(["cat", "dog", "bird"], name="teacher")
    folder = write_distill_meta(tmp_path / "models" / "student", teacher.fingerprint)
    record = json.loads((folder / "distill_meta.json").read_text())
    (folder / "distill_meta.json").write_text(json.dumps({**record, **meta}))
    student = KeywordEncoder(["cat", "dog", "bird"], name="student", model_dir=folder)
    store = keyword_index(DOCS, student, teacher)
    return fake_service(tmp_path, store, {"teacher": teacher, "student": student}, **env)[0]


def test_the_default_system_and_why_each_system_was_used(tmp_path: Path) -> None:
    service = service_with(tmp_path, {})
    assert default_system(service, ["student", "teacher"]) == ("teacher", "teacher")
    assert system_reason(service, "teacher", None) == (
        "teacher: the teacher every student is distilled from, and the operator's default "
        "encoder (DISTILSEARCH_ENCODER)."
    )
    paired = system_reason(service, "student", "teacher")
    assert paired.startswith("student docs + teacher queries: the default for a distilled")
    assert "its own queries are one choice away" in paired
    own = system_reason(service, "student", None)
    assert own == (
        "student: chosen: the student with its own queries (by default its index is "
        "searched with teacher queries)."
    )
    as_default = service_with(tmp_path / "s", {}, DISTILSEARCH_ENCODER="student")
    assert default_system(as_default, ["student", "teacher"]) == ("student", "teacher")
    assert system_reason(as_default, "teacher", None) == "teacher: chosen (the default is student)."


def test_a_student_without_an_estimate_says_so_and_an_undertrained_one_is_flagged(
    tmp_path: Path,
) -> None:
    service = service_with(tmp_path, {"training": {"undertrained": True}, "frontier": FRONTIER})
    [status] = student_statuses(service, ["student", "teacher"])
    assert status.agreement == NO_AGREEMENT.format(name="student")
    assert status.undertrained and status.lines[1] == f"student is {UNDERTRAINED}."
    assert status.recommended == "student" and status.threshold == "0.80"
    assert status.frontier[1] == {
        "encoder": "student",
        "queries": "teacher-onnx",
        "docs/s": "120.2",
        "speed × teacher": "2.90×",
        "agreement": "—",
        "recommended": "yes",
    }
    assert all(None not in row.values() for row in status.frontier)


def test_a_trained_student_has_no_warning_and_rows_never_hold_none(tmp_path: Path) -> None:
    service = service_with(tmp_path, {"training": {"undertrained": False}})
    [status] = student_statuses(service, ["student"])
    assert not status.undertrained and len(status.lines) == 1 and status.frontier == ()
    assert set(frontier_row({}).values()) == {"—", ""}
