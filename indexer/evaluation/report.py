"""Evaluation results and their outputs: ``report.json``, ``report.md`` and PNG plots.

JSON schema (``report.json``, read by the UI)::

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
                        "p_value", "t_test_p", "resamples"}]
    }
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.evaluation.fidelity import PairedTest
from indexer.evaluation.metrics import HEADLINE, RECALL_CURVE_KS

logger = logging.getLogger(__name__)

JSON_NAME, MARKDOWN_NAME = "report.json", "report.md"
PLOT_NAMES = ("metrics.png", "recall_at_k.png", "quality_vs_speed.png")


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
        return {"kind": self.kind, "metrics": self.metrics, "per_query": self.per_query,
                "efficiency": self.efficiency}  # fmt: skip


@dataclass
class EvalReport:
    """Everything one ``distilsearch eval`` run measured."""

    dataset: str
    split: str
    created: str
    config: dict[str, Any]
    systems: dict[str, SystemResult]
    fidelity: dict[str, dict[str, Any]] = field(default_factory=dict)
    significance: list[PairedTest] = field(default_factory=list)
    wall_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "split": self.split,
            "created": self.created,
            "wall_seconds": self.wall_seconds,
            "config": self.config,
            "systems": {name: s.to_dict() for name, s in self.systems.items()},
            "fidelity": self.fidelity,
            "significance": [t.to_dict() for t in self.significance],
        }


def _fmt(value: Any, scale: float = 1.0, digits: int = 2) -> str:
    return "–" if value is None else f"{value * scale:.{digits}f}"


def markdown_table(report: EvalReport) -> str:
    """The headline table (metrics ×100), fidelity and significance as markdown."""
    head = ["system", *HEADLINE, "docs/s", "p50 ms", "p95 ms", "index MB", "peak RSS MB"]
    lines = [f"## {report.dataset} ({report.split}, {_n_queries(report)} queries)", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]  # fmt: skip
    for name, system in report.systems.items():
        eff = system.efficiency
        index_bytes = eff.get("index_bytes")
        cells = [name, *(_fmt(system.metrics.get(m), 100) for m in HEADLINE),
                 _fmt(eff.get("encode_docs_per_s"), digits=1), _fmt(eff.get("latency_p50_ms")),
                 _fmt(eff.get("latency_p95_ms")),
                 _fmt(None if index_bytes is None else index_bytes / 2**20, digits=1),
                 _fmt(eff.get("peak_rss_mb"), digits=0)]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    if report.fidelity:
        lines += [
            "",
            "| system | reference | top-k overlap | RBO | embedding cosine |",
            "|---|---|---|---|---|",
        ]
        for name, fid in report.fidelity.items():
            overlap = next((v for k, v in fid.items() if k.startswith("overlap@")), None)
            cells = [name, fid["reference"], _fmt(overlap, digits=3), _fmt(fid["rbo"], digits=3),
                     _fmt(fid["embedding_cosine"], digits=3)]  # fmt: skip
            lines.append("| " + " | ".join(cells) + " |")
    if report.significance:
        lines += ["", "| A | B | metric | mean A | mean B | diff | p (randomization) | p (t) |",
                  "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for t in report.significance:
            lines.append(f"| {t.a} | {t.b} | {t.metric} | {_fmt(t.mean_a, 100)} | "
                         f"{_fmt(t.mean_b, 100)} | {_fmt(t.diff, 100)} | {t.p_value:.4f} | "
                         f"{_fmt(t.t_test_p, digits=4)} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _n_queries(report: EvalReport) -> int:
    return max((len(s.per_query) for s in report.systems.values()), default=0)


def write_report(report: EvalReport, out_dir: Path) -> dict[str, Path]:
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
    fig.tight_layout()
    fig.savefig(paths[0], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for name in names:
        metrics = report.systems[name].metrics
        ks = [k for k in RECALL_CURVE_KS if f"recall@{k}" in metrics]
        ax.plot(ks, [100 * metrics[f"recall@{k}"] for k in ks], marker="o", label=name)
    ax.set(xscale="log", xlabel="k", ylabel="recall@k × 100", title="recall@k", ylim=(0, 100))
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(paths[1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for name in names:
        system = report.systems[name]
        latency = system.efficiency.get("latency_p50_ms")
        if latency is not None:
            ax.scatter([latency], [100 * system.metrics.get("ndcg@10", 0.0)], s=60, label=name)
            ax.annotate(name, (latency, 100 * system.metrics.get("ndcg@10", 0.0)), fontsize=8)
    ax.set(xscale="log", xlabel="query latency p50 (ms, encode + search)", ylabel="nDCG@10 × 100",
           title="quality vs speed")  # fmt: skip
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(paths[2], dpi=110)
    plt.close(fig)
    return paths
