"""``distilsearch distill``: train and export a student; heavy imports stay in the handler.

Also runnable as ``python -m shell.distill_command ...`` (and so under ``torchrun``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.settings import Settings, load_settings
from distill.config import LOSS_TERM_MEANING, QUERY_KINDS, DistillConfig, parse_layer_map
from encoders.variants import VARIANTS
from shell.common import LOG_FORMAT, Handler, Subparsers

if TYPE_CHECKING:
    from usecases.distilling import DistillOutcome

logger = logging.getLogger(__name__)

DEFAULT_OUT = "student"
DESCRIPTION = (
    "Train a student with fewer layers than the teacher (--layers, spread over the teacher's) "
    "on corpus text for a budget of optimiser steps, and export it (fp32, int8, ONNX, "
    "OpenVINO) as sentence-transformers folders. Loss: DistilBERT's soft-target KD, masked "
    "LM and cosine; "
    "the defaults keep the cosine terms (chosen on the dev suite, docs/distillation.md), and "
    "--alpha-ce 1 --alpha-mlm 0.1 is the full triple loss. Under torchrun, trains data-parallel."
)


def register(subparsers: Subparsers, handlers: dict[str, Handler]) -> None:
    """Add the ``distill`` subcommand."""
    p = subparsers.add_parser(
        "distill",
        help="distil a smaller, faster student from a sentence-transformers teacher",
        description=DESCRIPTION,
    )
    add_arguments(p)
    handlers["distill"] = run_cli


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``distilsearch distill`` (and of ``python -m shell.distill_command``)."""
    add_recipe_arguments(p)
    add_run_arguments(p)


def add_recipe_arguments(p: argparse.ArgumentParser) -> None:
    """Data, output and every :class:`DistillConfig` field the command line sets."""
    d = DistillConfig()
    p.add_argument("--teacher", default=d.teacher, help=f"model id or path (default {d.teacher})")
    p.add_argument(
        "--data",
        required=True,
        help="folder of documents, BEIR corpus.jsonl (or its folder), or collection:NAME",
    )
    p.add_argument("--out", help="output folder (default <models dir>/student)")
    p.add_argument(
        "--layers",
        type=int,
        default=d.layers,
        help="student depth: this many teacher layers, evenly spread, first and last kept "
        "(default: the depth chosen on the speed-quality frontier for the default teacher, "
        "docs/distillation.md; half the layers of other teachers)",
    )
    p.add_argument(
        "--layer-map",
        help="for experts: the exact teacher layers to keep, e.g. 0,2,4,5 (overrides --layers)",
    )
    p.add_argument("--init", choices=("teacher", "random"), default=d.init)
    p.add_argument(
        "--steps",
        type=int,
        default=d.steps,
        help="training budget in optimiser steps: the same work on any machine, however "
        "busy (default %(default)s)",
    )
    p.add_argument(
        "--max-minutes",
        type=float,
        default=d.max_minutes,
        help="wall-clock ceiling; a run stopped by it before --steps is flagged as "
        "under-trained in its metadata, the CLI and the UI (default %(default)s)",
    )
    for term, what in LOSS_TERM_MEANING.items():
        p.add_argument(
            f"--alpha-{term.replace('_', '-')}",
            type=float,
            default=getattr(d, f"alpha_{term}"),
            help=f"weight of {what}; 0 = off (default %(default)s)",
        )
    p.add_argument("--temperature", type=float, default=d.temperature, help="KD softening T")
    p.add_argument("--no-pseudo-queries", action="store_true", help="train on passages alone")
    p.add_argument(
        "--query-kinds",
        default=",".join(d.query_kinds),
        help="pseudo-query kinds drawn per passage, comma-separated, from "
        f"{','.join(QUERY_KINDS)} (default {','.join(d.query_kinds)})",
    )
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--grad-accum", type=int, default=d.grad_accum)
    p.add_argument("--max-seq-length", type=int, default=d.max_seq_length)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--cache-teacher", choices=("auto", "always", "never"), default=d.cache_teacher)


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    """How the run goes and what it exports beside the student (:class:`DistillRun`)."""
    p.add_argument("--resume", action="store_true", help="continue from <out>.ckpt/checkpoint.pt")
    p.add_argument("--reuse", action="store_true", help="keep an existing student at --out")
    p.add_argument("--no-int8", action="store_true", help="skip the int8 export")
    p.add_argument(
        "--int8-ffn-fp32",
        action="store_true",
        help="int8 export keeps feed-forward output projections in fp32 (closer, slower)",
    )
    p.add_argument(
        "--backends",
        default=",".join(VARIANTS),
        help="ONNX / OpenVINO variants to export beside --out, comma-separated, or none "
        f"(default {','.join(VARIANTS)}; openvino-int8 calibrates on 300 whole training documents)",
    )
    p.add_argument(
        "--teacher-backends",
        default="onnx",
        help="exports of the teacher to write under the models folder, comma-separated, or "
        "none (default onnx). The fp32 ones (onnx, openvino) encode the teacher's own query "
        "vectors faster, so teacher-query mode uses them; the int8 ones (onnx-int8, "
        "openvino-int8, calibrated on the training documents) are encoders of their own; "
        "kept when already exported from the same teacher weights",
    )
    p.add_argument(
        "--no-agreement",
        action="store_true",
        help="skip the label-free agreement estimate after training (`distilsearch agreement`)",
    )
    p.add_argument("--threads", type=int, help="torch CPU threads (default from settings)")
    p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    p.add_argument("--milvus-uri", help="for --data collection:NAME")


