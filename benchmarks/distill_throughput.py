"""More fidelity per CPU-minute: each training lever alone and together, on every dev-suite set.

    python benchmarks/distill_throughput.py speed                   # steps per CPU-minute
    python benchmarks/distill_throughput.py quality --arms baseline,together --sets django_faq
    python benchmarks/distill_throughput.py report --adopted together

Arms are :class:`distill.config.DistillConfig` overrides over the round-2 default recipe
(three layers, fp32, embeddings trained, teacher targets on first use, length buckets):
see ``ARMS``. ``speed`` runs every arm for ``--steps`` optimiser steps per set, arms
interleaved over ``--rounds``, and reports steps per CPU-minute (teacher targets included)
and the loss of the last step (the equal-loss check). ``quality`` trains an
arm for ``--minutes`` of CPU time (the last point ends the run; process CPU seconds over
``--threads``, so other load does not shrink the budget), records the held-out cosine to
the teacher at every point, and scores nDCG@10 of the student and of student documents +
teacher queries at the last one. Each run leaves a partial under ``benchmarks/.cache``;
``report`` joins them into ``docs/results/distill_throughput.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from harness.datasets import parse_sets
from harness.report import write_result
from harness.scoring import CACHE, product_encoder, system_ndcg
from harness.timing import cpu_clock

logger = logging.getLogger("distill_throughput")
PARTIALS = CACHE / "throughput"
#: The round-2 recipe, with every lever at its round-2 setting.
BASELINE: dict[str, Any] = {
    "precision": "fp32",
    "frozen_embeddings": 0.0,
    "targets_upfront": False,
    "bucket_batches": True,
}
ARMS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "bf16": {"precision": "bf16"},
    "frozen": {"frozen_embeddings": 1.0},
    "upfront": {"targets_upfront": True},
    "no_buckets": {"bucket_batches": False},
    "together": {"precision": "auto", "frozen_embeddings": 1.0, "targets_upfront": True},
    "together_unfreeze": {"precision": "auto", "frozen_embeddings": 0.8, "targets_upfront": True},
}


def arm_config(arm: str, **extra: Any):
    from distill.config import DistillConfig

    return DistillConfig(**{**BASELINE, **ARMS[arm], "checkpoint_every": 10**9, **extra})


def training_split(config, corpus: Path):
    """``(train, held_out)`` exactly as ``distill`` splits them."""
    from distill.data import load_examples, split_holdout, vary_queries

    examples = load_examples(str(corpus), config.max_seq_length)
    train, held = split_holdout(examples, config.holdout_fraction, config.seed)
    return vary_queries(train, config.query_kinds, config.seed), held


def speed_once(arm: str, corpus: Path, steps: int, threads: int) -> dict[str, float]:
    """One run of ``steps`` steps: steps per CPU-minute and the loss of the last step."""
    from distill.run import _load_models
    from distill.trainer import train

    config = arm_config(arm, steps=steps, max_minutes=None, warmup_fraction=0.0)
    config, _, teacher, student = _load_models(config)
    examples, _ = training_split(config, corpus)
    started = time.process_time()
    result = train(config, teacher, student, examples, progress=False, clock=cpu_clock(threads))
    cpu_minutes = (time.process_time() - started) / 60
    return {
        "steps_per_cpu_minute": result.steps / max(result.seconds / 60, 1e-9),
        "process_cpu_minutes": cpu_minutes,
        "last_loss": result.last_losses["total"],
    }


def cmd_speed(args: argparse.Namespace) -> None:
    """Every arm, ``--rounds`` times interleaved, on every set; a partial per set."""
    torch.set_num_threads(args.threads)
    for name, folder in parse_sets(args.sets).items():
        rows: dict[str, list[dict[str, float]]] = {arm: [] for arm in args.arms.split(",")}
        for _ in range(args.rounds):
            for arm in rows:
                rows[arm].append(speed_once(arm, folder / "corpus.jsonl", args.steps, args.threads))
                logger.info("%s %s: %s", name, arm, rows[arm][-1])
        summary = {
            arm: {
                "steps_per_cpu_minute": float(np.median([r["steps_per_cpu_minute"] for r in runs])),
                "last_loss": float(np.median([r["last_loss"] for r in runs])),
                "runs": runs,
            }
            for arm, runs in rows.items()
        }
        save_partial(f"speed_{name}", {"steps": args.steps, "threads": args.threads, **summary})


def cmd_quality(args: argparse.Namespace) -> None:
    """Train each arm on each set to the last of ``--minutes``; cosine at every point."""
    torch.set_num_threads(args.threads)
    points = [float(m) for m in args.minutes.split(",")]
    for name, folder in parse_sets(args.sets).items():
        for arm in args.arms.split(","):
            entry = quality_run(arm, name, folder, points, args.threads)
            save_partial(f"quality_{name}_{arm}", entry)


def quality_run(arm: str, name: str, folder: Path, points: list[float], threads: int) -> dict:
    """One arm on one set: steps and held-out cosine at each point, retention at the last."""
    from harness.datasets import load_set

    from distill.fidelity import fidelity
    from distill.run import FIDELITY_MAX_TEXTS, run_distillation
    from distill.student import load_teacher
    from encoders import resolve_model

    config = arm_config(arm, steps=None, max_minutes=points[-1])
    teacher = load_teacher(resolve_model(config.teacher))
    _, held = training_split(config, folder / "corpus.jsonl")
    texts = [e.text for e in held[:FIDELITY_MAX_TEXTS]]
    pending, snaps = list(points[:-1]), []

    def on_step(step: int, seconds: float, student) -> None:
        while pending and seconds >= pending[0] * 60:
            student.eval()
            cos = fidelity(student, teacher.model, teacher.tokenizer, texts, 128)
            student.train()
            snaps.append({"minutes": pending.pop(0), "steps": step, "cosine": cos["cosine_mean"]})

    out = CACHE / "throughput_models" / f"{name}_{arm}"
    corpus = str(folder / "corpus.jsonl")
    clock = cpu_clock(threads)
    result = run_distillation(
        config, corpus, out, int8=False, on_step=on_step, clock=clock, progress=False
    )
    training = result.meta["training"]
    snaps.append(
        {
            "minutes": training["seconds"] / 60,
            "steps": training["steps"],
            "cosine": result.meta["fidelity"]["cosine_mean"],
        }
    )
    data = load_set(name, folder)
    teacher_encoder, student = product_encoder("teacher"), product_encoder(out)
    scores = {
        "teacher": system_ndcg(data, teacher_encoder),
        "student": system_ndcg(data, student),
        "teacher_query": system_ndcg(data, student, teacher_encoder),
    }
    return {
        "arm": arm,
        "set": name,
        "threads": threads,
        "overrides": {**BASELINE, **ARMS[arm]},
        "points": snaps,
        "steps_per_cpu_minute": training["steps"] / (training["seconds"] / 60),
        "targets_seconds": training.get("targets_seconds", 0.0),
        **scores,
        "retention": scores["student"] / scores["teacher"],
        "teacher_query_retention": scores["teacher_query"] / scores["teacher"],
    }


def save_partial(key: str, payload: dict) -> None:
    PARTIALS.mkdir(parents=True, exist_ok=True)
    (PARTIALS / f"{key}.json").write_text(json.dumps(payload, indent=2) + "\n")
    logger.info("saved %s", PARTIALS / f"{key}.json")


def load_partials() -> tuple[dict, dict]:
    speed, quality = {}, {}
    for path in sorted(PARTIALS.glob("*.json")):
        body = json.loads(path.read_text())
        if path.stem.startswith("speed_"):
            speed[path.stem.removeprefix("speed_")] = body
        else:
            quality.setdefault(body["set"], {})[body["arm"]] = body
    return speed, quality


def cmd_report(args: argparse.Namespace) -> None:
    """Join the partials; the adopted arm's speed-up over the baseline, per set and overall."""
    speed, quality = load_partials()
    by_arm = {
        arm: {
            name: arms[arm]["steps_per_cpu_minute"] / arms["baseline"]["steps_per_cpu_minute"]
            for name, arms in quality.items()
            if arm in arms and "baseline" in arms
        }
        for arm in ARMS
    }
    gains = by_arm[args.adopted]
    payload = {
        "adopted": args.adopted,
        "adopted_overrides": {**BASELINE, **ARMS[args.adopted]},
        "speedup_steps_per_cpu_minute": float(np.mean(list(gains.values()))) if gains else None,
        "speedup_per_set": gains,
        "speedup_per_arm": {arm: sets for arm, sets in by_arm.items() if sets},
        "speed": speed,
        "quality": quality,
    }
    table = markdown(payload)
    topic = "distillation throughput"
    write_result("distill_throughput", payload, table, topic=topic, shared=args.shared)


