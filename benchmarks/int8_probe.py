"""What int8 variants of the student buy on this CPU, and where their time goes.

    python benchmarks/int8_probe.py --student benchmarks/.cache/curve_spread60/student

Arms, measured in one process in interleaved rounds at batch 32 and 256 tokens on SciFact
abstracts: the teacher, the fp32 student, torch dynamic int8 with one weight scale per
tensor and per output channel, and ONNX Runtime dynamic int8 per tensor, per channel, and
per channel after ONNX Runtime's transformer fusions (Attention, SkipLayerNorm, BiasGelu).
Each arm reports texts/s, the speed-up over the teacher (median of per-round ratios) and
cosine to the teacher on held-out abstracts. ONNX Runtime's profiler then splits one
int8 forward pass by operator, which shows how much of the time int8 cannot shrink
(softmax, layer norms, additions, activations). JSON and markdown go to docs/results/.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
from distill_bench import (
    CACHE,
    EVAL_BATCH,
    EVAL_MAX_SEQ,
    OnnxEncoder,
    encoder_of,
    export_onnx,
    export_onnx_int8,
    held_out_abstracts,
    load_scifact,
    median_ratio,
    throughput,
    write_results,
)

logger = logging.getLogger("int8_probe")

#: ONNX Runtime operators that do int8 work; everything else in the int8 model runs in fp32
#: (attention scores and their product with V stay MatMul / FusedMatMul).
INT8_OPS = frozenset(
    {"DynamicQuantizeMatMul", "MatMulIntegerToFloat", "MatMulInteger", "DynamicQuantizeLinear"}
    | {"QAttention", "QEmbedLayerNormalization"}
)


def onnx_variants(student_dir: Path, out_dir: Path) -> dict[str, Path]:
    """ONNX int8 files of the student: per tensor, per channel, fused then per channel."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoConfig

    fp32 = export_onnx(student_dir, out_dir)
    config = AutoConfig.from_pretrained(str(student_dir))
    fused = out_dir / "model_fused.onnx"
    if not fused.is_file():
        optimized = optimize_model(
            str(fp32),
            model_type="bert",
            num_heads=config.num_attention_heads,
            hidden_size=config.hidden_size,
        )
        logger.info("fusions: %s", optimized.get_fused_operator_statistics())
        optimized.save_model_to_file(str(fused))

    def quantized(source: Path, per_channel: bool) -> Path:
        target = out_dir / f"{source.stem}_int8_{'channel' if per_channel else 'tensor'}.onnx"
        if not target.is_file():  # fused ops lack shape inference: float is their output type
            quantize_dynamic(
                str(source),
                str(target),
                weight_type=QuantType.QInt8,
                per_channel=per_channel,
                extra_options={"DefaultTensorType": TensorProto.FLOAT},
            )
        return target

    return {
        "ONNX int8 per tensor": quantized(fp32, per_channel=False),
        "ONNX int8 per channel": export_onnx_int8(student_dir, out_dir),  # the speed arm's file
        "ONNX fused + int8 per channel": quantized(fused, per_channel=True),
    }


def torch_int8(student_dir: Path, per_channel: bool):
    """The fp32 student with its Linear layers dynamically quantized by torch."""
    from sentence_transformers import SentenceTransformer

    from encoders.int8 import quantize_encoder

    model = SentenceTransformer(str(student_dir), device="cpu")
    model[0].model = quantize_encoder(model[0].model, per_channel=per_channel)
    return model


def operator_shares(path: Path, texts: list[str], tokenizer_dir: Path, threads: int) -> dict:
    """Per-operator share of kernel time over two batch-32 forward passes (the first warms up)."""
    import onnxruntime as ort
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    batch = tokenizer(
        texts[:EVAL_BATCH], truncation=True, max_length=EVAL_MAX_SEQ, padding=True
    ).convert_to_tensors("np")
    feed = {k: batch[k].astype(np.int64) for k in ("input_ids", "attention_mask")}
    with tempfile.TemporaryDirectory() as scratch:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(scratch) / "ort")
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        for _ in range(2):
            session.run(None, feed)
        trace = json.loads(Path(session.end_profiling()).read_text())
    micros: collections.Counter[str] = collections.Counter()
    for event in trace:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            micros[event["args"]["op_name"]] += event["dur"]
    total = sum(micros.values())
    return {
        "total_ms_two_passes": total / 1000,
        "int8_share": sum(v for k, v in micros.items() if k in INT8_OPS) / total,
        "by_operator": {k: v / total for k, v in micros.most_common()},
    }


