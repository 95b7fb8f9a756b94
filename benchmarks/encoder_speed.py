"""Encoder backends side by side: the teacher (PyTorch fp32) against every variant.

    .venv/bin/python benchmarks/encoder_speed.py                  # the full run (the lead's)
    .venv/bin/python benchmarks/encoder_speed.py --quick          # proves it works (~minutes)

Arms: teacher and student on PyTorch fp32 (sentence-transformers), and the ONNX /
OpenVINO variants of both (``encoders.variants``: ``onnx``, ``onnx-int8``, ``openvino``,
``openvino-int8``), exported into the cache by ``encoders.backend_export`` from the
student folder (``--student``, default ``models/student``) and the packaged teacher; static
int8 is calibrated on Django chunks that are never timed. Optionally the legacy torch.ao
``student-int8`` folder (``--legacy-int8``).

Speed: Django documentation cut into 1000-character chunks (as ``index_bench`` does without
the parser), batch 32, at most 256 tokens, ``--threads`` (2) threads for every runtime,
in interleaved rounds so load from other jobs hits every arm alike; docs/s is the median
over rounds and the speed-up the median of per-round ratios to the teacher. Batch-1 query
latency: p50 over single SciFact claims through ``encode_queries``, after a warm-up.

Useful FLOP/s counts only non-pad tokens: per text of ``n`` tokens and per layer,
``2 n P_layer`` (every weight matrix of the layer, a multiply-add = 2 FLOPs) plus
``4 n^2 d`` (scores QK^T and their product with V); embeddings and pooling are left out.
It is set against a measured sgemm peak: torch fp32 2048x2048 matmuls at the same thread
count (int8 arms can exceed it: their multiply-adds are not fp32).

Quality: nDCG@10 by exact search (``benchmarks/harness/scoring.py``) on SciFact
and the dev suite's Django FAQ and Python FAQ; each variant's delta is against the fp32
model it came from (student variants against the PyTorch fp32 student). Target (issue 17):
the fastest student variant >= 4.0x the teacher's docs/s and within 1 nDCG point of the
fp32 student on every data set. Writes ``docs/results/encoder_speed.json`` and ``.md``;
``pipeline`` is copied from the indexing benchmark's latest figures
(``docs/results/index_pipeline_all.json``, else ``index_pipeline.json``);
``--refresh-pipeline`` copies them without measuring.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from harness.datasets import REPO, SETS, django_files, load_set, pieces
from harness.report import RESULTS, add_shared_flag, write_result
from harness.scoring import CACHE as HARNESS_CACHE
from harness.scoring import system_ndcg
from harness.timing import interleaved_rates, latencies_ms, latency_ms, median_ratio

from evaluation import BeirDataset, read_queries, subsample

CACHE = HARNESS_CACHE / "encoder_speed"
TARGET_SPEEDUP, TARGET_NDCG_POINTS = 4.0, 1.0
TOPIC = "encoder speed"
logger = logging.getLogger("encoder_speed")


def django_chunks(n: int, skip: int = 0) -> list[str]:
    """``n`` 1000-character pieces (800 apart) of the Django docs, shuffled with seed 0."""
    texts = pieces(django_files(seed=None))
    random.Random(0).shuffle(texts)
    return texts[skip : skip + n]


def build_arms(student_dir: Path, calibration: list[str], args) -> dict:
    """name -> Encoder: teacher and student, PyTorch fp32 and every exported variant."""
    from encoders import EncoderConfig, SentenceTransformerEncoder, resolve_model
    from encoders.backend_encoder import BackendEncoder
    from encoders.backend_export import export_variants
    from encoders.resolve import fingerprint

    config = EncoderConfig(batch_size=args.batch, max_seq_length=args.max_seq)
    sources = {"teacher": resolve_model("all-MiniLM-L6-v2"), "student": student_dir}
    arms = {}
    for base, source in sources.items():
        arms[base] = SentenceTransformerEncoder(base, source, config)
        tag = "-quick" if args.quick else ""  # quick calibrates on fewer chunks
        out_base = CACHE / f"{base}-{fingerprint(source)}{tag}"
        done = [s for s in args.variants if (out_base.parent / f"{out_base.name}-{s}").is_dir()]
        todo = [s for s in args.variants if s not in done]
        folders = {s: out_base.parent / f"{out_base.name}-{s}" for s in done}
        if todo:
            folders |= export_variants(source, calibration, todo, args.max_seq, out_base=out_base)
        for suffix in args.variants:
            arms[f"{base}-{suffix}"] = BackendEncoder(
                f"{base}-{suffix}", folders[suffix], config, threads=args.threads
            )
    if args.legacy_int8:
        arms["student-int8 (torch.ao)"] = SentenceTransformerEncoder(
            "student-int8", Path(args.legacy_int8), config
        )
    return arms


def layer_params(model_dir: Path) -> tuple[int, int, int]:
    """(weight-matrix entries per layer: Q, K, V, O ``4 d^2`` + feed-forward ``2 d d_ff``;
    layers; hidden size ``d``) from the folder's ``config.json``."""
    cfg = json.loads((model_dir / "config.json").read_text())
    d, ff = cfg["hidden_size"], cfg["intermediate_size"]
    return 4 * d * d + 2 * d * ff, cfg["num_hidden_layers"], d