def config_from_args(args: argparse.Namespace) -> DistillConfig:
    """The recipe from the command line (validated by :class:`DistillConfig`)."""
    return DistillConfig(
        teacher=args.teacher,
        layers=args.layers,
        layer_map=parse_layer_map(args.layer_map) if args.layer_map else None,
        init=args.init,
        alpha_ce=args.alpha_ce,
        alpha_mlm=args.alpha_mlm,
        alpha_cos_token=args.alpha_cos_token,
        alpha_cos_sentence=args.alpha_cos_sentence,
        temperature=args.temperature,
        pseudo_queries=not args.no_pseudo_queries,
        query_kinds=tuple(k.strip() for k in args.query_kinds.split(",") if k.strip()),
        lr=args.lr,
        batch_size=args.batch_size,
        grad_accum=args.grad_accum,
        max_seq_length=args.max_seq_length,
        seed=args.seed,
        steps=args.steps,
        max_minutes=args.max_minutes,
        cache_teacher=args.cache_teacher,
    )


def run_cli(args: argparse.Namespace, settings: Settings) -> int:
    """Handler for ``distilsearch distill``; errors raise (the caller prints them)."""
    config = config_from_args(args)  # validate before any heavy import
    from usecases.distilling import DistillRun, distill_student

    out = Path(args.out) if args.out else Path(settings.models_dir) / DEFAULT_OUT
    outcome = distill_student(
        config,
        args.data,
        out,
        settings,
        DistillRun(
            reuse=args.reuse,
            resume=args.resume,
            int8=not args.no_int8,
            int8_ffn_fp32=args.int8_ffn_fp32,
            backends=parse_backends(args.backends),
            teacher_backends=parse_backends(args.teacher_backends, flag="--teacher-backends"),
            agreement=not args.no_agreement,
            threads=args.threads,
            device=args.device,
            milvus_uri=args.milvus_uri,
        ),
    )
    print_outcome(outcome)
    return 0


def parse_backends(value: str, flag: str = "--backends") -> tuple[str, ...]:
    """``onnx,openvino-int8`` -> ``("onnx", "openvino-int8")``; ``none`` -> ``()``."""
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    if names in ((), ("none",)):
        return ()
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise ValueError(f"{flag}: unknown {unknown}; known: {', '.join(VARIANTS)} or none")
    return names


def print_outcome(outcome: DistillOutcome) -> None:
    """What was trained or reused, every export, the notes, and the agreement verdicts."""
    if not outcome.main_process:
        return
    result = outcome.result
    if result is None:
        print(f"reusing the student at {outcome.out} (drop --reuse to train a new one)")
    else:
        training = result.meta["training"]
        print(
            f"student {result.out}: {training['steps']} steps in "
            f"{training['seconds'] / 60:.1f} min ({training['stopped_by']}), "
            f"layers {result.meta['layer_map']}"
        )
        if training.get("undertrained"):
            print(
                f"warning: under-trained: the {training['target_steps']}-step budget was cut "
                f"at {training['steps']} steps by --max-minutes; the student keeps less of "
                "the teacher than the default would (raise --max-minutes, or resume with "
                "--resume)",
                file=sys.stderr,
            )
        if "fidelity" in result.meta:
            print("held-out fidelity: " + json.dumps(result.meta["fidelity"]))
        if result.int8_out:
            print(f"int8 student {result.int8_out}")
        for suffix, folder in result.variants.items():
            print(f"{suffix} student {folder}")
    for suffix, folder in outcome.teacher_exports.items():
        print(f"{suffix} teacher {folder}")
    for note in outcome.notes:
        print(f"warning: {note}", file=sys.stderr)
    for verdict in outcome.verdicts:
        print(verdict)
    if outcome.frontier:
        print(frontier_table(outcome.frontier))


def frontier_table(frontier: dict) -> str:
    """The encoders on the user's documents, slowest first, and the recommendation."""
    lines = [f"{'encoder':<40} {'queries':<22} {'docs/s':>8} {'x teacher':>9} {'agreement':>9}"]
    for row in frontier["rows"]:
        mark = "  <- recommended" if row["recommended"] else ""
        lines.append(
            f"{row['encoder'][-40:]:<40} {row['queries'][-22:]:<22} {row['docs_per_s']:>8.1f} "
            f"{row['speed_ratio']:>9.2f} {row['agreement']:>9.2f}{mark}"
        )
    best = frontier["recommended"]
    if best:
        lines.append(
            f"recommended: {best}, the fastest whose agreement with the teacher is at least "
            f"{frontier['threshold']:g} (distilsearch index PATH --encoder {best})"
        )
    else:
        lines.append(
            f"no encoder reaches an agreement of {frontier['threshold']:g}: index with the teacher"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m shell.distill_command`` (what torchrun launches): ``distill``'s flags."""
    parser = argparse.ArgumentParser(prog="distill", description=DESCRIPTION)
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        return run_cli(args, load_settings())
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"distill: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
