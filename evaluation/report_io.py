"""Report files: reading ``report.json`` tolerantly, writing JSON, markdown and PNG plots.

:class:`~evaluation.report.EvalReport` calls these from ``save`` and ``load``; the
helpers here coerce odd JSON (a string where a number belongs, a list where a mapping
does) into empty or missing values and count what they left out.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evaluation.fidelity import PairedTest
from evaluation.metrics import HEADLINE, RECALL_CURVE_KS

if TYPE_CHECKING:
    from evaluation.report import EvalReport

logger = logging.getLogger(__name__)

JSON_NAME, MARKDOWN_NAME = "report.json", "report.md"
PLOT_NAMES = ("metrics.png", "recall_at_k.png", "quality_vs_speed.png")
MAX_REPORT_BYTES = 64 * 2**20
_TEST_FIELDS = {
    "a": str,
    "b": str,
    "metric": str,
    "n": int,
    "mean_a": float,
    "mean_b": float,
    "diff": float,
    "p_value": float,
    "resamples": int,
}


class ReportError(ValueError):
    """A report folder holds no readable ``report.json``."""


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping (keys as strings), else ``{}``."""
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


def as_number(value: Any) -> float | None:
    """``value`` as a float when it is an int or float (not a bool), else None."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else None


def number_map(value: Any) -> tuple[dict[str, float], int]:
    """The numeric entries of a mapping, and how many entries were not numbers."""
    numbers = {k: n for k, v in as_dict(value).items() if (n := as_number(v)) is not None}
    return numbers, len(as_dict(value)) - len(numbers)


def read_report_json(folder: Path) -> tuple[Path, dict[str, Any]]:
    """``(path, object)`` of ``folder/report.json`` (or that file itself).

    ``ReportError`` when it is missing, larger than ``MAX_REPORT_BYTES``, not JSON or
    not a JSON object.
    """
    folder = Path(folder).expanduser()
    path = folder / JSON_NAME if folder.is_dir() else folder
    if path.name != JSON_NAME or not path.is_file():
        raise ReportError(f"no {JSON_NAME} in {folder}")
    if path.stat().st_size > MAX_REPORT_BYTES:
        raise ReportError(f"{path} is larger than {MAX_REPORT_BYTES // 2**20} MB")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path} is not readable JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ReportError(f"{path} does not hold a JSON object")
    return path, data


def parse_significance(value: Any) -> tuple[list[PairedTest], list[str]]:
    """Paired tests from the JSON list; a row lacking a field is left out with a problem."""
    rows = value if isinstance(value, list) else []
    tests, problems = [], []
    for i, row in enumerate(rows):
        fields = as_dict(row)
        kept = {k: _typed(fields.get(k), kind) for k, kind in _TEST_FIELDS.items()}
        missing = sorted(k for k, v in kept.items() if v is None)
        if missing:
            problems.append(f"significance row {i + 1} has no {', '.join(map(repr, missing))}")
            continue
        tests.append(PairedTest(**kept, t_test_p=as_number(fields.get("t_test_p"))))
    return tests, problems


def _typed(value: Any, kind: type) -> Any:
    if kind is str:
        return value if isinstance(value, str) else None
    number = as_number(value)
    if kind is int:
        return int(number) if number is not None and number.is_integer() else None
    return number


def _fmt(value: Any, scale: float = 1.0, digits: int = 2) -> str:
    number = as_number(value)
    return "–" if number is None else f"{number * scale:.{digits}f}"


def markdown_table(report: EvalReport) -> str:
    """The headline table (metrics ×100), fidelity and significance as markdown."""
    head = ["system", *HEADLINE, "docs/s", "p50 ms", "p95 ms", "index MB", "peak RSS MB"]
    n_queries = max((len(s.per_query) for s in report.systems.values()), default=0)
    lines = [
        f"## {report.dataset} ({report.split}, {n_queries} queries)",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for name, system in report.systems.items():
        eff = system.efficiency
        index_bytes = as_number(eff.get("index_bytes"))
        cells = [
            name,
            *(_fmt(system.metrics.get(m), 100) for m in HEADLINE),
            _fmt(eff.get("encode_docs_per_s"), digits=1),
            _fmt(eff.get("latency_p50_ms")),
            _fmt(eff.get("latency_p95_ms")),
            _fmt(None if index_bytes is None else index_bytes / 2**20, digits=1),
            _fmt(eff.get("peak_rss_mb"), digits=0),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if report.fidelity:
        lines += [
            "",
            "| system | reference | top-k overlap | RBO | embedding cosine |",
            "|---|---|---|---|---|",
        ]
        for name, fid in report.fidelity.items():
            overlap = next((v for k, v in fid.items() if k.startswith("overlap@")), None)
            cells = [
                name,
                str(fid.get("reference", "–")),
                _fmt(overlap, digits=3),
                _fmt(fid.get("rbo"), digits=3),
                _fmt(fid.get("embedding_cosine"), digits=3),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    lines += _agreement_lines(report.bm25_agreement)
    if report.significance:
        lines += [
            "",
            "| A | B | metric | mean A | mean B | diff | p (randomization) | p (t) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for t in report.significance:
            lines.append(
                f"| {t.a} | {t.b} | {t.metric} | {_fmt(t.mean_a, 100)} | "
                f"{_fmt(t.mean_b, 100)} | {_fmt(t.diff, 100)} | {t.p_value:.4f} | "
                f"{_fmt(t.t_test_p, digits=4)} |"
            )
    return "\n".join(lines) + "\n"


_AGREEMENT_NDCG = ("ndcg@10", "reference_ndcg@10", "ndcg@10_diff", "ndcg@10_abs_diff_mean")


def _agreement_lines(agreement: Mapping[str, Any]) -> list[str]:
    """Milvus BM25 against bm25s as a one-row markdown table ([] when not measured)."""
    if not agreement:
        return []
    overlap = next((v for k, v in agreement.items() if k.startswith("overlap@")), None)
    head = [
        "BM25",
        "reference",
        "queries",
        "top-10 overlap",
        "RBO",
        "same first hit",
        "nDCG@10",
        "reference nDCG@10",
        "diff",
        "mean abs diff",
    ]
    cells = [
        str(agreement.get("system", "–")),
        str(agreement.get("reference", "–")),
        _fmt(agreement.get("queries"), digits=0),
        _fmt(overlap, digits=3),
        _fmt(agreement.get("rbo"), digits=3),
        _fmt(agreement.get("same_first"), digits=3),
        *(_fmt(agreement.get(key), 100) for key in _AGREEMENT_NDCG),
    ]
    return [
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        "| " + " | ".join(cells) + " |",
    ]


def write_files(report: EvalReport, out_dir: Path) -> dict[str, Path]:
    """Write JSON, markdown and the three plots into ``out_dir``; returns name -> path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / JSON_NAME, "markdown": out_dir / MARKDOWN_NAME}
    paths["json"].write_text(json.dumps(report.to_dict(), indent=1, sort_keys=False) + "\n")
    paths["markdown"].write_text(markdown_table(report))
    for name, path in zip(PLOT_NAMES, write_plots(report, out_dir), strict=True):
        paths[name] = path
    logger.info("wrote report to %s", out_dir)
    return paths


