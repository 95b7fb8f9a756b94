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

Quality: nDCG@10 by exact search (``evaluation.exact_run`` / ``evaluate_run``) on SciFact
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
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from report_files import write_report

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "docs" / "results"
SCIFACT = REPO.parent / "shared" / "data" / "scifact"
DEV_SUITE = REPO / "data" / "dev_suite"
CACHE = REPO / "benchmarks" / ".cache" / "encoder_speed"
TARGET_SPEEDUP, TARGET_NDCG_POINTS = 4.0, 1.0
logger = logging.getLogger("encoder_speed")


def django_chunks(n: int, skip: int = 0) -> list[str]:
    """``n`` 1000-character pieces (800 apart) of the Django docs, shuffled with seed 0."""
    from core.settings import load_settings
    from indexer.demo_corpus import fetch_django_docs

    files = sorted(fetch_django_docs(load_settings().data_dir / "demo").rglob("*.txt"))
    texts = [t[i : i + 1000] for t in map(Path.read_text, files) for i in range(0, len(t), 800)]
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
    """docs/s per round and batch-1 query milliseconds, arms interleaved."""
    rates: dict[str, list[float]] = {name: [] for name in arms}
    query_ms: dict[str, list[float]] = {name: [] for name in arms}
    for enc in arms.values():  # warm-up: first calls, every runtime's lazy setup
        enc.encode_documents(texts[:32])
        enc.encode_queries(queries[:3])
    for _ in range(rounds):
        for name, enc in arms.items():
            start = time.perf_counter()
            enc.encode_documents(texts)
            rates[name].append(len(texts) / (time.perf_counter() - start))
            for q in queries:
                start = time.perf_counter()
                enc.encode_queries([q])
                query_ms[name].append((time.perf_counter() - start) * 1000)
    return {"rates": rates, "query_ms": query_ms}


def datasets(names: list[str], quick: bool):
    """(name, BeirDataset) for each name; ``quick`` keeps 100 documents and 10 queries."""
    from evaluation import load_beir

    roots = {"scifact": SCIFACT, "django_faq": DEV_SUITE / "django_faq"}
    roots["python_faq"] = DEV_SUITE / "python_faq"
    for name in names:
        data = load_beir(roots[name], "test", name=name)
        if quick:
            data = shrink(data)
        yield name, data


def shrink(data):
    """The first 10 judged queries and their relevant documents plus others, 100 in all."""
    from dataclasses import replace

    qids = data.query_ids[:10]
    keep = {d for q in qids for d in data.qrels.get(q, {})}
    keep |= set(data.doc_ids[: max(0, 100 - len(keep))])
    rows = [i for i, d in enumerate(data.doc_ids) if d in keep]
    return replace(
        data,
        doc_ids=[data.doc_ids[i] for i in rows],
        titles=[data.titles[i] for i in rows],
        texts=[data.texts[i] for i in rows],
        queries={q: data.queries[q] for q in qids},
        qrels={q: data.qrels[q] for q in qids},
        corpus_hash="",
    )


def ndcg(enc, data) -> float:
    from evaluation import evaluate_run, exact_run

    docs = enc.encode_documents(data.documents)
    queries = enc.encode_queries([data.queries[q] for q in data.query_ids])
    run = exact_run(data.doc_ids, docs, data.query_ids, queries, top_k=100)
    return 100 * evaluate_run(data.qrels, run, ["ndcg@10"]).mean["ndcg@10"]


def quality(arms: dict, names: list[str], quick: bool) -> dict:
    """nDCG@10 (points) per arm and data set; teacher variants only when asked."""
    scores: dict[str, dict[str, float]] = {name: {} for name in arms}
    for dname, data in datasets(names, quick):
        for name, enc in arms.items():
            scores[name][dname] = round(ndcg(enc, data), 2)
            logger.info("%s on %s: nDCG@10 %.2f", name, dname, scores[name][dname])
    return scores


def summarise(arms: dict, timings: dict, scores: dict, flops: dict, peak: float) -> dict:
    """The figures of ``docs/results/encoder_speed.json``, per arm."""
    rates, teacher = timings["rates"], timings["rates"]["teacher"]
    out = {}
    for name in arms:
        base = "student" if name.startswith("student") else "teacher"
        docs_per_s = float(np.median(rates[name]))
        ratios = [r / t for r, t in zip(rates[name], teacher, strict=True)]
        row = {
            "docs_per_s": round(docs_per_s, 1),
            "speedup_vs_teacher": round(float(np.median(ratios)), 3),
            "query_ms_p50": round(float(np.percentile(timings["query_ms"][name], 50)), 2),
            "query_ms_p95": round(float(np.percentile(timings["query_ms"][name], 95)), 2),
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


def main() -> None:
    from encoders.variants import VARIANTS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--student", type=Path, help="fp32 student folder (default models/student)")
    parser.add_argument("--legacy-int8", help="also time a torch.ao student-int8 folder")
    parser.add_argument("--texts", type=int, default=512, help="Django chunks per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=100, help="batch-1 queries per round")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--max-seq", type=int, default=256)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument(
        "--datasets",
        default="scifact,django_faq,python_faq",
        help="data sets for the nDCG deltas, comma-separated, or none",
    )
    parser.add_argument(
        "--quality-arms",
        default="all",
        help="arms to score, comma-separated (teacher and student are always "
        "scored: deltas need them), or all",
    )
    parser.add_argument("--teacher-quality", action="store_true", help="score teacher variants")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: proves it runs")
    parser.add_argument("--out", type=Path, default=RESULTS / "encoder_speed.json")
    parser.add_argument(
        "--refresh-pipeline",
        action="store_true",
        help="measure nothing: copy the indexing benchmark's latest figures into --out",
    )
    args = parser.parse_args()
    if args.refresh_pipeline:
        report = json.loads(args.out.read_text())
        report["pipeline"] = pipeline_slot()
        write_report(args.out, report, markdown(report))
        return
    args.variants = [v for v in args.variants.split(",") if v]
    if args.quick:
        args.texts, args.rounds, args.queries = 32, 1, 5
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    run(args)


def run(args) -> None:
    import json as _json

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
    queries = [_json.loads(x)["text"] for x in (SCIFACT / "queries.jsonl").open()][: args.queries]
    tokenizer = AutoTokenizer.from_pretrained(str(student_dir))
    flops = {
        base: useful_flops(texts, tokenizer, arms[base].model_dir, args.max_seq) / len(texts)
        for base in ("teacher", "student")
    }  # per text
    peak = sgemm_peak(args.threads)
    load_before = list(__import__("os").getloadavg())
    timings = speed(arms, texts, queries, args.rounds)
    scored = {n: e for n, e in arms.items() if n.startswith("student") or n == "teacher"}
    if args.teacher_quality:
        scored = arms
    if args.quality_arms != "all":
        wanted = {"teacher", "student", *args.quality_arms.split(",")}
        scored = {n: e for n, e in scored.items() if n in wanted}
    names = [] if args.datasets == "none" else args.datasets.split(",")
    scores = quality(scored, names, args.quick)
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
        "load_avg_before_after": load_before + list(__import__("os").getloadavg()),
        "sgemm_peak_gflops": round(peak, 1),
        "useful_flops_per_text": flops,
        "teacher_docs_per_s": variants["teacher"]["docs_per_s"],
        "variants": variants,
        "target": verdict(variants),
        "pipeline": pipeline_slot(),
    }
    write_report(args.out, report, markdown(report))


if __name__ == "__main__":
    main()
