"""Benchmark the distiller on SciFact with the MiniLM teacher (docs/distillation.md).

    python benchmarks/distill_bench.py curve --minutes 20 --points 5,10,20
    python benchmarks/distill_bench.py speed

``curve`` trains the default recipe once on SciFact corpus text (never queries or qrels),
snapshots the student at each point (snapshot time is not charged to the budget; the
learning rate follows the whole run's schedule, so early points are lower bounds for a
run of that length), then scores every snapshot: SciFact nDCG@10 over the full corpus
(exact inner-product search, scored by ``evaluation.metrics`` through ranx; 256 tokens,
``title + " " + text``, loaded by ``evaluation.load_beir``) and cosine to the teacher on
held-out abstracts. ``speed`` measures the last snapshot against the
teacher: throughput at batch 1 and 32 (interleaved rounds, one process), parameters,
size on disk, fidelity and nDCG@10, for fp32 and int8. Teacher corpus embeddings are
cached under benchmarks/.cache/. JSON and a markdown table go to docs/results/.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

import numpy as np
from report_files import write_report

from evaluation import BeirDataset, evaluate_run, exact_run, load_beir

REPO = Path(__file__).resolve().parent.parent
SCIFACT = REPO.parent / "shared" / "data" / "scifact"
CACHE = REPO / "benchmarks" / ".cache"
RESULTS = REPO / "docs" / "results"
EVAL_MAX_SEQ = 256
EVAL_BATCH = 32

logger = logging.getLogger("distill_bench")


def load_scifact(root: Path = SCIFACT) -> BeirDataset:
    """SciFact's test split through the harness's loader: documents are ``title + " " +
    text``, queries the judged ones."""
    return load_beir(root, "test", name="scifact")


def encode(model_dir: Path, texts: list[str], max_seq: int = EVAL_MAX_SEQ, **kw) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu", **kw)
    model.max_seq_length = max_seq
    return model.encode(
        texts,
        batch_size=EVAL_BATCH,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    ).astype(np.float32)


def query_texts(data: BeirDataset) -> list[str]:
    """The judged queries' texts, in ``data.query_ids`` order."""
    return [data.queries[q] for q in data.query_ids]


def ndcg_at_10(data: BeirDataset, doc_emb: np.ndarray, query_emb: np.ndarray) -> float:
    """Exact inner-product search over the full corpus (top 100), nDCG@10 by the harness
    (ranx); ``doc_emb`` rows follow ``data.doc_ids``, ``query_emb`` rows ``data.query_ids``."""
    run = exact_run(data.doc_ids, doc_emb, data.query_ids, query_emb, top_k=100)
    return evaluate_run(data.qrels, run, ["ndcg@10"]).mean["ndcg@10"]


def corpus_embeddings(model_dir: Path, data: BeirDataset, **kw) -> np.ndarray:
    """Document embeddings at 256 tokens, cached by weight fingerprint and data set."""
    from encoders import fingerprint

    key = hashlib.sha256(
        (fingerprint(Path(model_dir)) + str(EVAL_MAX_SEQ) + str(len(data.doc_ids))).encode()
    ).hexdigest()[:16]
    path = CACHE / f"{data.name}_docs_{key}.npy"
    if path.is_file():
        return np.load(path)
    CACHE.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    emb = encode(model_dir, data.documents, **kw)
    logger.info("encoded %d docs in %.0f s", len(emb), time.perf_counter() - start)
    np.save(path, emb)
    return emb


def held_out_abstracts(data: BeirDataset, fraction: float, seed: int, max_seq: int) -> list[str]:
    """Full abstracts of the documents the trainer held out (same split as distill.run)."""
    from distill.data import load_examples, split_holdout

    examples = load_examples(str(SCIFACT / "corpus.jsonl"), max_seq)
    _, held = split_holdout(examples, fraction, seed)
    held_docs = {e.doc for e in held}
    return [t for d, t in zip(data.doc_ids, data.documents, strict=True) if d in held_docs]


def cosine_to_teacher(model_dir: Path, teacher_dir: Path, texts: list[str], **kw) -> dict:
    s = encode(model_dir, texts, **kw)
    t = encode(teacher_dir, texts)
    cos = (s * t).sum(1)
    return {"cosine_mean": float(cos.mean()), "cosine_p5": float(np.percentile(cos, 5))}