def main() -> None:
    import argparse

    import torch
    from sentence_transformers import SentenceTransformer

    from encoders import fingerprint, resolve_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--student", default=str(CACHE / "curve_spread60" / "student"))
    parser.add_argument("--texts", type=int, default=192, help="texts per throughput pass")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    threads = int(os.environ.get("BENCH_THREADS", "2"))
    torch.set_num_threads(threads)
    student_dir = Path(args.student)
    data = load_scifact()
    cfg = json.loads((student_dir / "distill_meta.json").read_text())["config"]
    held = held_out_abstracts(data, cfg["holdout_fraction"], cfg["seed"], cfg["max_seq_length"])
    teacher = SentenceTransformer(str(resolve_model("all-MiniLM-L6-v2")), device="cpu")
    fp32 = SentenceTransformer(str(student_dir), device="cpu")
    arms = {"teacher": teacher, "student fp32": fp32}
    arms["torch int8 per tensor"] = torch_int8(student_dir, per_channel=False)
    arms["torch int8 per channel"] = torch_int8(student_dir, per_channel=True)
    onnx_dir = CACHE / "speed" / f"onnx_{fingerprint(student_dir)}"
    onnx_files = onnx_variants(student_dir, onnx_dir)
    for model in arms.values():
        model.max_seq_length = EVAL_MAX_SEQ
    for name, path in onnx_files.items():
        arms[name] = OnnxEncoder(path, student_dir, threads)

    texts = data.documents[: args.texts]
    rates: dict[str, list[float]] = {name: [] for name in arms}
    for _ in range(args.rounds):  # interleaved: load from other jobs hits every arm alike
        for name, model in arms.items():
            rates[name].append(throughput(encoder_of(model), texts, EVAL_BATCH))
    reference = encoder_of(teacher)(held, EVAL_BATCH)
    results = {}
    for name, model in arms.items():
        cosine = (encoder_of(model)(held, EVAL_BATCH) * reference).sum(1)
        results[name] = {
            "texts_per_s_b32": float(np.median(rates[name])),
            "speedup_b32": median_ratio(rates[name], rates["teacher"]),
            "rounds": rates[name],
            "cosine_mean": float(cosine.mean()),
            "cosine_p5": float(np.percentile(cosine, 5)),
        }
    fp32_onnx = export_onnx(student_dir, onnx_dir)  # written by onnx_variants; a path lookup
    profiles = {
        "ONNX fp32": operator_shares(fp32_onnx, texts, student_dir, threads),
        "ONNX int8 per channel": operator_shares(
            onnx_files["ONNX int8 per channel"], texts, student_dir, threads
        ),
    }
    write_results(
        "int8_probe",
        {"student": str(student_dir), "threads": threads, "arms": results, "profiles": profiles},
        table(results, profiles, threads, args.rounds),
    )


def table(results: dict, profiles: dict, threads: int, rounds: int) -> str:
    lines = [
        f"SciFact abstracts, batch {EVAL_BATCH}, {EVAL_MAX_SEQ} tokens, {threads} threads; "
        f"speed-up = median of per-round ratios over {rounds} interleaved rounds.",
        "",
        "| arm | texts/s | x teacher | cos mean | cos p5 |",
        "|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['texts_per_s_b32']:.1f} | {r['speedup_b32']:.2f} | "
            f"{r['cosine_mean']:.3f} | {r['cosine_p5']:.3f} |"
        )
    lines += ["", "| ONNX model | kernel ms (2 passes) | int8 kernels | largest operators |"]
    lines.append("|---|---|---|---|")
    for name, p in profiles.items():
        top = list(p["by_operator"].items())[:6]
        listed = ", ".join(f"{k} {v * 100:.0f}%" for k, v in top)
        lines.append(
            f"| {name} | {p['total_ms_two_passes']:.0f} | {p['int8_share'] * 100:.0f}% | {listed} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
