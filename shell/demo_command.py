"""``distilsearch demo``: Django docs -> a distilled student -> index with every encoder
(teacher, student and the student's int8 export) -> the UI.

The int8 student is indexed too, so every encoder the UI offers can be searched. Its
cost: the int8 export encodes 87.6 texts/s on two threads (``docs/results/int8_probe.md``),
so the demo's ~8,300 reST chunks take about 1.6 minutes more.
"""

from __future__ import annotations

import argparse

from core.settings import Settings
from distill.config import DistillConfig
from shell.common import EXIT_OK, EXIT_SOME_FILES_FAILED, Handler, Subparsers, add_store_options
from shell.distill_command import print_outcome
from shell.index_command import index_and_print
from shell.serve_command import add_server_address, add_write_option, serve_ui
from usecases import demo

#: Training minutes of the demo's student: 5 minutes kept 96.6% of the teacher's SciFact
#: nDCG@10, 20 minutes 99.1% (docs/results/distill_curve_spread20.md).
DEMO_DISTILL_MINUTES = 5.0


def register(sub: Subparsers, handlers: dict[str, Handler]) -> None:
    """Add the ``demo`` subcommand."""
    p = sub.add_parser("demo", help="fetch the Django docs, index them, serve the UI")
    add_server_address(p, 8501)
    add_write_option(p)
    p.add_argument("--no-serve", action="store_true", help="index only")
    p.add_argument(
        "--distill-minutes",
        type=float,
        default=DEMO_DISTILL_MINUTES,
        help="distil a student on the demo corpus within this many minutes of training and "
        "index with the teacher, the student and its int8 export (default %(default)s; an "
        "existing student in the models dir is reused; 0: teacher only)",
    )
    add_store_options(p)
    handlers["demo"] = run_demo


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Handler: each step is a use-case call; a step that fails stops the demo."""
    docs = demo.demo_docs(settings)
    distil = args.distill_minutes > 0
    if distil:
        config = DistillConfig(max_minutes=args.distill_minutes)
        print_outcome(demo.demo_student(settings, docs, config))
    status = index_and_print(settings, demo.demo_request(settings, docs, distil))
    if status not in (EXIT_OK, EXIT_SOME_FILES_FAILED) or args.no_serve:
        return status
    return serve_ui(settings, args.host, args.port, args.allow_writes)