def teacher_reference(data: BeirDataset, teacher_dir: Path) -> dict:
    docs = corpus_embeddings(teacher_dir, data)
    return {"ndcg@10": ndcg_at_10(data, docs, encode(teacher_dir, query_texts(data)))}


def score(
    model_dir: Path, data: BeirDataset, teacher: dict, held: list[str], teacher_dir: Path, **kw
):
    start = time.perf_counter()
    docs = corpus_embeddings(model_dir, data, **kw)
    value = ndcg_at_10(data, docs, encode(model_dir, query_texts(data), **kw))
    return {
        "ndcg@10": value,
        "retention": value / teacher["ndcg@10"],
        **cosine_to_teacher(model_dir, teacher_dir, held, **kw),
        "eval_seconds": time.perf_counter() - start,
    }


def write_results(name: str, payload: dict, table: str) -> None:
    """``docs/results/<name>.json`` and ``.md``."""
    write_report(RESULTS / f"{name}.json", payload, table)


def train_with_snapshots(config, points: list[float], out: Path) -> tuple[dict, list[dict]]:
    """One run of ``config``; a snapshot export each time training time passes a point."""
    from distill.export import export_student
    from distill.run import run_distillation

    pending = sorted(points)
    snaps: list[dict] = []
    tokenizer = load_teacher_tokenizer(config.teacher)

    def on_step(step: int, seconds: float, student) -> None:
        while pending and seconds >= pending[0] * 60:
            minute = pending.pop(0)
            folder = out.parent / f"{out.name}_{minute:g}min"
            student.eval()
            snap = {"minutes": minute, "steps": step, "train_seconds": seconds}
            export_student(student, tokenizer, folder, EVAL_MAX_SEQ, {"snapshot": snap})
            student.train()
            snaps.append({**snap, "dir": str(folder)})
            logger.info("snapshot at %.1f min (step %d)", seconds / 60, step)

    started = time.perf_counter()
    result = run_distillation(config, str(SCIFACT / "corpus.jsonl"), out, on_step=on_step)
    meta = {**result.meta, "bench_wall_seconds": time.perf_counter() - started}
    final = meta["training"]
    snaps.append(
        {
            "minutes": final["seconds"] / 60,
            "steps": final["steps"],
            "train_seconds": final["seconds"],
            "dir": str(out),
            "final": True,
        }
    )
    return meta, snaps


def load_teacher_tokenizer(name: str):
    from transformers import AutoTokenizer

    from encoders import resolve_model

    return AutoTokenizer.from_pretrained(str(resolve_model(name)))


def cmd_curve(args) -> None:
    from dataclasses import replace

    from distill.config import DistillConfig, parse_layer_map
    from encoders import resolve_model

    data = load_scifact()
    teacher_dir = resolve_model("all-MiniLM-L6-v2")
    config = DistillConfig(max_minutes=args.minutes, checkpoint_every=10**9)
    if args.layer_map:
        config = replace(config, layer_map=parse_layer_map(args.layer_map))
    points = [float(p) for p in args.points.split(",") if float(p) < args.minutes]
    out = CACHE / f"curve_{args.tag}" / "student"
    if args.eval_only:  # score an earlier run's snapshots again (embeddings are cached)
        meta = json.loads((out / "distill_meta.json").read_text())
        steps_at = [int(x) for x in args.steps_at.split(",") if x]
        snaps = []
        for i, minute in enumerate(points):
            folder = out.parent / f"{out.name}_{minute:g}min"
            saved = json.loads((folder / "distill_meta.json").read_text()).get("snapshot", {})
            steps = saved.get("steps", steps_at[i] if i < len(steps_at) else None)
            snaps.append({"minutes": minute, "steps": steps, "dir": str(folder)})
        final = meta["training"]
        snaps.append({"minutes": final["seconds"] / 60, "steps": final["steps"], "dir": str(out)})
    else:
        meta, snaps = train_with_snapshots(config, points, out)
    teacher = teacher_reference(data, teacher_dir)
    held = held_out_abstracts(data, config.holdout_fraction, config.seed, config.max_seq_length)
    rows = []
    for snap in snaps:
        rows.append({**snap, **score(Path(snap["dir"]), data, teacher, held, teacher_dir)})
        logger.info("%s", rows[-1])
    untrained = None
    if args.untrained:
        untrained = untrained_student(config, teacher_dir, data, teacher, held)
    payload = {
        "recipe": meta["config"],
        "teacher": teacher,
        "held_out_abstracts": len(held),
        "training": meta["training"],
        "data": meta["data"],
        "untrained": untrained,
        "points": rows,
        "threads": torch_threads(),
        "note": args.note,
    }
    lines = [
        f"Teacher all-MiniLM-L6-v2 nDCG@10 = {teacher['ndcg@10'] * 100:.2f} "
        f"(SciFact test, full corpus, 256 tokens). Student layers {meta['layer_map']}.",
        "",
        "| training minutes | steps | nDCG@10 | retention | cosine mean | cosine p5 |",
        "|---|---|---|---|---|---|",
    ]
    if untrained:
        lines.append(
            f"| 0 (untrained) | 0 | {untrained['ndcg@10'] * 100:.2f} | "
            f"{untrained['retention'] * 100:.1f}% | {untrained['cosine_mean']:.3f} | "
            f"{untrained['cosine_p5']:.3f} |"
        )
    for r in rows:
        lines.append(
            f"| {r['minutes']:.1f} | {r['steps']} | {r['ndcg@10'] * 100:.2f} | "
            f"{r['retention'] * 100:.1f}% | {r['cosine_mean']:.3f} | {r['cosine_p5']:.3f} |"
        )
    write_results(f"distill_curve_{args.tag}", payload, "\n".join(lines))