def write_plots(report: EvalReport, out_dir: Path) -> list[Path]:
    """Metric bars per system, recall@k curves, nDCG@10 vs p50 latency; PNGs (Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(report.systems)
    paths = [out_dir / name for name in PLOT_NAMES]

    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(HEADLINE)), 4))
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        values = [100 * report.systems[name].metrics.get(m, 0.0) for m in HEADLINE]
        ax.bar(np.arange(len(HEADLINE)) + i * width, values, width, label=name)
    ax.set_xticks(np.arange(len(HEADLINE)) + width * (len(names) - 1) / 2, list(HEADLINE))
    ax.set(ylabel="score × 100", title=f"{report.dataset}: retrieval quality", ylim=(0, 100))
    ax.legend(fontsize="small")
    _save(fig, paths[0])

    fig, ax = plt.subplots(figsize=(6, 4))
    for name in names:
        metrics = report.systems[name].metrics
        ks = [k for k in RECALL_CURVE_KS if f"recall@{k}" in metrics]
        ax.plot(ks, [100 * metrics[f"recall@{k}"] for k in ks], marker="o", label=name)
    ax.set(xscale="log", xlabel="k", ylabel="recall@k × 100", title="recall@k", ylim=(0, 100))
    ax.legend(fontsize="small")
    _save(fig, paths[1])

    fig, ax = plt.subplots(figsize=(6, 4))
    for name in names:
        system = report.systems[name]
        latency = as_number(system.efficiency.get("latency_p50_ms"))
        if latency is not None:
            ndcg = 100 * system.metrics.get("ndcg@10", 0.0)
            ax.scatter([latency], [ndcg], s=60, label=name)
            ax.annotate(name, (latency, ndcg), fontsize=8)
    ax.set(
        xscale="log",
        xlabel="query latency p50 (ms, encode + search)",
        ylabel="nDCG@10 × 100",
        title="quality vs speed",
    )
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    _save(fig, paths[2])
    return paths


def _save(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
