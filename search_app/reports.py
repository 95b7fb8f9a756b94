"""Evaluation reports from ``distilsearch eval``: find, load tolerantly, drill down, run one.

The schema is ``indexer/evaluation/report.py``'s (``report.json`` next to PNG plots and
``report.md``). Loading never fails on a missing or odd key: each one becomes a line
in ``LoadedReport.problems`` and the rest is shown.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.encoders import TEACHER

if TYPE_CHECKING:
    from search_app.service import SearchService

logger = logging.getLogger(__name__)

REPORT_JSON, REPORT_MD = "report.json", "report.md"
MAX_REPORT_BYTES = 64 * 2**20


class ReportError(ValueError):
    """A report folder holds no readable ``report.json``."""


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


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else None


@dataclass(frozen=True)
class LoadedReport:
    """A parsed ``report.json`` (raw sections kept as dicts) and what is missing from it."""

    folder: Path
    dataset: str
    split: str
    created: str
    config: dict[str, Any]
    systems: dict[str, dict[str, Any]]
    fidelity: dict[str, dict[str, Any]]
    significance: list[dict[str, Any]]
    plots: list[Path]
    problems: list[str] = field(default_factory=list)

    def metric_names(self) -> list[str]:
        names: dict[str, None] = {}
        for system in self.systems.values():
            names.update(dict.fromkeys(_dict(system.get("metrics"))))
        return list(names)

    def metric_rows(self) -> list[dict[str, Any]]:
        """One row per system: its mean metrics × 100."""
        names = self.metric_names()
        return [
            {"system": name, **{m: _scaled(_dict(s.get("metrics")).get(m)) for m in names}}
            for name, s in self.systems.items()
        ]

    def efficiency_rows(self) -> list[dict[str, Any]]:
        rows = []
        for name, system in self.systems.items():
            eff = _dict(system.get("efficiency"))
            rows.append({"system": name, **{k: v for k, v in eff.items() if _plain(v)}})
        return rows

    def fidelity_rows(self) -> list[dict[str, Any]]:
        return [
            {"system": name, **{k: v for k, v in fid.items() if k != "per_query" and _plain(v)}}
            for name, fid in self.fidelity.items()
        ]

    def query_metrics(self, system: str, query_id: str) -> dict[str, float | None]:
        """Every metric of ``system`` on one query."""
        row = _dict(_dict(_dict(self.systems.get(system)).get("per_query")).get(query_id))
        return {str(k): _number(v) for k, v in row.items()}

    def per_query(self, system: str, reference: str, metric: str) -> list[QueryDelta]:
        """Every query of either system, worst for ``system`` (vs ``reference``) first."""
        mine = _dict(_dict(self.systems.get(system)).get("per_query"))
        theirs = _dict(_dict(self.systems.get(reference)).get("per_query"))
        fid = _dict(_dict(self.fidelity.get(system)).get("per_query"))
        rows = []
        for qid in dict.fromkeys([*mine, *theirs]):
            agreement = _dict(fid.get(qid))
            overlap = next((v for k, v in agreement.items() if k.startswith("overlap@")), None)
            rows.append(
                QueryDelta(
                    str(qid),
                    _number(_dict(mine.get(qid)).get(metric)),
                    _number(_dict(theirs.get(qid)).get(metric)),
                    _number(overlap),
                    _number(agreement.get("rbo")),
                )
            )
        return sorted(rows, key=lambda r: (r.diff is None, r.diff if r.diff is not None else 0.0))


def _scaled(value: Any) -> float | None:
    number = _number(value)
    return None if number is None else round(100 * number, 2)


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def load_report(folder: Path) -> LoadedReport:
    """Read ``folder/report.json``; ``ReportError`` only when it is missing or not JSON."""
    folder = Path(folder).expanduser()
    path = folder / REPORT_JSON if folder.is_dir() else folder
    if path.name != REPORT_JSON or not path.is_file():
        raise ReportError(f"no {REPORT_JSON} in {folder}")
    if path.stat().st_size > MAX_REPORT_BYTES:
        raise ReportError(f"{path} is larger than {MAX_REPORT_BYTES // 2**20} MB")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path} is not readable JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ReportError(f"{path} does not hold a JSON object")
    problems = [f"the report has no {key!r}" for key in ("dataset", "systems") if key not in data]
    systems = {str(k): v for k, v in _dict(data.get("systems")).items() if isinstance(v, dict)}
    for name, system in systems.items():
        problems += [f"system {name!r} has no {key!r}" for key in ("metrics", "per_query")
                     if not isinstance(system.get(key), dict)]  # fmt: skip
    significance = data.get("significance")
    return LoadedReport(
        folder=path.parent,
        dataset=str(data.get("dataset", "?")),
        split=str(data.get("split", "?")),
        created=str(data.get("created", "?")),
        config=_dict(data.get("config")),
        systems=systems,
        fidelity={str(k): v for k, v in _dict(data.get("fidelity")).items() if isinstance(v, dict)},
        significance=[r for r in significance if isinstance(r, dict)]
        if isinstance(significance, list)
        else [],
        plots=sorted(path.parent.glob("*.png")),
        problems=problems,
    )


def read_query_texts(dataset_dir: Path) -> dict[str, str]:
    """Query id -> text from a BEIR folder's ``queries.jsonl`` ({} when absent)."""
    path = Path(dataset_dir).expanduser() / "queries.jsonl"
    if not path.is_file():
        return {}
    texts = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and "_id" in row:
                texts[str(row["_id"])] = str(row.get("text", ""))
    return texts


