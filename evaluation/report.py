"""The one evaluation report: written by ``distilsearch eval``, read back by the UI.

:meth:`EvalReport.save` writes ``report.json``, ``report.md`` and PNG plots into a
folder; :meth:`EvalReport.load` reads them back tolerantly: a missing or odd key becomes
a line in ``problems`` and the rest is kept (``ReportError`` only when ``report.json``
is missing, too big or not JSON). The drill-down helpers below feed the UI's tables.

JSON schema (``report.json``)::

    {
      "dataset": str, "split": str, "created": ISO-8601 UTC, "wall_seconds": float,
      "config": {...EvalConfig fields...},
      "systems": {
        name: {
          "kind": "dense" | "bm25" | "hybrid",
          "metrics": {"ndcg@10": float, "recall@10": ..., "recall@100", "mrr@10",
                      "map@100", "recall@1" ...},           # fractions in [0, 1]
          "per_query": {query_id: {metric: float}},
          "efficiency": {"encode_docs_per_s", "latency_p50_ms", "latency_p95_ms",
                         "index_bytes", "peak_rss_mb", ...}  # null where not measured
        }
      },
      "fidelity": {system: {"reference", "overlap@10", "rbo", "rbo_p",
                            "embedding_cosine", "embedding_docs", "per_query": {...}}},
      "significance": [{"a", "b", "metric", "n", "mean_a", "mean_b", "diff",
                        "p_value", "t_test_p", "resamples"}],
      "bm25_agreement": {"system": "milvus-bm25", "reference": "bm25", "queries",
                         "overlap@10", "rbo", "rbo_p", "same_first", "ndcg@10",
                         "reference_ndcg@10", "ndcg@10_diff", "ndcg@10_abs_diff_mean",
                         "per_query": {query_id: {"overlap@10", "rbo", "ndcg@10_diff"}}}
    }

``bm25_agreement`` is written only when both BM25s ran (Milvus's and bm25s); a report
without it loads with ``{}``. A system's ``index_bytes`` is its own collection's
size in a Milvus Lite file (``store_file_bytes``: the whole file); reports written
before that held the whole file there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.fidelity import PairedTest
from evaluation.report_io import (
    JSON_NAME,
    MARKDOWN_NAME,
    MAX_REPORT_BYTES,
    PLOT_NAMES,
    ReportError,
    as_dict,
    as_number,
    markdown_table,
    number_map,
    parse_significance,
    read_report_json,
    write_files,
)

__all__ = [
    "JSON_NAME",
    "MARKDOWN_NAME",
    "MAX_REPORT_BYTES",
    "PLOT_NAMES",
    "EvalReport",
    "QueryDelta",
    "ReportError",
    "SystemResult",
    "load_report",
    "markdown_table",
    "write_report",
]

logger = logging.getLogger(__name__)


@dataclass
class SystemResult:
    """One evaluated system; ``rankings`` (query -> doc ids, best first) stay in memory."""

    name: str
    kind: str
    metrics: dict[str, float]
    per_query: dict[str, dict[str, float]]
    efficiency: dict[str, Any]
    rankings: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "metrics": self.metrics,
            "per_query": self.per_query,
            "efficiency": self.efficiency,
        }

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> tuple[SystemResult, list[str]]:
        """The system saved as ``data``, and what was missing or odd in it."""
        problems = [
            f"system {name!r} has no {key!r}"
            for key in ("metrics", "per_query")
            if not isinstance(data.get(key), dict)
        ]
        metrics, odd = number_map(data.get("metrics"))
        per_query: dict[str, dict[str, float]] = {}
        for query_id, row in as_dict(data.get("per_query")).items():
            per_query[query_id], left_out = number_map(row)
            odd += left_out + (not isinstance(row, dict))
        if odd:
            problems.append(f"system {name!r}: {odd} values that are not numbers were left out")
        kind = str(data.get("kind", "?"))
        return cls(name, kind, metrics, per_query, as_dict(data.get("efficiency"))), problems


@dataclass(frozen=True)
class QueryDelta:
    """One query's metric for a system and its reference, with their ranking agreement."""

    query_id: str
    system: float | None
    reference: float | None
    overlap: float | None = None
    rbo: float | None = None

    @property
    def diff(self) -> float | None:
        if self.system is None or self.reference is None:
            return None
        return self.system - self.reference