def useful_flops(texts: list[str], tokenizer, model_dir: Path, max_seq: int) -> float:
    """FLOPs of the non-pad tokens of ``texts`` (formula in the module docstring)."""
    per_layer, layers, d = layer_params(model_dir)
    lengths = np.array(
        [len(ids) for ids in tokenizer(texts, truncation=True, max_length=max_seq)["input_ids"]],
        dtype=np.float64,
    )
    return float(layers * (2 * lengths * per_layer + 4 * lengths**2 * d).sum())


def sgemm_peak(threads: int, n: int = 2048, repeats: int = 10) -> float:
    """Measured fp32 GEMM GFLOP/s with torch at ``threads`` threads (best of ``repeats``)."""
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def speed(arms: dict, texts: list[str], queries: list[str], rounds: int) -> dict:
    """docs/s per round and batch-1 query milliseconds, arms interleaved in every round."""
    rates: dict[str, list[float]] = {name: [] for name in arms}
    query_ms: dict[str, list[float]] = {name: [] for name in arms}
    for enc in arms.values():  # warm-up: first calls, every runtime's lazy setup
        enc.encode_documents(texts[:32])
        enc.encode_queries(queries[:3])
    documents = {name: enc.encode_documents for name, enc in arms.items()}
    for _ in range(rounds):
        for name, rate in interleaved_rates(documents, texts, rounds=1).items():
            rates[name] += rate
        for name, enc in arms.items():
            query_ms[name] += latencies_ms(lambda q, e=enc: e.encode_queries([q]), queries)
    return {"rates": rates, "query_ms": query_ms}


def datasets(names: list[str], quick: bool) -> Iterator[tuple[str, BeirDataset]]:
    """(name, data set) for each name; ``quick`` keeps 10 queries and 100 documents."""
    for name in names:
        data = load_set(name, SETS[name])
        yield name, subsample(data, 10, 100) if quick else data


def quality(arms: dict, names: list[str], quick: bool) -> dict:
    """nDCG@10 (points) per arm and data set; teacher variants only when asked. Nothing
    cached: ``--max-seq`` may differ from the harness's 256 tokens."""
    scores: dict[str, dict[str, float]] = {name: {} for name in arms}
    for dname, data in datasets(names, quick):
        for name, enc in arms.items():
            scores[name][dname] = round(100 * system_ndcg(data, enc, cache=False), 2)
            logger.info("%s on %s: nDCG@10 %.2f", name, dname, scores[name][dname])
    return scores


