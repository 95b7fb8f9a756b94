"""The frontier report's decisions on rows whose answers are known: the Pareto set, the
default depth, the targets, and the estimate threshold."""

from __future__ import annotations

import pytest

from tests.support.paths import REPO


@pytest.fixture
def report(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    import harness.frontier_report as module

    return module


def row(name, speed, retention, kind="student", queries="own", depth=None, estimate=None):
    return {
        "name": name,
        "speed_ratio": speed,
        "retention": retention,
        "kind": kind,
        "queries": queries,
        "depth": depth,
        "estimates": {} if estimate is None else {"probe_overlap": estimate},
    }


def test_the_pareto_set_is_what_nothing_beats_on_both_axes(report) -> None:
    rows = [
        row("teacher", 1.0, 1.0, "teacher"),
        row("slow and worse", 0.9, 0.95),
        row("fast", 5.0, 0.9),
        row("faster but worse", 6.0, 0.5),
        row("dominated", 4.0, 0.85),
    ]
    report.mark_pareto(rows)
    assert {r["name"] for r in rows if r["pareto"]} == {"teacher", "fast", "faster but worse"}


def test_the_default_depth_is_the_smallest_meeting_both_targets_on_every_set(report) -> None:
    sets = {
        "a": [
            row("d3", 5, 0.90, depth=3),
            row("d3 tq", 5, 0.99, queries="teacher", depth=3),
            row("d4", 4, 0.96, depth=4),
            row("d4 tq", 4, 0.985, queries="teacher", depth=4),
        ],
        "b": [
            row("d3", 5, 0.97, depth=3),
            row("d3 tq", 5, 0.99, queries="teacher", depth=3),
            row("d4", 4, 0.97, depth=4),
            row("d4 tq", 4, 0.99, queries="teacher", depth=4),
        ],
    }
    found = report.default_depth(sets)
    assert found["chosen"] == 4 and found["met_targets"]
    assert found["best"]["3"]["a"] == [0.90, 0.99]
    failing = {"a": [row("d3", 5, 0.5, depth=3), row("d3 tq", 5, 0.6, queries="teacher", depth=3)]}
    assert report.default_depth(failing) == {
        "chosen": 4,
        "met_targets": False,
        "best": {"3": {"a": [0.5, 0.6]}},
    }


def test_targets_name_the_best_student_at_four_times_the_speed(report) -> None:
    rows = [row("teacher", 1.0, 1.0, "teacher"), row("s", 4.5, 0.97, queries="teacher")]
    report.mark_pareto(rows)
    found = report.targets(rows)
    assert found["student_teacher_queries_on_front"]
    assert found["best_student_at_4x"]["name"] == "s" and not found["meets_98_at_4x"]
    assert found["miss_points"] == pytest.approx(0.01)


def test_the_threshold_keeps_every_point_above_it_at_95_percent(report) -> None:
    points = [
        row(str(i), 1, r, estimate=e)
        for i, (e, r) in enumerate(
            [(0.5, 0.6), (0.7, 0.96), (0.75, 0.90), (0.8, 0.97), (0.9, 0.99)]
        )
    ]
    assert report.recommend_threshold(points, "probe_overlap") == 0.8
    ranking = report.estimate_ranking({"s": points})
    assert ranking["shipped"] == "probe_overlap" and ranking["points"] == 5
    assert 0.5 < ranking["spearman_shipped"] <= 1.0


def test_a_candidate_missing_on_some_point_is_ranked_but_not_shipped(report) -> None:
    points = [row(str(i), 1, r, estimate=e) for i, (e, r) in enumerate([(0.5, 0.6), (0.9, 0.99)])]
    points[0]["estimates"]["doc_cosine"] = None  # another dimension than the teacher's
    points[1]["estimates"]["doc_cosine"] = 0.99
    points.append(row("x", 1, 0.8, estimate=0.7))
    points[2]["estimates"]["doc_cosine"] = 0.9
    ranking = report.estimate_ranking({"s": points})
    assert ranking["candidates"]["doc_cosine"]["points"] == 2
    assert ranking["shipped"] == "probe_overlap" and ranking["best"] == "probe_overlap"


def test_the_summary_names_the_teachers_int8_the_best_paired_student_and_the_miss(
    report, monkeypatch
) -> None:
    import harness.frontier_tables as tables

    rows = [
        row("teacher", 1.0, 1.0, "teacher"),
        row("teacher-openvino-int8", 2.8, 0.98, "teacher"),
        row("student-d4", 2.0, 0.83),
        row("student-d4 + teacher queries", 2.0, 0.92, queries="teacher"),
        row("student-d4-onnx-int8 + teacher queries", 4.2, 0.93, queries="teacher"),
    ]
    report.mark_pareto(rows)
    payload = {"sets": {"s": {"systems": rows, "targets": report.targets(rows)}}}
    line = tables.summary_markdown(payload).splitlines()[-1]
    assert line == (
        "| s | 98.0% at 2.80x | 93.0% at 4.20x (student-d4-onnx-int8) | - | missed by 5.0 points |"
    )


def test_a_depth_not_measured_on_a_set_is_not_chosen(report) -> None:
    sets = {
        "a": [row("d3", 5, 0.99, depth=3), row("d3 tq", 5, 0.99, queries="teacher", depth=3)],
        "b": [row("teacher-int8", 3, 0.99, kind="teacher")],
    }
    found = report.default_depth(sets)
    assert found["best"]["3"]["b"] is None and found["chosen"] == 4 and not found["met_targets"]