@dataclass
class EvalReport:
    """Everything one evaluation measured; ``folder``, ``plots`` and ``problems`` are set
    by :meth:`save` and :meth:`load`."""

    dataset: str
    split: str
    created: str
    config: dict[str, Any]
    systems: dict[str, SystemResult]
    fidelity: dict[str, dict[str, Any]] = field(default_factory=dict)
    significance: list[PairedTest] = field(default_factory=list)
    bm25_agreement: dict[str, Any] = field(default_factory=dict)
    wall_seconds: float = 0.0
    folder: Path | None = None
    plots: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The ``report.json`` object; ``bm25_agreement`` only when it was measured, so a
        report without Milvus BM25 has exactly the earlier schema."""
        agreement = {"bm25_agreement": self.bm25_agreement} if self.bm25_agreement else {}
        return {
            "dataset": self.dataset,
            "split": self.split,
            "created": self.created,
            "wall_seconds": self.wall_seconds,
            "config": self.config,
            "systems": {name: s.to_dict() for name, s in self.systems.items()},
            "fidelity": self.fidelity,
            "significance": [t.to_dict() for t in self.significance],
            **agreement,
        }

    def save(self, folder: Path) -> dict[str, Path]:
        """Write ``report.json``, ``report.md`` and the plots; returns name -> path."""
        paths = write_files(self, Path(folder))
        self.folder = Path(folder)
        self.plots = sorted(paths[name] for name in PLOT_NAMES)
        return paths

    @classmethod
    def load(cls, folder: Path) -> EvalReport:
        """Read ``folder/report.json``; ``ReportError`` only when it is missing or not JSON."""
        path, data = read_report_json(folder)
        problems = [
            f"the report has no {key!r}" for key in ("dataset", "systems") if key not in data
        ]
        systems: dict[str, SystemResult] = {}
        for name, raw in as_dict(data.get("systems")).items():
            if isinstance(raw, dict):
                systems[name], found = SystemResult.from_dict(name, raw)
                problems += found
            else:
                problems.append(f"system {name!r} is not a JSON object")
        significance, found = parse_significance(data.get("significance"))
        fidelity = {k: v for k, v in as_dict(data.get("fidelity")).items() if isinstance(v, dict)}
        agreement = data.get("bm25_agreement", {})
        if not isinstance(agreement, dict):
            problems.append("'bm25_agreement' is not a JSON object: left out")
        return cls(
            dataset=str(data.get("dataset", "?")),
            split=str(data.get("split", "?")),
            created=str(data.get("created", "?")),
            config=as_dict(data.get("config")),
            systems=systems,
            fidelity=fidelity,
            significance=significance,
            bm25_agreement=as_dict(agreement),
            wall_seconds=as_number(data.get("wall_seconds")) or 0.0,
            folder=path.parent,
            plots=sorted(path.parent.glob("*.png")),
            problems=problems + found,
        )

    def metric_names(self) -> list[str]:
        """Every metric any system has, in first-seen order."""
        names: dict[str, None] = {}
        for system in self.systems.values():
            names.update(dict.fromkeys(system.metrics))
        return list(names)

    def metric_rows(self) -> list[dict[str, Any]]:
        """One row per system: its mean metrics × 100 (None where it lacks one)."""
        names = self.metric_names()
        return [
            {"system": name, **{m: _scaled(s.metrics.get(m)) for m in names}}
            for name, s in self.systems.items()
        ]

    def efficiency_rows(self) -> list[dict[str, Any]]:
        """One row per system: its plain (scalar) efficiency values."""
        return [
            {"system": name, **{k: v for k, v in s.efficiency.items() if _plain(v)}}
            for name, s in self.systems.items()
        ]

    def fidelity_rows(self) -> list[dict[str, Any]]:
        """One row per compared system: its mean agreement with the reference."""
        return [
            {"system": name, **{k: v for k, v in fid.items() if k != "per_query" and _plain(v)}}
            for name, fid in self.fidelity.items()
        ]

    def significance_rows(self) -> list[dict[str, Any]]:
        """One row per paired test."""
        return [t.to_dict() for t in self.significance]

    def query_metrics(self, system: str, query_id: str) -> dict[str, float]:
        """Every metric of ``system`` on one query ({} when either is unknown)."""
        found = self.systems.get(system)
        return dict(found.per_query.get(query_id, {})) if found else {}

    def per_query(self, system: str, reference: str, metric: str) -> list[QueryDelta]:
        """Every query of either system, worst for ``system`` (vs ``reference``) first."""
        mine = self.systems[system].per_query if system in self.systems else {}
        theirs = self.systems[reference].per_query if reference in self.systems else {}
        agreement = as_dict(as_dict(self.fidelity.get(system)).get("per_query"))
        rows = []
        for qid in dict.fromkeys([*mine, *theirs]):
            agree = as_dict(agreement.get(qid))
            overlap = next((v for k, v in agree.items() if k.startswith("overlap@")), None)
            rows.append(
                QueryDelta(
                    qid,
                    mine.get(qid, {}).get(metric),
                    theirs.get(qid, {}).get(metric),
                    as_number(overlap),
                    as_number(agree.get("rbo")),
                )
            )
        return sorted(rows, key=lambda r: (r.diff is None, r.diff if r.diff is not None else 0.0))


def _scaled(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 2)


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def write_report(report: EvalReport, out_dir: Path) -> dict[str, Path]:
    """``report.save(out_dir)``: JSON, markdown and the three plots; returns name -> path."""
    return report.save(out_dir)


def load_report(folder: Path) -> EvalReport:
    """``EvalReport.load(folder)``: tolerant, ``ReportError`` only without readable JSON."""
    return EvalReport.load(folder)
