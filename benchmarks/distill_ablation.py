"""DistilBERT's ablation table, redone for retrieval: one change at a time, SciFact nDCG@10.

    python benchmarks/distill_ablation.py --steps 30

Every variant changes one thing in the default recipe (``--layer-map`` sets the base
map of all of them) and trains the same number of optimiser steps (batch 32, 128 tokens) on SciFact
corpus text from the same seed — steps rather than minutes, because the CPU is shared and
wall-clock budgets would measure the neighbours' load — then is scored like the curve in
distill_bench.py: nDCG@10 over the full corpus at 256 tokens (exact search, ranx) and
cosine to the teacher on held-out abstracts. Rows are written as they finish.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from dataclasses import replace

from distill_bench import (
    CACHE,
    RESULTS,
    SCIFACT,
    held_out_abstracts,
    load_scifact,
    score,
    teacher_reference,
    write_results,
)

logger = logging.getLogger("distill_ablation")

#: name -> changes to the default DistillConfig
VARIANTS: dict[str, dict] = {
    "default recipe (KD + token cos + sentence cos)": {},
    "layer map (0, 2, 4), every other layer": {"layer_map": (0, 2, 4)},
    "layer map (0, 3, 5)": {"layer_map": (0, 3, 5)},
    "random initialisation": {"init": "random"},
    "- sentence cosine": {"alpha_cos_sentence": 0.0},
    "- KD (alpha_ce 0)": {"alpha_ce": 0.0},
    "- token cosine": {"alpha_cos_token": 0.0},
    "+ MLM (full triple loss, alpha_mlm 0.1)": {"alpha_mlm": 0.1},
    "- pseudo-queries (passage-passage KD)": {"pseudo_queries": False},
}


def main() -> None:
    import torch

    from distill.config import DistillConfig, parse_layer_map
    from distill.run import run_distillation
    from encoders import resolve_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--only", help="comma-separated variant numbers (1-based)")
    parser.add_argument("--variants", type=int, default=len(VARIANTS), help="first N variants")
    parser.add_argument("--layer-map", help="base layer map of every variant (default: spread)")
    parser.add_argument("--append", action="store_true", help="add rows to an earlier table")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    data = load_scifact()
    teacher_dir = resolve_model("all-MiniLM-L6-v2")
    teacher = teacher_reference(data, teacher_dir)
    base = DistillConfig(steps=args.steps, max_minutes=None, checkpoint_every=10**9)
    if args.layer_map:
        base = replace(base, layer_map=parse_layer_map(args.layer_map))
    held = held_out_abstracts(data, base.holdout_fraction, base.seed, base.max_seq_length)
    chosen = list(VARIANTS.items())[: args.variants]
    if args.only:
        chosen = [chosen[int(i) - 1] for i in args.only.split(",")]
    rows = []
    previous = RESULTS / "distill_ablation.json"
    if args.append and previous.is_file():
        rows = json.loads(previous.read_text())["rows"]
        for row in rows:  # rows from before the default map became (0, 3, 5)
            if "layer_map" not in row:
                row["layer_map"] = row["changes"].get("layer_map", [0, 2, 4])
                if not row["changes"]:
                    row["variant"] = "layer map (0, 2, 4), every other layer"
    for name, changes in chosen:
        config = replace(base, **changes).with_layers(6)
        slug = "_".join(f"{k}-{v}" for k, v in sorted(changes.items())) or "default"
        out = (
            CACHE / "ablation" / f"{''.join(c if c.isalnum() else '_' for c in slug)}_{args.steps}"
        )
        started = time.perf_counter()
        result = run_distillation(
            config, str(SCIFACT / "corpus.jsonl"), out, int8=False, progress=False
        )
        wall = time.perf_counter() - started
        row = {
            "variant": name,
            "layer_map": list(config.layer_map),
            "changes": {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()},
            "steps": result.meta["training"]["steps"],
            "train_seconds": result.meta["training"]["seconds"],
            "wall_seconds": wall,
            **score(out, data, teacher, held, teacher_dir),
        }
        rows.append(row)
        logger.info("%s", row)
        lines = [
            f"SciFact nDCG@10 after {args.steps} steps (batch 32, 128 tokens) per variant; "
            f"teacher {teacher['ndcg@10'] * 100:.2f}. Full corpus, 256 tokens.",
            "",
            "| variant | layers | nDCG@10 | retention | cosine mean | cosine p5 | train s |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            lines.append(
                f"| {r['variant']} | {tuple(r.get('layer_map', (0, 2, 4)))} | "
                f"{r['ndcg@10'] * 100:.2f} | {r['retention'] * 100:.1f}% | "
                f"{r['cosine_mean']:.3f} | {r['cosine_p5']:.3f} | {r['train_seconds']:.0f} |"
            )
        payload = {
            "steps": args.steps,
            "teacher": teacher,
            "rows": rows,
            "held_out_abstracts": len(held),
            "base": base.to_dict(),
        }
        write_results("distill_ablation", payload, "\n".join(lines))


if __name__ == "__main__":
    main()
