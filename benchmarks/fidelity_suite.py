"""The student on every dev-suite set: retention of the teacher's nDCG@10 by training time.

    python benchmarks/fidelity_suite.py                      # default recipe, 5/10/20 min
    python benchmarks/fidelity_suite.py --minutes 5,10,20,60 --sets django_faq --tag django60
    python benchmarks/fidelity_suite.py --recipe alpha_ce=1 --tag kd1   # the in-batch KD on

For each set of the dev suite (SciFact, Django FAQ, Python FAQ; ``benchmarks/dev_suite.py``)
the recipe is distilled from the teacher on that set's corpus text only (never its
queries or judgements), one run per set, with a snapshot at each point of ``--minutes``
(the last point ends the run; the learning rate follows the whole run, so earlier points
are lower bounds for runs of that length). Every snapshot is scored by exact search over
the full corpus (256 tokens, ``evaluation.metrics`` through ranx):

* ``student`` -- the student on both sides;
* ``teacher_query`` -- student documents, teacher queries (teacher-query mode);
* ``student_int8`` -- the torch.ao int8 export, at the last point only;
* ``int8_variants`` -- every int8 at the last point: torch.ao and the ``--backends``
  variants (ONNX Runtime dynamic int8, OpenVINO static int8 calibrated on the set's
  passages), each beside the fp32 student it came from;
* ``label_free`` -- the agreement estimate (``evaluation.agreement``) on the set's corpus.

**Clock.** ``--clock cpu`` (the default) charges training its process CPU time divided
by ``--cpu-share`` (the cores the trainer keeps busy on an idle machine), so a run on a
shared machine gets the same training as one alone; ``--clock wall`` is the product's
clock. The SciFact steps at each point are printed beside those of a run alone
(``docs/results/distill_curve_spread120.json``) as the check of the share.

Writes ``docs/results/fidelity_suite[_TAG].json`` and ``.md``: per set ``teacher``,
``student``, ``teacher_query``, ``student_int8`` nDCG@10, ``retention``,
``teacher_query_retention``, ``minutes``, ``label_free`` and every point; then
``mean_retention`` and ``mean_teacher_query_retention`` over the sets and the rank
correlation of the label-free figures with true retention over all points.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
from agreement_vs_retention import SETS, spearman
from distill_bench import (
    CACHE,
    EVAL_MAX_SEQ,
    RESULTS,
    corpus_embeddings,
    encode,
    load_teacher_tokenizer,
    ndcg_at_10,
    query_texts,
    torch_threads,
    write_results,
)

logger = logging.getLogger("fidelity_suite")
TEACHER_NAME = "all-MiniLM-L6-v2"
QUIET_REFERENCE = RESULTS / "distill_curve_spread120.json"
INT8_KINDS = ("torch.ao", "onnx-int8", "openvino-int8")


def parse_recipe(pairs: list[str]) -> dict[str, Any]:
    """``["alpha_cos_sentence=8", "pseudo_queries=false"]`` -> config overrides (JSON values)."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise SystemExit(f"--recipe takes KEY=VALUE, got {pair!r}")
        try:
            overrides[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            overrides[key.strip()] = raw
    return overrides


def make_clock(kind: str, cpu_share: float):
    """The training budget's clock: wall time, or process CPU time / ``cpu_share``."""
    if kind == "wall":
        return time.perf_counter
    return lambda: time.process_time() / cpu_share


def clock_label(kind: str, cpu_share: float) -> str:
    return f"process CPU seconds / {cpu_share:g}" if kind == "cpu" else "wall"


def train_set(
    config, corpus: Path, points: list[float], out: Path, clock, backends: tuple[str, ...] = ()
) -> tuple[dict, list]:
    """One run on ``corpus`` to ``points[-1]`` minutes; snapshot folders at earlier points."""
    from distill.export import export_student
    from distill.run import run_distillation
    from encoders import fingerprint, resolve_model

    tokenizer = load_teacher_tokenizer(config.teacher)
    teacher_print = fingerprint(resolve_model(config.teacher))
    pending, snaps = list(points[:-1]), []

    def on_step(step: int, seconds: float, student) -> None:
        while pending and seconds >= pending[0] * 60:
            minute = pending.pop(0)
            folder = out.parent / f"{out.name}_{minute:g}min"
            snap = {"minutes": minute, "steps": step}
            student.eval()
            meta = {"snapshot": snap, "teacher_fingerprint": teacher_print}
            export_student(student, tokenizer, folder, EVAL_MAX_SEQ, meta)
            student.train()
            snaps.append({**snap, "dir": str(folder)})

    config = replace(config, max_minutes=points[-1], checkpoint_every=10**9)
    result = run_distillation(
        config, str(corpus), out, on_step=on_step, clock=clock, backends=backends
    )
    training = result.meta["training"]
    last = {"minutes": training["seconds"] / 60, "steps": training["steps"], "dir": str(out)}
    int8_dir = str(result.int8_out) if result.int8_out else None
    variants = {suffix: str(folder) for suffix, folder in result.variants.items()}
    snaps.append({**last, "int8_dir": int8_dir, "variants": variants})
    return result.meta, snaps


def product_encoder(name: str, folder: Path):
    """The product's encoder over ``folder`` at 256 tokens (it knows how int8 folders load)."""
    from encoders import EncoderConfig
    from encoders.sentence_transformer import SentenceTransformerEncoder

    return SentenceTransformerEncoder(name, folder, EncoderConfig(max_seq_length=EVAL_MAX_SEQ))


def score_point(data, snap: dict, teacher: dict, probe) -> dict[str, Any]:
    """nDCG@10 of the student and of teacher-query mode, the label-free estimate, int8."""
    folder = Path(snap["dir"])
    docs = corpus_embeddings(folder, data)
    student = ndcg_at_10(data, docs, encode(folder, query_texts(data)))
    paired = ndcg_at_10(data, docs, teacher["queries"])
    row = {
        "minutes": round(snap["minutes"], 2),
        "steps": snap["steps"],
        "student": student,
        "teacher_query": paired,
        "retention": student / teacher["ndcg"],
        "teacher_query_retention": paired / teacher["ndcg"],
    }
    encoder = product_encoder("student", folder)
    row["label_free"] = probe.measure(encoder).to_dict()
    if snap.get("int8_dir"):
        row["student_int8"] = encoder_ndcg(data, product_encoder("int8", Path(snap["int8_dir"])))
        row["int8_variants"] = {"torch.ao": row["student_int8"]}
    for suffix, variant_folder in snap.get("variants", {}).items():
        if suffix.endswith("int8"):
            row.setdefault("int8_variants", {})[suffix] = encoder_ndcg(
                data, variant_encoder(suffix, Path(variant_folder))
            )
    return row


def encoder_ndcg(data, encoder) -> float:
    """nDCG@10 of a product encoder on both sides, by exact search over the corpus."""
    docs = encoder.encode_documents(list(data.documents))
    return ndcg_at_10(data, docs, encoder.encode_queries(query_texts(data)))


def variant_encoder(name: str, folder: Path):
    """The product's ONNX / OpenVINO runtime over a variant folder at 256 tokens."""
    from encoders import EncoderConfig
    from encoders.backend_encoder import BackendEncoder

    return BackendEncoder(name, folder, EncoderConfig(max_seq_length=EVAL_MAX_SEQ), threads=2)


def run_set(
    name: str, root: Path, config, points: list[float], clock, tag: str, backends: tuple = ()
) -> dict:
    """Train on ``root``'s corpus, score every snapshot; the set's entry of the JSON."""
    from encoders import resolve_model
    from evaluation import load_beir
    from evaluation.agreement import AgreementProbe

    data = load_beir(root, "test", name=name)
    teacher_dir = resolve_model(config.teacher)
    t_docs = corpus_embeddings(teacher_dir, data)
    t_queries = encode(teacher_dir, query_texts(data))
    teacher = {"ndcg": ndcg_at_10(data, t_docs, t_queries), "queries": t_queries}
    started = time.perf_counter()
    meta, snaps = train_set(
        config, root / "corpus.jsonl", points, CACHE / f"suite_{tag}" / name, clock, backends
    )
    train_wall = time.perf_counter() - started
    probe = AgreementProbe(data.documents, product_encoder("teacher", teacher_dir))
    rows = [score_point(data, snap, teacher, probe) for snap in snaps]
    final = rows[-1]
    return {
        "teacher": teacher["ndcg"],
        "student": final["student"],
        "teacher_query": final["teacher_query"],
        "student_int8": final.get("student_int8"),
        "int8_variants": final.get("int8_variants", {}),
        "retention": final["retention"],
        "teacher_query_retention": final["teacher_query_retention"],
        "minutes": final["minutes"],
        "label_free": final["label_free"],
        "points": rows,
        "training": {**meta["training"], "wall_seconds_shared": train_wall},
        "held_out_cosine": meta.get("fidelity"),
        "data": meta["data"],
        "layer_map": meta.get("layer_map"),
    }


def quiet_steps() -> dict[str, int]:
    """SciFact steps at each minute of the default recipe run alone (the clock check)."""
    if not QUIET_REFERENCE.is_file():
        return {}
    points = json.loads(QUIET_REFERENCE.read_text())["points"]
    return {f"{p['minutes']:g}": p["steps"] for p in points}


def correlation(sets: dict[str, dict]) -> dict[str, Any]:
    """Spearman between each label-free figure and true retention over every point."""
    out: dict[str, Any] = {}
    for kind, key in (
        ("student", "retention"),
        ("student docs + teacher queries", "teacher_query_retention"),
    ):
        rows = [p for s in sets.values() for p in s["points"] if kind in p["label_free"]["systems"]]
        truth = [p[key] for p in rows]
        out[kind] = {
            figure: spearman([p["label_free"]["systems"][kind][figure] for p in rows], truth)
            for figure in ("overlap_at_10", "rbo", "self_hit_at_10")
        }
        out[kind]["points"] = len(rows)
    return out


def recipe_summary(recipe: dict[str, Any]) -> str:
    """The loss weights and training settings of ``recipe`` (a DistillConfig as a dict)."""
    from distill.config import LOSS_TERMS

    weights = ", ".join(f"{term} {recipe[f'alpha_{term}']:g}" for term in LOSS_TERMS)
    settings = f"T {recipe['temperature']:g}, lr {recipe['lr']:g}, batch {recipe['batch_size']}"
    return f"loss weights {weights}; {settings}, {recipe['max_seq_length']} training tokens"


def markdown(payload: dict[str, Any]) -> str:
    lines = [
        f"Student ({payload['layer_map']} of {TEACHER_NAME}) distilled on each set's corpus text "
        f"only; clock: {payload['clock']}. nDCG@10 by exact search over the full corpus, "
        "256 tokens. tq = student documents + teacher queries. "
        f"Recipe: {recipe_summary(payload['recipe'])}.",
        "",
        "| set | minutes | steps | teacher | student | retention | tq | tq retention | int8 "
        "| agreement (overlap@10 student / tq) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in payload["sets"].items():
        for p in entry["points"]:
            systems = p["label_free"]["systems"]
            tq = systems.get("student docs + teacher queries", {}).get("overlap_at_10", 0)
            int8 = f"{p['student_int8'] * 100:.2f}" if p.get("student_int8") else ""
            lines.append(
                f"| {name} | {p['minutes']:g} | {p['steps']} | {entry['teacher'] * 100:.2f} | "
                f"{p['student'] * 100:.2f} | {p['retention'] * 100:.1f}% | "
                f"{p['teacher_query'] * 100:.2f} | {p['teacher_query_retention'] * 100:.1f}% | "
                f"{int8} | {systems['student']['overlap_at_10']:.2f} / {tq:.2f} |"
            )
    lines += [
        "",
        "int8 at the last point, nDCG@10 (points against the fp32 student):",
        "",
        "| set | fp32 | " + " | ".join(INT8_KINDS) + " |",
        "|---|---|" + "---|" * len(INT8_KINDS),
    ]
    for name, entry in payload["sets"].items():
        fp32, variants = entry["student"], entry.get("int8_variants", {})
        cells = [
            f"{variants[k] * 100:.2f} ({(variants[k] - fp32) * 100:+.2f})" if k in variants else ""
            for k in INT8_KINDS
        ]
        lines.append(f"| {name} | {fp32 * 100:.2f} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Mean retention over the sets at the last point: student "
        f"{payload['mean_retention'] * 100:.1f}%, teacher-query mode "
        f"{payload['mean_teacher_query_retention'] * 100:.1f}%.",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--minutes",
        default="5,10,20",
        help="snapshot minutes; the last ends the run (default 5,10,20)",
    )
    parser.add_argument(
        "--sets", default=",".join(SETS), help=f"of {', '.join(SETS)}, or NAME=BEIR_FOLDER"
    )
    parser.add_argument(
        "--recipe",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="DistillConfig overrides, e.g. alpha_cos_sentence=8",
    )
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument(
        "--cpu-share",
        type=float,
        default=2.0,
        help="cores the trainer keeps busy alone (CPU clock only)",
    )
    parser.add_argument("--tag", default="", help="results go to fidelity_suite_TAG.json")
    parser.add_argument(
        "--backends",
        default="onnx-int8,openvino-int8",
        help="backend variants to export and score at the last point, or none",
    )
    return parser.parse_args(argv)


def write_payload(args, config, clock: str, sets: dict[str, dict]) -> None:
    """Write (and print) the JSON and the table for the sets done so far: after every set,
    so a long run that stops early keeps what it measured."""
    payload = {
        "recipe": asdict(config),
        "layer_map": next(iter(sets.values()))["layer_map"],
        "clock": clock,
        "threads": torch_threads(),
        "sets": sets,
        "mean_retention": float(np.mean([s["retention"] for s in sets.values()])),
        "mean_teacher_query_retention": float(
            np.mean([s["teacher_query_retention"] for s in sets.values()])
        ),
        "label_free_vs_retention": correlation(sets),
        "scifact_steps_alone": quiet_steps(),
    }
    write_results(
        "fidelity_suite" + (f"_{args.tag}" if args.tag else ""), payload, markdown(payload)
    )


def main(argv: list[str] | None = None) -> int:
    from distill.config import DistillConfig

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args = parse_args(argv)
    config = DistillConfig(**parse_recipe(args.recipe))
    points = sorted(float(p) for p in args.minutes.split(","))
    backends = () if args.backends == "none" else tuple(args.backends.split(","))
    clock = make_clock(args.clock, args.cpu_share)
    sets = {}
    for item in args.sets.split(","):
        name, _, folder = item.partition("=")
        root = Path(folder) if folder else SETS[name]
        sets[name] = run_set(name, root, config, points, clock, args.tag or "default", backends)
        logger.info("%s: %s", name, {k: v for k, v in sets[name].items() if k != "points"})
        write_payload(args, config, clock_label(args.clock, args.cpu_share), sets)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