def markdown(payload: dict[str, Any]) -> str:
    lines = ["Steps per CPU-minute by lever (short runs, median of rounds; loss = last step):", ""]
    lines += ["| set | lever | steps / CPU-min | x baseline | loss |", "|---|---|---|---|---|"]
    for name, arms in payload["speed"].items():
        base = arms.get("baseline", {}).get("steps_per_cpu_minute")
        for arm, row in arms.items():
            if not isinstance(row, dict) or "steps_per_cpu_minute" not in row:
                continue
            rate = row["steps_per_cpu_minute"]
            ratio = f"{rate / base:.2f}" if base else ""
            lines.append(f"| {name} | {arm} | {rate:.1f} | {ratio} | {row['last_loss']:.4f} |")
    lines += ["", "Training runs on the CPU clock: held-out cosine to the teacher at each point;"]
    lines += ["nDCG@10 retention at the last (student / student docs + teacher queries):", ""]
    lines += ["| set | arm | steps/CPU-min | cosine by minute | retention | tq retention |"]
    lines += ["|---|---|---|---|---|---|"]
    for name, arms in payload["quality"].items():
        for arm, row in arms.items():
            cos = ", ".join(f"{p['minutes']:.0f}: {p['cosine']:.3f}" for p in row["points"])
            lines.append(
                f"| {name} | {arm} | {row['steps_per_cpu_minute']:.1f} | {cos} | "
                f"{row['retention'] * 100:.1f}% | {row['teacher_query_retention'] * 100:.1f}% |"
            )
    lines += ["", "Steps per CPU-minute over whole training runs, x the baseline's:", ""]
    for arm, sets in payload["speedup_per_arm"].items():
        lines.append(f"- {arm}: " + ", ".join(f"{n} {x:.2f}x" for n, x in sets.items()))
    speedup = payload["speedup_steps_per_cpu_minute"]
    if speedup:
        lines += ["", f"Adopted ({payload['adopted']}): {speedup:.2f}x the baseline's steps per"]
        lines += ["CPU-minute over whole training runs (mean over sets)."]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    speed = sub.add_parser("speed", help="steps per CPU-minute of every lever")
    speed.add_argument("--steps", type=int, default=60)
    speed.add_argument("--rounds", type=int, default=2)
    speed.add_argument("--arms", default=",".join(a for a in ARMS if a != "together_unfreeze"))
    quality = sub.add_parser("quality", help="held-out cosine and retention of some arms")
    quality.add_argument("--arms", default="baseline,together")
    quality.add_argument("--minutes", default="5,10,20")
    for p in (speed, quality):
        p.add_argument("--sets", default="django_faq,python_faq,scifact")
        p.add_argument("--threads", type=int, default=2)
    report = sub.add_parser("report", help="join the partials into docs/results")
    report.add_argument("--adopted", default="together", choices=sorted(ARMS))
    report.add_argument("--shared", action="store_true", help="the machine was shared")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    args = parse_args(argv)
    {"speed": cmd_speed, "quality": cmd_quality, "report": cmd_report}[args.command](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