def untrained_student(config, teacher_dir: Path, data: BeirDataset, teacher: dict, held: list[str]):
    from distill.export import export_student
    from distill.student import build_student, load_teacher

    t = load_teacher(teacher_dir)
    cfg = config.with_layers(t.num_layers)
    student = build_student(t.model.encoder, cfg.layer_map, init=cfg.init, pooling_mode="mean")
    folder = CACHE / f"untrained_{'_'.join(map(str, cfg.layer_map))}_{cfg.init}"
    export_student(student, t.tokenizer, folder, EVAL_MAX_SEQ, {})
    return score(folder, data, teacher, held, teacher_dir)


def disk_bytes(folder: Path) -> int:
    """Bytes of the weight files under ``folder`` (what the fingerprint hashes, plus .onnx)."""
    suffixes = (".safetensors", ".bin", ".pt", ".onnx")
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.suffix in suffixes)


class OnnxEncoder:
    """Mean-pooled, normalised embeddings from an ONNX Runtime session (the ONNX int8 arm)."""

    def __init__(self, path: Path, tokenizer_dir: Path, threads: int) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))

    def encode(self, texts: list[str], batch_size: int = EVAL_BATCH, max_seq: int = EVAL_MAX_SEQ):
        out = []
        for i in range(0, len(texts), batch_size):
            batch = self.tokenizer(
                texts[i : i + batch_size],
                truncation=True,
                max_length=max_seq,
                padding=True,
                return_tensors="np",
            )
            feed = {
                "input_ids": batch["input_ids"].astype(np.int64),
                "attention_mask": batch["attention_mask"].astype(np.int64),
            }
            hidden = self.session.run(None, feed)[0]
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
            out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        return np.concatenate(out).astype(np.float32)


def export_onnx(student_dir: Path, out_dir: Path) -> Path:
    """``out_dir/model.onnx``: the student encoder (ids, mask) -> last hidden state, fp32,
    exported by the product's own exporter (:func:`encoders.backend_export.export_onnx`)."""
    from encoders.backend_export import export_onnx as export_hidden_states

    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = out_dir / "model.onnx"
    if fp32.is_file():
        return fp32
    return export_hidden_states(Path(student_dir), fp32)


