"""Hybrid sweep: which search mode should be the default, measured on the dev suite.

    python benchmarks/hybrid_sweep.py                     # all sets; docs/results/hybrid.*
    python benchmarks/hybrid_sweep.py --sets scifact      # one set (results still written)

For each set of the dev suite (SciFact at ``/work/shared/data/scifact``, and
``data/dev_suite/{django_faq,python_faq}``, built by ``benchmarks/dev_suite.py``) one
``run_evaluation`` scores, through the one ``Retriever`` path:

* ``teacher`` (dense), ``milvus-bm25`` (Milvus's BM25, keyword mode), ``bm25`` (bm25s
  in process, the reference that reproduces the published SciFact figure) and
  ``teacher+bm25`` (RRF k=60 of the dense and bm25s runs, computed here: not a UI mode);
* ``teacher+milvus-rrf{20,60,100}`` and ``teacher+milvus-weighted{0.3,0.5,0.7,0.9}``:
  the UI's hybrid mode, fused inside Milvus (weight = the dense side's).

The index is one Milvus Lite file (``data/dev_suite/eval.db`` by default), one
collection per set, reused by every variant (and by later runs); a collection built
before full-text search is rebuilt once, which re-encodes that corpus.

The default mode is chosen by :data:`RULE` over the sets' nDCG@10 (:func:`choose_default`).
Query latency per mode at 100k rows is not measured here: it is read from
``docs/results/query_latency_modes.json`` (``benchmarks/query_latency.py``) when present.
Writes ``docs/results/hybrid.json`` and ``hybrid.md``; each set's full report (per query,
significance, agreement) goes under ``--reports``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.datasets import DEV_SUITE, REPO, SETS, load_set
from harness.report import RESULTS, write_result

LATENCY_FILE = RESULTS / "query_latency_modes.json"
RRF_KS = (20, 60, 100)
DENSE_WEIGHTS = (0.3, 0.5, 0.7, 0.9)
MAX_LOSS = 0.01  # nDCG@10 as a fraction: 1 point
TOPIC = "hybrid search"
DEFAULT_SETS = ("scifact", "django_faq", "python_faq")  # the table's column order
RULE = (
    "Among the Milvus hybrid settings that lose no more than 1.0 nDCG@10 point to dense "
    "on any set, take the one with the best mean nDCG@10 over the sets; hybrid (with that "
    "setting) becomes the default only if that mean beats dense's mean. Otherwise dense "
    "stays the default. Keyword (Milvus BM25) alone is reported, never the default."
)
#: Mode -> the query_latency_modes.json configuration measuring it at 100k rows.
LATENCY_CONFIGS = {
    "dense (store search)": "store/search+fetch",
    "keyword (store search)": "store/keyword",
    "hybrid rrf (store search)": "store/hybrid-rrf",
    "hybrid weighted (store search)": "store/hybrid-weighted",
    "dense, teacher query (encode + search)": "service/teacher @1t",
    "hybrid rrf, teacher query (encode + hybrid search)": "hybrid/teacher @1t",
}
#: Output key -> system name in the eval report.
FIXED_SYSTEMS = {
    "dense": "teacher",
    "milvus_bm25": "milvus-bm25",
    "bm25s": "bm25",
    "bm25s_rrf60_app": "teacher+bm25",
}

logger = logging.getLogger("hybrid_sweep")


def fusions() -> tuple[Any, ...]:
    from indexer.stores import Fusion

    rrf = tuple(Fusion("rrf", rrf_k=k) for k in RRF_KS)
    return rrf + tuple(Fusion("weighted", dense_weight=w) for w in DENSE_WEIGHTS)


def hybrid_keys() -> dict[str, str]:
    """Output key (``hybrid_rrf60``) -> system name (``teacher+milvus-rrf60``)."""
    from evaluation.config import fusion_tag, milvus_hybrid_name

    return {f"hybrid_{fusion_tag(f)}": milvus_hybrid_name("teacher", f) for f in fusions()}


class LoadSampler:
    """The 1-minute load average every ``every_s`` seconds while the sweep runs."""

    def __init__(self, every_s: float = 30.0) -> None:
        self.samples: list[float] = [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every_s,), daemon=True)
        self._thread.start()

    def _run(self, every_s: float) -> None:
        while not self._stop.wait(every_s):
            self.samples.append(os.getloadavg()[0])

    def stop(self, own_threads: int) -> dict[str, Any]:
        self._stop.set()
        self.samples.append(os.getloadavg()[0])
        peak = max(self.samples)
        shared = peak > own_threads + 0.5
        return {
            "cpus": os.cpu_count(),
            "sweep_torch_threads": own_threads,
            "load1_before": self.samples[0],
            "load1_max": peak,
            "load1_mean": sum(self.samples) / len(self.samples),
            "shared": shared,
            "note": (
                "other work shared the machine (1-minute load above the sweep's own "
                "threads): latencies and encode speed are pessimistic; nDCG is "
                "unaffected"
            )
            if shared
            else "machine quiet apart from the sweep",
        }


def set_result(report: Any, seconds: float) -> dict[str, Any]:
    """One set's figures from its ``EvalReport``."""
    names = {**FIXED_SYSTEMS, **hybrid_keys()}
    systems = report.systems

    def metric(name: str, key: str) -> float | None:
        return systems[name].metrics.get(key) if name in systems else None

    def efficiency(name: str, key: str) -> Any:
        return systems[name].efficiency.get(key) if name in systems else None

    agreement = {k: v for k, v in report.bm25_agreement.items() if k != "per_query"}
    return {
        "docs": report.config.get("documents"),
        "queries": report.config.get("queries"),
        "ndcg@10": {key: metric(name, "ndcg@10") for key, name in names.items()},
        "recall@100": {key: metric(name, "recall@100") for key, name in names.items()},
        "eval_latency_p50_ms": {
            key: efficiency(name, "latency_p50_ms") for key, name in names.items()
        },
        "milvus_vs_bm25s": agreement,
        "index": {
            "reused": efficiency("teacher", "index_reused"),
            "built_because": efficiency("teacher", "index_built_because"),
            "collection_bytes": efficiency("teacher", "index_bytes"),
            "lite_file_bytes": efficiency("teacher", "store_file_bytes"),
        },
        "seconds": round(seconds, 1),
    }