def summarise(arms: dict, timings: dict, scores: dict, flops: dict, peak: float) -> dict:
    """The figures of ``docs/results/encoder_speed.json``, per arm."""
    rates, teacher = timings["rates"], timings["rates"]["teacher"]
    out = {}
    for name in arms:
        base = "student" if name.startswith("student") else "teacher"
        docs_per_s = float(np.median(rates[name]))
        query = latency_ms(timings["query_ms"][name])
        row = {
            "docs_per_s": round(docs_per_s, 1),
            "speedup_vs_teacher": round(median_ratio(rates[name], teacher), 3),
            "query_ms_p50": query["p50_ms"],
            "query_ms_p95": query["p95_ms"],
            "useful_gflops": round(flops[base] * docs_per_s / 1e9, 1),
            "share_of_sgemm_peak": round(flops[base] * docs_per_s / 1e9 / peak, 3),
        }
        if scores.get(name):
            row["ndcg@10"] = scores[name]
            row[f"ndcg_delta_vs_fp32_{base}"] = {
                d: round(v - scores[base][d], 2) for d, v in scores[name].items()
            }
        out[name] = row
    return out


def verdict(variants: dict) -> dict:
    """Issue 17's target for the fastest student variant that keeps quality, if any."""
    ok = {
        n: v
        for n, v in variants.items()
        if n.startswith("student-")
        and "ndcg_delta_vs_fp32_student" in v
        and all(abs(d) <= TARGET_NDCG_POINTS for d in v["ndcg_delta_vs_fp32_student"].values())
    }
    best = max(ok, key=lambda n: ok[n]["speedup_vs_teacher"], default=None)
    speedup = ok[best]["speedup_vs_teacher"] if best else None
    return {
        "fastest_student_within_1_point": best,
        "speedup": speedup,
        "target": f">= {TARGET_SPEEDUP}x the teacher, nDCG@10 within {TARGET_NDCG_POINTS}",
        "met": bool(best and speedup >= TARGET_SPEEDUP),
    }


#: the indexing benchmark's outputs, whole Django docs first (``--files 0``)
PIPELINE_RESULTS = ("index_pipeline_all.json", "index_pipeline.json")


def pipeline_slot() -> dict:
    """Chunks/s through the indexing pipeline: the other benchmark's figures, or a note."""
    for name in PIPELINE_RESULTS:
        path = RESULTS / name
        if path.is_file():
            return {"source": str(path.relative_to(REPO)), **json.loads(path.read_text())}
    return {"status": "not measured here: run the pipeline benchmark, then rerun this one"}


