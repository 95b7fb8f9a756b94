"""``distilsearch distill``: registered into the indexer's CLI; heavy imports stay in the handler.

Also runnable as ``python -m distill.cli ...`` (and so under ``torchrun``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_OUT = "student"


def register(subparsers: argparse._SubParsersAction, handlers: dict[str, Any]) -> None:
    """Add the ``distill`` subcommand."""
    p = subparsers.add_parser(
        "distill",
        help="distil a smaller, faster student from a sentence-transformers teacher",
        description="Train a student with half the teacher's layers (DistilBERT triple loss: "
        "soft-target KD, masked LM, cosine) on corpus text, then export it (fp32 and int8) "
        "as sentence-transformers folders. Under torchrun, trains data-parallel.",
    )
    add_arguments(p)
    handlers["distill"] = run_cli


def add_arguments(p: argparse.ArgumentParser) -> None:
    from distill.config import DistillConfig

    d = DistillConfig()
    p.add_argument("--teacher", default=d.teacher, help=f"model id or path (default {d.teacher})")
    p.add_argument(
        "--data",
        required=True,
        help="folder of documents, BEIR corpus.jsonl (or its folder), or collection:NAME",
    )
    p.add_argument("--out", help="output folder (default <models dir>/student)")
    p.add_argument("--layer-map", help="teacher layers to keep, e.g. 0,2,4 (default every other)")
    p.add_argument("--init", choices=("teacher", "random"), default=d.init)
    p.add_argument("--max-minutes", type=float, default=d.max_minutes, help="training budget")
    p.add_argument("--steps", type=int, help="optimiser steps (default: until --max-minutes)")
    for term in ("ce", "mlm", "cos-token", "cos-sentence"):
        attr = f"alpha_{term.replace('-', '_')}"
        p.add_argument(f"--alpha-{term}", type=float, default=getattr(d, attr), help="0 = off")
    p.add_argument("--temperature", type=float, default=d.temperature)
    p.add_argument("--no-pseudo-queries", action="store_true", help="in-batch KD passage-passage")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--grad-accum", type=int, default=d.grad_accum)
    p.add_argument("--max-seq-length", type=int, default=d.max_seq_length)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--cache-teacher", choices=("auto", "always", "never"), default=d.cache_teacher)
    p.add_argument("--resume", action="store_true", help="continue from <out>.ckpt/checkpoint.pt")
    p.add_argument("--reuse", action="store_true", help="keep an existing student at --out")
    p.add_argument("--no-int8", action="store_true", help="skip the int8 export")
    p.add_argument(
        "--int8-ffn-fp32",
        action="store_true",
        help="int8 export keeps feed-forward output projections in fp32 (closer, slower)",
    )
    p.add_argument("--threads", type=int, help="torch CPU threads (default from settings)")
    p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    p.add_argument("--milvus-uri", help="for --data collection:NAME")


def config_from_args(args: argparse.Namespace) -> Any:
    from distill.config import DistillConfig, parse_layer_map

    return DistillConfig(
        teacher=args.teacher,
        layer_map=parse_layer_map(args.layer_map) if args.layer_map else None,
        init=args.init,
        alpha_ce=args.alpha_ce,
        alpha_mlm=args.alpha_mlm,
        alpha_cos_token=args.alpha_cos_token,
        alpha_cos_sentence=args.alpha_cos_sentence,
        temperature=args.temperature,
        pseudo_queries=not args.no_pseudo_queries,
        lr=args.lr,
        batch_size=args.batch_size,
        grad_accum=args.grad_accum,
        max_seq_length=args.max_seq_length,
        seed=args.seed,
        steps=args.steps,
        max_minutes=args.max_minutes,
        cache_teacher=args.cache_teacher,
    )


def run_cli(args: argparse.Namespace, settings: Any) -> int:
    """Handler for ``distilsearch distill``; errors raise (the caller prints them)."""
    config = config_from_args(args)  # validate before any heavy import
    out = Path(args.out) if args.out else Path(settings.models_dir) / DEFAULT_OUT
    meta_file = out / "distill_meta.json"
    if args.reuse and meta_file.is_file():
        print(f"reusing the student at {out} (drop --reuse to train a new one)")
        return 0
    import torch

    from distill import distributed
    from distill.int8 import FFN_OUTPUT
    from distill.run import run_distillation

    threads = args.threads or getattr(settings, "threads", None)
    if threads:
        torch.set_num_threads(int(threads))
    ctx = distributed.setup(args.device)
    try:
        result = run_distillation(
            config,
            args.data,
            out,
            resume=args.resume,
            int8=not args.no_int8,
            int8_skip=(FFN_OUTPUT,) if args.int8_ffn_fp32 else (),
            milvus_uri=args.milvus_uri or getattr(settings, "milvus_uri", ""),
            milvus_token=getattr(settings, "milvus_token", ""),
            ctx=ctx,
        )
    finally:
        distributed.cleanup(ctx)
    if ctx.is_main:
        training = result.meta["training"]
        print(
            f"student {result.out}: {training['steps']} steps in {training['seconds'] / 60:.1f} "
            f"min ({training['stopped_by']}), layers {result.meta['layer_map']}"
        )
        if "fidelity" in result.meta:
            print("held-out fidelity: " + json.dumps(result.meta["fidelity"]))
        if result.int8_out:
            print(f"int8 student {result.int8_out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m distill.cli`` (what torchrun launches): the flags of ``distilsearch distill``."""
    from indexer.settings import load_settings

    parser = argparse.ArgumentParser(prog="distill")
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return run_cli(args, load_settings())
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"distill: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
