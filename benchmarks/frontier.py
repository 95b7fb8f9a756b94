"""Every encoder on one speed-quality frontier, per dev-suite set.

    python benchmarks/frontier.py train --depths 2,3,4,5   # students at the default budget
    python benchmarks/frontier.py teacher                  # the teacher's ONNX / OpenVINO exports
    python benchmarks/frontier.py model2vec                # benchmark-only extra: make bench-deps
    python benchmarks/frontier.py score                    # nDCG@10 + label-free estimates
    python benchmarks/frontier.py speed                    # docs/s, with the machine to itself
    python benchmarks/frontier.py report                   # docs/results/frontier.*, agreement_*

Students are distilled as ``distilsearch distill`` does it (its default recipe and step
budget; ``--layers`` per depth) on each set's corpus text only, and exported as the product
exports them: fp32, ONNX Runtime dynamic int8, OpenVINO static int8 calibrated on the
set's own passages. The teacher's int8 exports are calibrated the same way. Each student
variant is scored with its own queries and with the teacher's (teacher-query mode).

x = documents per second / the teacher's (PyTorch fp32), batch 32, 256 tokens, 2 threads,
every encoder timed once per round on the same sample, rounds interleaved; y = nDCG@10 /
the teacher's, exact search over the whole corpus. The Pareto set is marked. ``score``
also computes every label-free estimate candidate (:mod:`evaluation.estimates`) per system;
``report`` ranks them by Spearman with true retention (agreement_vs_retention.*).
Every step keeps what it made under ``benchmarks/.cache/frontier`` and skips it on rerun.
"""

from __future__ import annotations

import argparse
import logging
import time
from typing import Any

from harness.datasets import load_set, parse_sets
from harness.frontier_systems import (
    MODEL2VEC_DIR,
    STUDENT_VARIANTS,
    TEACHER_VARIANTS,
    set_dir,
    student_dir,
    systems,
)
from harness.report import write_result
from harness.timing import cpu_clock

logger = logging.getLogger("frontier")
SETS = "django_faq,python_faq,scifact"


def cmd_train(args: argparse.Namespace) -> None:
    """A student per set and depth at the default budget, with its int8 exports."""
    import torch

    from distill.config import DistillConfig
    from distill.run import run_distillation
    from encoders.student_meta import StudentMeta

    torch.set_num_threads(args.threads)
    args.steps = args.steps or DistillConfig().steps
    for name, folder in parse_sets(args.sets).items():
        for depth in (int(d) for d in args.depths.split(",")):
            out = student_dir(name, depth)
            config = DistillConfig(layers=depth, max_minutes=None, steps=args.steps)
            done = StudentMeta.read_optional(out)
            if done and done.training.get("steps") == config.steps:
                logger.info("%s depth %d: trained already", name, depth)
                continue
            resume = (out.with_name(out.name + ".ckpt") / "checkpoint.pt").is_file()
            started = time.perf_counter()
            result = run_distillation(
                config,
                str(folder / "corpus.jsonl"),
                out,
                resume=resume,
                int8=False,
                backends=tuple(v for v in STUDENT_VARIANTS if v != "fp32"),
                clock=cpu_clock(args.threads),
                progress=False,
            )
            logger.info(
                "%s depth %d: %d steps, %.0f s, held-out cosine %s",
                name,
                depth,
                result.meta["training"]["steps"],
                time.perf_counter() - started,
                result.meta.get("fidelity", {}).get("cosine_mean"),
            )


def cmd_teacher(args: argparse.Namespace) -> None:
    """The teacher's exports per set, static int8 calibrated on that set's documents."""
    from encoders import resolve_model
    from encoders.backend_export import export_variants
    from encoders.registry import DEFAULT_TEACHER_MODEL

    teacher = resolve_model(DEFAULT_TEACHER_MODEL)
    for name, folder in parse_sets(args.sets).items():
        todo = [v for v in TEACHER_VARIANTS if not (set_dir(name) / f"teacher-{v}").is_dir()]
        if todo:
            documents = load_set(name, folder).documents
            export_variants(teacher, documents, todo, out_base=set_dir(name) / "teacher")


def cmd_model2vec(args: argparse.Namespace) -> None:
    """model2vec distilled from the teacher (PCA to 256 dimensions), once for every set."""
    if MODEL2VEC_DIR.is_dir():
        return
    try:
        from model2vec.distill import distill
    except ImportError as exc:
        raise SystemExit(f"model2vec is a benchmark-only extra: make bench-deps ({exc})") from exc
    from encoders import resolve_model
    from encoders.registry import DEFAULT_TEACHER_MODEL

    model = distill(model_name=str(resolve_model(DEFAULT_TEACHER_MODEL)), pca_dims=256)
    model.save_pretrained(str(MODEL2VEC_DIR))


def cmd_score(args: argparse.Namespace) -> None:
    """nDCG@10 and every label-free candidate of every system, kept per set."""
    from harness.frontier_scoring import score_set

    for name, folder in parse_sets(args.sets).items():
        depths = [int(d) for d in args.depths.split(",")]
        score_set(name, load_set(name, folder), systems(name, depths), args.queries)


def cmd_speed(args: argparse.Namespace) -> None:
    """Documents per second of every document encoder, interleaved rounds."""
    from harness.frontier_speed import speed_set

    for name, folder in parse_sets(args.sets).items():
        depths = [int(d) for d in args.depths.split(",")]
        data = load_set(name, folder)
        speed_set(name, data, systems(name, depths), args.sample, args.rounds)


def cmd_report(args: argparse.Namespace) -> None:
    """Join scores and speeds; write the frontier and the estimates' ranking."""
    from harness.frontier_report import estimate_ranking, frontier_payload
    from harness.frontier_tables import estimates_markdown, frontier_markdown

    payload, sets = frontier_payload(list(parse_sets(args.sets)))
    table = frontier_markdown(payload)
    write_result("frontier", payload, table, topic="frontier", shared=args.shared)
    ranking = estimate_ranking(sets)
    table = estimates_markdown(ranking)
    write_result(
        "agreement_vs_retention", ranking, table, topic="label-free estimate", shared=args.shared
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {
        "train": "students of each depth at the default budget, with int8 exports",
        "teacher": "the teacher's ONNX / OpenVINO exports, calibrated per set",
        "model2vec": "model2vec distilled from the teacher (make bench-deps)",
        "score": "nDCG@10 and label-free estimates of every system",
        "speed": "docs/s of every encoder (the machine to itself)",
        "report": "docs/results/frontier.* and agreement_vs_retention.*",
    }
    for command, help_text in commands.items():
        p = sub.add_parser(command, help=help_text)
        p.add_argument("--sets", default=SETS, help=f"comma-separated (default {SETS})")
        p.add_argument("--depths", default="2,3,4,5", help="student depths (default 2,3,4,5)")
        p.add_argument("--threads", type=int, default=1, help="torch threads for training")
        p.add_argument("--steps", type=int, default=None, help="budget (default: distill's)")
        p.add_argument("--queries", type=int, default=1000, help="pseudo-queries per shape")
        p.add_argument("--sample", type=int, default=512, help="documents timed per round")
        p.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds")
        p.add_argument("--shared", action="store_true", help="the machine was shared")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    args = parse_args(argv)
    handlers: dict[str, Any] = {
        "train": cmd_train,
        "teacher": cmd_teacher,
        "model2vec": cmd_model2vec,
        "score": cmd_score,
        "speed": cmd_speed,
        "report": cmd_report,
    }
    handlers[args.command](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