class ReportCatalog:
    """Reports on disk, and small evaluations run through the service's store and encoders."""

    def __init__(self, service: SearchService) -> None:
        self._service = service

    @property
    def roots(self) -> list[Path]:
        return [Path("reports"), self._service.settings.data_dir / "reports"]

    def find(self) -> list[Path]:
        """Folders holding a ``report.json`` under the report roots, newest first."""
        found = {
            p.parent.resolve()
            for root in self.roots
            if root.is_dir()
            for p in [*root.glob(REPORT_JSON), *root.glob(f"*/{REPORT_JSON}")]
        }
        return sorted(found, key=lambda p: (p / REPORT_JSON).stat().st_mtime, reverse=True)

    def load(self, folder: Path) -> LoadedReport:
        return load_report(folder)

    @staticmethod
    def runner_problem() -> str | None:
        """Why a small evaluation cannot run here, or None when it can."""
        for module in ("beir", "report", "runner"):
            try:
                importlib.import_module(f"indexer.evaluation.{module}")
            except ImportError as exc:
                return f"the evaluation runner is not available ({exc}); use `distilsearch eval`"
        return None

    def run_small(
        self,
        dataset_dir: Path,
        encoders: Sequence[str],
        max_queries: int = 30,
        max_docs: int = 300,
        split: str = "test",
    ) -> Path:
        """Evaluate ``encoders`` on a subsample (the judged docs of the first ``max_queries``
        queries, topped up to ``max_docs``); returns the written report's folder."""
        problem = self.runner_problem()
        if problem:
            raise RuntimeError(problem)
        from indexer.evaluation.beir import BeirDataset, load_beir
        from indexer.evaluation.report import write_report
        from indexer.evaluation.runner import EvalConfig, run_evaluation

        if not encoders:
            raise ValueError("choose at least one encoder")
        if max_queries < 1 or max_docs < 1:
            raise ValueError("max_queries and max_docs must be >= 1")
        full = load_beir(Path(dataset_dir).expanduser(), split)
        qids = list(full.queries)[:max_queries]
        relevant = {d for q in qids for d in full.qrels[q]}
        keep = [i for i, d in enumerate(full.doc_ids) if d in relevant]
        room = max(0, max_docs - len(keep))
        keep += [i for i, d in enumerate(full.doc_ids) if d not in relevant][:room]
        keep.sort()
        small = BeirDataset(
            name=f"{full.name}-small",
            split=split,
            doc_ids=[full.doc_ids[i] for i in keep],
            titles=[full.titles[i] for i in keep],
            texts=[full.texts[i] for i in keep],
            queries={q: full.queries[q] for q in qids},
            qrels={q: full.qrels[q] for q in qids},
        )
        config = EvalConfig(
            encoders=tuple(encoders),
            reference=TEACHER if TEACHER in encoders else encoders[0],
            fidelity_docs=min(256, len(keep)),
            resamples=2000,
        )
        settings = self._service.settings
        db_path = None if settings.is_server else Path(settings.milvus_uri).expanduser()
        report = run_evaluation(small, config, self._service.encoder, self._service.store, db_path)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        out = settings.data_dir / "reports" / f"{small.name}-{stamp}"
        write_report(report, out)
        return out