def markdown(report: dict) -> str:
    lines = [
        f"# Encoder backends ({report['texts']} Django chunks, batch {report['batch']}, "
        f"{report['max_seq']} tokens, {report['threads']} threads, {report['rounds']} rounds)",
        "",
        f"sgemm peak (torch fp32, {report['threads']} threads): "
        f"{report['sgemm_peak_gflops']:.0f} GFLOP/s. Teacher: "
        f"{report['teacher_docs_per_s']:.1f} docs/s.",
        "",
        "| arm | docs/s | x teacher | query p50 ms | useful GFLOP/s | of peak | nDCG@10 delta |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, v in report["variants"].items():
        delta = next((v[k] for k in v if k.startswith("ndcg_delta")), {})
        shown = ", ".join(f"{d} {x:+.2f}" for d, x in delta.items()) or "-"
        lines.append(
            f"| {name} | {v['docs_per_s']} | {v['speedup_vs_teacher']:.2f} | "
            f"{v['query_ms_p50']} | {v['useful_gflops']} | {v['share_of_sgemm_peak']:.0%} | "
            f"{shown} |"
        )
    t = report["target"]
    lines += [
        "",
        f"Target ({t['target']}): **{'met' if t['met'] else 'not met'}** "
        f"(best: {t['fastest_student_within_1_point']}, {t['speedup']}x).",
    ]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from encoders.variants import VARIANTS

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--student", type=Path, help="fp32 student folder (default models/student)")
    add("--legacy-int8", help="also time a torch.ao student-int8 folder")
    add("--texts", type=int, default=512, help="Django chunks per round (default 512)")
    add("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    add("--queries", type=int, default=100, help="batch-1 queries per round (default 100)")
    add("--threads", type=int, default=2, help="threads of every runtime (default 2)")
    add("--batch", type=int, default=32, help="encoder batch size (default 32)")
    add("--max-seq", type=int, default=256, help="encoder max tokens (default 256)")
    add("--variants", default=",".join(VARIANTS), help="backend variants to export and time")
    add(
        "--datasets",
        default="scifact,django_faq,python_faq",
        help="data sets for the nDCG deltas, comma-separated, or none",
    )
    add(
        "--quality-arms",
        default="all",
        help="arms to score, comma-separated (teacher and student are always "
        "scored: deltas need them), or all",
    )
    add("--teacher-quality", action="store_true", help="score teacher variants")
    add("--quick", action="store_true", help="tiny sizes: proves it runs")
    add("--out", type=Path, default=RESULTS / "encoder_speed.json", help="the JSON to write")
    add(
        "--refresh-pipeline",
        action="store_true",
        help="measure nothing: copy the indexing benchmark's latest figures into --out",
    )
    add_shared_flag(parser)
    args = parser.parse_args(argv)
    args.variants = [v for v in args.variants.split(",") if v]
    if args.quick:
        args.texts, args.rounds, args.queries = 32, 1, 5
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.refresh_pipeline:
        report = json.loads(args.out.read_text())
        report["pipeline"] = pipeline_slot()
        write(args, report, meta=report.get("meta"))  # the figures keep their own stamp
        return
    run(args)


def scored_arms(arms: dict, args: argparse.Namespace) -> dict:
    """The arms ``quality`` scores: the student's and the teacher (``--teacher-quality``:
    every arm), narrowed by ``--quality-arms``."""
    scored = {n: e for n, e in arms.items() if n.startswith("student") or n == "teacher"}
    if args.teacher_quality:
        scored = arms
    if args.quality_arms != "all":
        wanted = {"teacher", "student", *args.quality_arms.split(",")}
        scored = {n: e for n, e in scored.items() if n in wanted}
    return scored


def run(args: argparse.Namespace) -> None:
    import torch
    from transformers import AutoTokenizer

    from core.settings import load_settings

    torch.set_num_threads(args.threads)
    student_dir = args.student or load_settings().models_dir / "student"
    if not (student_dir / "modules.json").is_file():
        raise SystemExit(
            f"no student at {student_dir}: run `distilsearch distill` or pass --student"
        )
    texts = django_chunks(args.texts)
    calibration = django_chunks(32 if args.quick else 300, skip=args.texts)
    arms = build_arms(student_dir, calibration, args)
    queries = list(read_queries(SETS["scifact"]).values())[: args.queries]
    tokenizer = AutoTokenizer.from_pretrained(str(student_dir))
    flops = {
        base: useful_flops(texts, tokenizer, arms[base].model_dir, args.max_seq) / len(texts)
        for base in ("teacher", "student")
    }  # per text
    peak = sgemm_peak(args.threads)
    load_before = list(os.getloadavg())
    timings = speed(arms, texts, queries, args.rounds)
    names = [] if args.datasets == "none" else args.datasets.split(",")
    scores = quality(scored_arms(arms, args), names, args.quick)
    variants = summarise(arms, timings, scores, flops, peak)
    report = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "student": str(student_dir),
        "texts": len(texts),
        "batch": args.batch,
        "max_seq": args.max_seq,
        "threads": args.threads,
        "rounds": args.rounds,
        "load_avg_before_after": load_before + list(os.getloadavg()),
        "sgemm_peak_gflops": round(peak, 1),
        "useful_flops_per_text": flops,
        "teacher_docs_per_s": variants["teacher"]["docs_per_s"],
        "variants": variants,
        "target": verdict(variants),
        "pipeline": pipeline_slot(),
    }
    write(args, report)


def write(args: argparse.Namespace, report: dict, meta: dict[str, Any] | None = None) -> None:
    """``--out`` and the markdown beside it."""
    out = args.out
    table = markdown(report)
    write_result(
        out.stem, report, table, topic=TOPIC, shared=args.shared, folder=out.parent, meta=meta
    )


if __name__ == "__main__":
    main()