def choose_default(sets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Apply :data:`RULE` to the sets' nDCG@10; the choice and the figures behind it."""
    if not sets:
        return {"mode": None, "rule": RULE, "why": "no set was evaluated"}
    ndcg = {name: row["ndcg@10"] for name, row in sets.items()}
    keys = ["dense", *hybrid_keys()]
    means = {k: sum(ndcg[s][k] for s in ndcg) / len(ndcg) for k in keys}
    worst = {k: max(ndcg[s]["dense"] - ndcg[s][k] for s in ndcg) for k in hybrid_keys()}
    allowed = [k for k in hybrid_keys() if worst[k] <= MAX_LOSS + 1e-12]
    best = max(allowed, key=means.__getitem__) if allowed else None
    chosen = "hybrid" if best is not None and means[best] > means["dense"] else "dense"
    if best is None:
        top = max(hybrid_keys(), key=means.__getitem__)
        why = (
            f"every hybrid setting loses more than 1 point to dense on some set (best "
            f"mean {top}: {100 * means[top]:.2f} vs dense {100 * means['dense']:.2f}, "
            f"worst set {-100 * worst[top] + 0.0:+.2f} points)"
        )
    else:
        verb = "beats" if chosen == "hybrid" else "does not beat"
        why = (
            f"{best} (worst set {-100 * worst[best] + 0.0:+.2f} points vs dense) {verb} dense "
            f"on the mean: {100 * means[best]:.2f} vs {100 * means['dense']:.2f}"
        )
    return {
        "mode": chosen,
        "fusion": best if chosen == "hybrid" else None,
        "rule": RULE,
        "why": why,
        "sets": sorted(sets),
        "mean_ndcg@10": means,
        "worst_set_loss_vs_dense": worst,
        "allowed": allowed,
    }


def latency_at_100k() -> dict[str, Any]:
    """p50/p95 per mode at 100k rows from ``query_latency_modes.json``, else nulls."""
    if not LATENCY_FILE.is_file():
        note = f"{LATENCY_FILE.name} not found: run benchmarks/query_latency.py"
        return {"source": None, "modes": dict.fromkeys(LATENCY_CONFIGS), "note": note}
    data = json.loads(LATENCY_FILE.read_text())
    size = data.get("sizes", {}).get("100000", {})
    configs = size.get("configs", {})
    modes = {}
    for mode, config in LATENCY_CONFIGS.items():
        row = configs.get(config)
        modes[mode] = (
            None
            if not isinstance(row, dict)
            else {"config": config, "p50_ms": row.get("p50_ms"), "p95_ms": row.get("p95_ms")}
        )
    return {
        "source": str(LATENCY_FILE.relative_to(REPO)),
        "created": data.get("created"),
        "rows": size.get("rows"),
        "top_k": data.get("top_k"),
        "engine": data.get("engine"),
        "modes": modes,
    }


def run_sets(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str], int]:
    """Evaluate every named set; ``(results, sets skipped with why, torch threads)``."""
    from core.settings import load_settings
    from encoders import EncoderConfig, build_encoder
    from evaluation import EvalConfig, run_evaluation
    from indexer.stores import store_for

    settings = load_settings()
    config = EvalConfig(
        encoders=("teacher",),
        bm25=True,
        hybrid=True,
        milvus_bm25=True,
        milvus_hybrid=fusions(),
        top_k=100,
        max_seq_length=args.max_seq_length,
        fidelity_docs=0,
        resamples=args.resamples,
    )
    encoder = build_encoder(
        "teacher", settings, EncoderConfig(args.batch_size, args.max_seq_length)
    )
    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    store = store_for(settings, str(args.db))
    try:
        for name in args.sets:
            root = SETS[name]
            if not (root / "corpus.jsonl").is_file():
                skipped[name] = f"no BEIR set at {root} (benchmarks/dev_suite.py builds it)"
                logger.warning("%s: %s", name, skipped[name])
                continue
            started = time.perf_counter()
            report = run_evaluation(load_set(name, root), config, lambda _name: encoder, store)
            report.save(Path(args.reports) / name)
            results[name] = set_result(report, time.perf_counter() - started)
            print(f"{name}: {json.dumps(results[name]['ndcg@10'])}", flush=True)
    finally:
        store.close()
    return results, skipped, settings.threads


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