def export_onnx_int8(student_dir: Path, out_dir: Path) -> Path:
    """:func:`export_onnx`, then ONNX Runtime dynamic int8 with per-channel weight scales."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8 = out_dir / "model_int8_per_channel.onnx"
    if not int8.is_file():
        fp32 = export_onnx(student_dir, out_dir)
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    return int8


def encoder_of(model):
    """``fn(texts, batch_size)`` -> normalised embeddings ``(n, dim)`` of a SentenceTransformer
    or :class:`OnnxEncoder` (a SentenceTransformer's ``max_seq_length`` is left as set)."""
    if isinstance(model, OnnxEncoder):
        return model.encode
    return lambda texts, b: model.encode(
        texts, batch_size=b, normalize_embeddings=True, show_progress_bar=False
    )


def median_ratio(rates: list[float], base: list[float]) -> float:
    """Median over rounds of ``rates[i] / base[i]``: robust to load that drifts between rounds."""
    return float(np.median([x / t for x, t in zip(rates, base, strict=True)]))


def throughput(encode_fn, texts: list[str], batch_size: int) -> float:
    """Texts per second of one pass (after one warm-up batch)."""
    encode_fn(texts[:batch_size], batch_size)
    start = time.perf_counter()
    encode_fn(texts, batch_size)
    return len(texts) / (time.perf_counter() - start)


def cmd_speed(args) -> None:
    """Teacher vs student fp32 vs int8 arms, measured in one process, interleaved."""
    import torch
    from sentence_transformers import SentenceTransformer

    from distill.export import export_int8
    from encoders import fingerprint, resolve_model
    from encoders.int8 import FFN_OUTPUT

    threads = torch.get_num_threads()
    data = load_scifact()
    teacher_dir = resolve_model("all-MiniLM-L6-v2")
    student_dir = Path(args.student)
    int8_dir = student_dir.with_name(student_dir.name + "-int8")
    export_int8(student_dir, int8_dir)  # cheap; always from the current code
    skip_dir = CACHE / "speed" / "student-int8-ffn-fp32"
    export_int8(student_dir, skip_dir, skip=(FFN_OUTPUT,))
    meta = json.loads((student_dir / "distill_meta.json").read_text())
    cfg = meta["config"]
    held = held_out_abstracts(data, cfg["holdout_fraction"], cfg["seed"], cfg["max_seq_length"])
    arms: dict[str, object] = {}
    for name, folder, trust in (
        ("teacher", teacher_dir, False),
        ("student fp32", student_dir, False),
        ("student int8 (torch dynamic)", int8_dir, True),
        ("student int8, FFN out fp32", skip_dir, True),
    ):
        model = SentenceTransformer(str(folder), device="cpu", trust_remote_code=trust)
        model.max_seq_length = EVAL_MAX_SEQ
        arms[name] = (model, folder)
    onnx_path = None
    try:
        onnx_dir = CACHE / "speed" / f"onnx_{fingerprint(student_dir)}"
        onnx_path = export_onnx_int8(student_dir, onnx_dir)
        arms["student int8 (ONNX Runtime)"] = (
            OnnxEncoder(onnx_path, student_dir, threads),
            onnx_path,
        )
    except Exception as exc:  # measured where it works; the reason is reported otherwise
        logger.warning("ONNX arm unavailable: %s", exc)

    speed_texts = data.documents[: args.texts]
    rounds: dict[str, dict[str, list[float]]] = {n: {"b1": [], "b32": []} for n in arms}
    for _ in range(args.rounds):  # interleaved, so load from other jobs hits every arm alike
        for name, (model, _folder) in arms.items():
            rounds[name]["b1"].append(
                throughput(encoder_of(model), speed_texts[: args.texts // 4], 1)
            )
            rounds[name]["b32"].append(throughput(encoder_of(model), speed_texts, 32))
    teacher_vecs = encoder_of(arms["teacher"][0])(held, 32)
    results = {}
    for name, (model, folder) in arms.items():
        vecs = encoder_of(model)(held, 32)
        cos = (vecs * teacher_vecs).sum(1)
        params = None
        if not isinstance(model, OnnxEncoder):
            params = sum(p.numel() for p in model.parameters())
        results[name] = {
            "texts_per_s_b1": float(np.median(rounds[name]["b1"])),
            "texts_per_s_b32": float(np.median(rounds[name]["b32"])),
            "rounds": rounds[name],
            "params_float": params,
            "disk_mb": disk_bytes(folder if Path(folder).is_dir() else Path(folder).parent) / 1e6
            if name != "student int8 (ONNX Runtime)"
            else Path(folder).stat().st_size / 1e6,
            "cosine_mean": float(cos.mean()),
            "cosine_p5": float(np.percentile(cos, 5)),
        }
    base = rounds["teacher"]
    for name, r in results.items():  # median of per-round ratios: robust to drifting load
        for b in ("b1", "b32"):
            r[f"speedup_{b}"] = median_ratio(rounds[name][b], base[b])
    previous = RESULTS / "distill_speed.json"
    if args.no_ndcg and previous.is_file():  # keep nDCG measured earlier for the same student
        old = json.loads(previous.read_text())
        if old.get("student") == str(student_dir):
            for name, r in old["arms"].items():
                for key in ("ndcg@10", "retention"):
                    if key in r and name in results:
                        results[name][key] = r[key]
    if not args.no_ndcg:
        teacher = teacher_reference(data, teacher_dir)
        results["teacher"]["ndcg@10"] = teacher["ndcg@10"]
        for name in ("student fp32", "student int8 (torch dynamic)"):
            model, folder = arms[name]
            docs = corpus_embeddings(folder, data, trust_remote_code=name != "student fp32")
            value = ndcg_at_10(data, docs, encoder_of(model)(query_texts(data), 32))
            results[name]["ndcg@10"] = value
            results[name]["retention"] = value / teacher["ndcg@10"]
    payload = {
        "student": str(student_dir),
        "distill_meta": meta,
        "threads": threads,
        "max_seq_length": EVAL_MAX_SEQ,
        "speed_texts": len(speed_texts),
        "held_out_abstracts": len(held),
        "rounds": args.rounds,
        "arms": results,
        "distillation_wall_seconds": meta.get("wall_seconds"),
        "distillation_train_seconds": meta["training"]["seconds"],
    }
    lines = [
        f"SciFact abstracts, {EVAL_MAX_SEQ} tokens, {threads} threads; speed-ups are the median "
        f"of per-round ratios over {args.rounds} interleaved rounds; int8 weights have one "
        "scale per output channel. "
        f"Student {meta['layer_map']} after "
        f"{meta['training']['seconds'] / 60:.1f} min of training "
        f"({meta['training']['steps']} steps; "
        f"whole run {meta.get('wall_seconds', 0) / 60:.1f} min).",
        "",
        "| model | texts/s b1 | texts/s b32 | x teacher b1 | x teacher b32 | params | disk MB "
        "| cos mean | cos p5 | nDCG@10 | retention |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        ndcg = f"{r['ndcg@10'] * 100:.2f}" if "ndcg@10" in r else "-"
        ret = f"{r['retention'] * 100:.1f}%" if "retention" in r else "-"
        params = f"{r['params_float'] / 1e6:.1f}M" if r["params_float"] else "-"
        lines.append(
            f"| {name} | {r['texts_per_s_b1']:.1f} | {r['texts_per_s_b32']:.1f} | "
            f"{r['speedup_b1']:.2f} | {r['speedup_b32']:.2f} | {params} | {r['disk_mb']:.1f} | "
            f"{r['cosine_mean']:.3f} | {r['cosine_p5']:.3f} | {ndcg} | {ret} |"
        )
    write_results("distill_speed", payload, "\n".join(lines))


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def main() -> None:
    import argparse

    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("curve", help="retention vs training minutes of the default recipe")
    p.add_argument("--minutes", type=float, default=20.0)
    p.add_argument("--points", default="5,10,20,40,60,120")
    p.add_argument("--layer-map")
    p.add_argument("--tag", default="default")
    p.add_argument("--untrained", action="store_true", help="also score the untrained student")
    p.add_argument("--eval-only", action="store_true", help="score an earlier run's snapshots")
    p.add_argument("--steps-at", default="", help="with --eval-only: steps of each point")
    p.add_argument("--note", default="")
    p = sub.add_parser("teacher", help="cache and score the teacher only")
    p = sub.add_parser("speed", help="throughput, size and fidelity: teacher vs fp32 vs int8")
    p.add_argument("--student", default=str(CACHE / "curve_default" / "student"))
    p.add_argument("--no-ndcg", action="store_true")
    p.add_argument("--texts", type=int, default=192, help="texts per throughput pass")
    p.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    if args.command == "curve":
        cmd_curve(args)
    elif args.command == "teacher":
        from encoders import resolve_model

        print(teacher_reference(load_scifact(), resolve_model("all-MiniLM-L6-v2")))
    else:
        cmd_speed(args)


if __name__ == "__main__":
    main()
