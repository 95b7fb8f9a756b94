"""``distilsearch demo``: Django docs -> the default student -> index with the teacher and
the encoder the student's frontier recommends -> the UI (:mod:`usecases.demo`)."""

from __future__ import annotations

import argparse

from core.settings import Settings
from distill.config import DistillConfig
from shell.common import EXIT_OK, EXIT_SOME_FILES_FAILED, Handler, Subparsers, add_store_options
from shell.distill_command import print_outcome
from shell.index_command import index_and_print
from shell.serve_command import add_server_address, add_write_option, serve_ui
from usecases import demo


def register(sub: Subparsers, handlers: dict[str, Handler]) -> None:
    """Add the ``demo`` subcommand."""
    p = sub.add_parser("demo", help="fetch the Django docs, index them, serve the UI")
    add_server_address(p, 8501)
    add_write_option(p)
    p.add_argument("--no-serve", action="store_true", help="index only")
    defaults = DistillConfig()
    p.add_argument(
        "--distill-steps",
        type=int,
        default=defaults.steps,
        help="distil the default student on the demo corpus for this many optimiser steps "
        "(default %(default)s, distill's own budget; an existing student in the models dir "
        "is reused; 0: the teacher only), export its ONNX / OpenVINO variants and index with "
        "the encoder its frontier recommends",
    )
    p.add_argument(
        "--distill-max-minutes",
        type=float,
        default=defaults.max_minutes,
        help="wall-clock ceiling of that training; a student cut short by it is flagged as "
        "under-trained in the CLI and the UI (default %(default)s)",
    )
    add_store_options(p)
    handlers["demo"] = run_demo


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Handler: each step is a use-case call; a step that fails stops the demo."""
    docs = demo.demo_docs(settings)
    distil = args.distill_steps > 0
    if distil:
        steps, ceiling = args.distill_steps, args.distill_max_minutes
        print_outcome(demo.demo_student(settings, docs, steps, ceiling))
    status = index_and_print(settings, demo.demo_request(settings, docs, distil))
    if status not in (EXIT_OK, EXIT_SOME_FILES_FAILED) or args.no_serve:
        return status
    return serve_ui(settings, args.host, args.port, args.allow_writes)