def markdown(payload: dict[str, Any]) -> str:
    """``hybrid.md``: nDCG@10 per set and mode, agreement, the default, latency."""
    sets, default = payload["sets"], payload["default"]
    keys = [*FIXED_SYSTEMS, *hybrid_keys()]
    lines = [
        "# Hybrid sweep: dense, Milvus BM25, bm25s and Milvus hybrid on the dev suite",
        "",
        f"Teacher ({payload['model']}), top {payload['top_k']}, exact search in Milvus Lite; "
        f"nDCG@10 × 100. {payload['machine']['note']} (1-minute load max "
        f"{payload['machine']['load1_max']:.2f} on {payload['machine']['cpus']} CPUs).",
        "",
        "| mode | " + " | ".join(sets) + " | mean |",
        "|---|" + "---|" * (len(sets) + 1),
    ]
    means = default.get("mean_ndcg@10", {})
    for key in keys:
        values = [sets[s]["ndcg@10"].get(key) for s in sets]
        mean = means.get(key)
        if mean is None and all(v is not None for v in values) and values:
            mean = sum(values) / len(values)
        lines.append(f"| {key} | " + " | ".join(map(percent, values)) + f" | {percent(mean)} |")
    lines += [
        "",
        "Milvus BM25 against bm25s (per query, top 10):",
        "",
        "| set | overlap@10 | RBO | same first hit | Milvus nDCG@10 | bm25s nDCG@10 | "
        "diff | mean abs diff |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in sets.items():
        a = row["milvus_vs_bm25s"]
        lines.append(
            f"| {name} | {a.get('overlap@10', 0):.3f} | {a.get('rbo', 0):.3f} | "
            f"{a.get('same_first', 0):.3f} | {percent(a.get('ndcg@10'))} | "
            f"{percent(a.get('reference_ndcg@10'))} | {percent(a.get('ndcg@10_diff'))} | "
            f"{percent(a.get('ndcg@10_abs_diff_mean'))} |"
        )
    lines += [
        "",
        f"**Default: {default['mode']}**"
        + (f" ({default['fusion']})" if default.get("fusion") else "")
        + f": {default['why']}.",
        "",
        f"Rule: {default['rule']}",
        "",
    ]
    lines += latency_lines(payload["latency_100k"])
    if payload.get("skipped"):
        lines += ["", "Not run: " + "; ".join(f"{k}: {v}" for k, v in payload["skipped"].items())]
    return "\n".join(lines) + "\n"


def latency_lines(latency: dict[str, Any]) -> list[str]:
    if latency.get("source") is None:
        return [f"Query latency at 100k rows: not available ({latency.get('note')})."]
    lines = [
        f"Query latency at {latency.get('rows')} rows (top {latency.get('top_k')}, from "
        f"`{latency['source']}`, {latency.get('created')}):",
        "",
        "| mode | p50 ms | p95 ms |",
        "|---|---|---|",
    ]
    for mode, row in latency["modes"].items():
        cells = ("–", "–") if row is None else (str(row["p50_ms"]), str(row["p95_ms"]))
        lines.append(f"| {mode} | {cells[0]} | {cells[1]} |")
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add(
        "--sets",
        default=",".join(DEFAULT_SETS),
        help=f"sets to run (default: {','.join(DEFAULT_SETS)})",
    )
    add(
        "--db",
        default=str(DEV_SUITE / "eval.db"),
        help="Milvus Lite file of the collections (default: data/dev_suite/eval.db)",
    )
    add(
        "--reports",
        default=str(DEV_SUITE / "hybrid_reports"),
        help="where each set's full report goes",
    )
    add("--batch-size", type=int, default=32, help="encoder batch size (default 32)")
    add("--max-seq-length", type=int, default=256, help="encoder max tokens (default 256)")
    add("--resamples", type=int, default=10_000, help="significance resamples (default 10000)")
    add("--out", default=str(RESULTS), help="where hybrid.json and hybrid.md go")
    add(
        "--render-only",
        action="store_true",
        help="evaluate nothing: re-apply the rule and the latency file to <out>/hybrid.json "
        "and rewrite hybrid.json and hybrid.md (the stamp of the run that measured stays)",
    )
    add(
        "--shared",
        action="store_true",
        help="other work shared the machine (recorded in the JSON's meta; a load above "
        "the sweep's own threads says so too)",
    )
    args = parser.parse_args(argv)
    args.sets = [name.strip() for name in args.sets.split(",") if name.strip()]
    unknown = sorted(set(args.sets) - set(SETS))
    if unknown or not args.sets:
        parser.error(f"unknown or no sets {unknown}; known: {', '.join(SETS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    args = parse_args(argv)
    from encoders import DEFAULT_TEACHER_MODEL

    out = Path(args.out)
    if args.render_only:
        payload = json.loads((out / "hybrid.json").read_text())
        payload.update(default=choose_default(payload["sets"]), latency_100k=latency_at_100k())
        return write(out, payload, meta=payload.get("meta"))
    started, sampler = time.perf_counter(), LoadSampler()
    results, skipped, threads = run_sets(args)
    payload = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "encoder": "teacher",
        "model": DEFAULT_TEACHER_MODEL,
        "top_k": 100,
        "max_seq_length": args.max_seq_length,
        "batch_size": args.batch_size,
        "fusions": {"rrf_k": list(RRF_KS), "dense_weight": list(DENSE_WEIGHTS)},
        "systems": {**FIXED_SYSTEMS, **hybrid_keys()},
        "machine": sampler.stop(threads),
        "sets": results,
        "skipped": skipped,
        "default": choose_default(results),
        "latency_100k": latency_at_100k(),
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    return write(out, payload, shared=args.shared or payload["machine"]["shared"])


def write(
    out: Path, payload: dict[str, Any], shared: bool = False, meta: dict | None = None
) -> int:
    """``hybrid.json`` and ``hybrid.md`` under ``out``; prints the markdown. ``meta``: the
    stamp to keep when re-rendering."""
    table = markdown(payload)
    write_result("hybrid", payload, table, topic=TOPIC, shared=shared, folder=out, meta=meta)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
