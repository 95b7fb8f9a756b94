"""The one report type: save/load round trip, tolerant loading, drill-down for the UI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation import EvalReport, PairedTest, ReportError, SystemResult, load_report
from evaluation.report_io import JSON_NAME, PLOT_NAMES


def hand_report() -> EvalReport:
    """Teacher and student on two queries; the student loses q1 and ties q2."""
    per_t = {"q1": {"ndcg@10": 1.0, "recall@10": 1.0}, "q2": {"ndcg@10": 0.5, "recall@10": 1.0}}
    per_s = {"q1": {"ndcg@10": 0.25, "recall@10": 0.5}, "q2": {"ndcg@10": 0.5, "recall@10": 1.0}}
    systems = {
        "teacher": SystemResult(
            "teacher",
            "dense",
            {"ndcg@10": 0.75, "recall@10": 1.0},
            per_t,
            {"latency_p50_ms": 5.0, "index_bytes": 1000},
        ),
        "student": SystemResult(
            "student",
            "dense",
            {"ndcg@10": 0.375, "recall@10": 0.75},
            per_s,
            {"latency_p50_ms": 2.0, "index_bytes": None, "nested": {"left": "out"}},
            {"q1": ["d1"]},
        ),
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
    test = PairedTest("teacher", "student", "ndcg@10", 2, 0.75, 0.375, 0.375, 0.5, None, 100)
    return EvalReport(
        "tiny",
        "test",
        "2025-01-01T00:00:00+00:00",
        {"top_k": 100},
        systems,
        fidelity,
        [test],
        wall_seconds=1.5,
    )


def write_json(folder: Path, data: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / JSON_NAME).write_text(json.dumps(data))
    return folder


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    report = hand_report()
    paths = report.save(tmp_path / "out")
    assert set(paths) == {"json", "markdown", *PLOT_NAMES}
    assert report.folder == tmp_path / "out" and len(report.plots) == 3
    loaded = EvalReport.load(tmp_path / "out")
    assert loaded.to_dict() == report.to_dict()
    assert loaded.problems == [] and loaded.folder == tmp_path / "out"
    assert sorted(p.name for p in loaded.plots) == sorted(PLOT_NAMES)
    assert loaded.significance == report.significance  # PairedTest again, not a dict
    assert loaded.systems["student"].rankings == {}  # rankings stay in memory
    assert load_report(tmp_path / "out" / JSON_NAME).to_dict() == report.to_dict()


def test_drill_down_rows(tmp_path: Path) -> None:
    report = hand_report()
    report.save(tmp_path / "out")
    for r in (report, EvalReport.load(tmp_path / "out")):
        assert r.metric_names() == ["ndcg@10", "recall@10"]
        assert [row["ndcg@10"] for row in r.metric_rows()] == [75.0, 37.5]
        student_eff = r.efficiency_rows()[1]
        assert student_eff == {"system": "student", "latency_p50_ms": 2.0, "index_bytes": None}
        assert r.fidelity_rows()[0]["rbo"] == 0.4 and "per_query" not in r.fidelity_rows()[0]
        assert r.significance_rows()[0]["p_value"] == 0.5
        assert r.query_metrics("student", "q1") == {"ndcg@10": 0.25, "recall@10": 0.5}
        assert r.query_metrics("nobody", "q1") == {} and r.query_metrics("student", "q9") == {}
        deltas = r.per_query("student", "teacher", "ndcg@10")
        assert [d.query_id for d in deltas] == ["q1", "q2"]  # worst for the student first
        assert (deltas[0].diff, deltas[0].overlap, deltas[0].rbo) == (-0.75, 0.2, 0.1)
        assert deltas[1].diff == 0.0 and deltas[1].overlap is None


def test_old_report_json_loads_unchanged(tmp_path: Path) -> None:
    """A ``report.json`` as every earlier version wrote it (same schema on disk)."""
    old = {
        "dataset": "scifact",
        "split": "test",
        "created": "2024-06-01T10:00:00+00:00",
        "wall_seconds": 12.5,
        "config": {"encoders": ["teacher"], "top_k": 100},
        "systems": {
            "teacher": {
                "kind": "dense",
                "metrics": {"ndcg@10": 0.6451},
                "per_query": {"1": {"ndcg@10": 1.0}},
                "efficiency": {"latency_p50_ms": 9.1, "index_bytes": None},
            },
            "bm25": {
                "kind": "bm25",
                "metrics": {"ndcg@10": 0.6874},
                "per_query": {"1": {"ndcg@10": 0.5}},
                "efficiency": {},
            },
        },
        "fidelity": {},
        "significance": [
            {
                "a": "teacher",
                "b": "bm25",
                "metric": "ndcg@10",
                "n": 1,
                "mean_a": 1.0,
                "mean_b": 0.5,
                "diff": 0.5,
                "p_value": 1.0,
                "t_test_p": None,
                "resamples": 10,
            }
        ],
    }
    report = EvalReport.load(write_json(tmp_path / "old", old))
    assert report.problems == []
    assert report.to_dict() == old
    assert report.systems["teacher"].kind == "dense" and report.wall_seconds == 12.5
    assert [d.diff for d in report.per_query("bm25", "teacher", "ndcg@10")] == [-0.5]


def test_missing_and_odd_keys_become_problems(tmp_path: Path) -> None:
    data = {
        "systems": {
            "student": {"metrics": {"ndcg@10": "high", "mrr@10": 0.5}},
            "teacher": {"metrics": [], "per_query": {"q1": {"ndcg@10": True}, "q2": 7}},
            "broken": "not an object",
        },
        "fidelity": {"student": "odd"},
        "significance": [{"a": "student", "b": "teacher"}, "junk"],
        "config": ["not", "a", "dict"],
        "wall_seconds": "slow",
    }
    report = EvalReport.load(write_json(tmp_path / "partial", data))
    assert (report.dataset, report.split, report.created) == ("?", "?", "?")
    problems = "\n".join(report.problems)
    assert "the report has no 'dataset'" in problems
    assert "system 'student' has no 'per_query'" in problems
    assert "system 'student': 1 values that are not numbers were left out" in problems
    assert "system 'teacher' has no 'metrics'" in problems
    assert "system 'teacher': 2 values that are not numbers were left out" in problems
    assert "system 'broken' is not a JSON object" in problems
    assert "significance row 1 has no" in problems and "significance row 2 has no" in problems
    assert set(report.systems) == {"student", "teacher"}
    assert report.systems["student"].metrics == {"mrr@10": 0.5}
    assert report.systems["teacher"].per_query == {"q1": {}, "q2": {}}
    assert report.fidelity == {} and report.significance == [] and report.config == {}
    assert report.wall_seconds == 0.0 and report.plots == []
    assert report.metric_rows() == [
        {"system": "student", "mrr@10": 50.0},
        {"system": "teacher", "mrr@10": None},
    ]
    deltas = report.per_query("student", "teacher", "ndcg@10")  # rows without the metric
    assert [(d.query_id, d.system, d.reference, d.diff) for d in deltas] == [
        ("q1", None, None, None),
        ("q2", None, None, None),
    ]


def test_empty_object_loads_with_problems(tmp_path: Path) -> None:
    report = EvalReport.load(write_json(tmp_path / "empty", {}))
    assert report.problems == ["the report has no 'dataset'", "the report has no 'systems'"]
    assert report.systems == {} and report.metric_rows() == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"no report\.json"),
        (b"{not json", "not readable JSON"),
        (b"\xff\xfe\x00", "not readable JSON"),
        (b"[1, 2]", "does not hold a JSON object"),
    ],
)
def test_unreadable_reports_raise(tmp_path: Path, content: bytes | None, message: str) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    if content is not None:
        (folder / JSON_NAME).write_bytes(content)
    with pytest.raises(ReportError, match=message):
        EvalReport.load(folder)


def test_other_files_and_oversized_reports_raise(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(ReportError, match=r"no report\.json"):
        EvalReport.load(tmp_path / "missing")
    other = tmp_path / "notes.json"
    other.write_text("{}")
    with pytest.raises(ReportError, match=r"no report\.json"):
        EvalReport.load(other)
    from evaluation import report_io

    folder = write_json(tmp_path / "big", {"dataset": "x" * 100})
    monkeypatch.setattr(report_io, "MAX_REPORT_BYTES", 50)
    with pytest.raises(ReportError, match="larger than"):
        EvalReport.load(folder)


def test_markdown_of_a_loaded_partial_report(tmp_path: Path) -> None:
    """A loaded report writes again even with gaps (no reference, no numbers)."""
    data = {
        "dataset": "d",
        "systems": {"s": {"metrics": {}, "per_query": {}}},
        "fidelity": {"s": {"rbo": "odd"}},
    }
    report = EvalReport.load(write_json(tmp_path / "gappy", data))
    report.save(tmp_path / "again")
    table = (tmp_path / "again" / "report.md").read_text()
    assert "| s | – | – | – | – | – |" in table  # the headline row, no numbers
    assert "top-k overlap" in table and "| s | – | – | – | – |\n" in table  # no reference
