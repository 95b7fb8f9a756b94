"""``distilsearch agreement``: how well the student agrees with its teacher on your
documents, estimated without labels (:mod:`usecases.agreement`).

``distilsearch distill`` runs the same estimate after training and writes it into the
student's ``distill_meta.json`` (and the int8 copy's) under ``"agreement"``, where the
UI reads it. This command estimates it on demand, on any data that ``distill`` could
read, and records it with ``--write``.
"""

from __future__ import annotations

import argparse
import json
import logging
from typing import TYPE_CHECKING

from core.settings import Settings
from encoders.student_meta import AGREEMENT as KEY
from encoders.student_meta import META_NAME as META
from shell.common import EXIT_OK, Handler, Subparsers

if TYPE_CHECKING:
    from evaluation.agreement import AgreementEstimate

logger = logging.getLogger(__name__)

#: evaluation.agreement's defaults, repeated so building the parser imports nothing heavy
#: (tests/shell/test_agreement_cli.py checks they match).
MAX_PASSAGES, MAX_QUERIES = 2000, 200


def register(subparsers: Subparsers, handlers: dict[str, Handler]) -> None:
    """Add the ``agreement`` subcommand."""
    p = subparsers.add_parser(
        "agreement",
        help="estimate, without labels, how well the student agrees with its teacher",
        description="A label-free estimate of how well a distilled student agrees with its "
        "teacher on your documents. Pseudo-queries (a 6-12-word span of a sentence of a "
        "sampled passage, drawn by --seed) are searched exactly over "
        "the passages by the teacher, the student and 'student docs + teacher queries'; "
        "each system's top 10 is compared with the teacher's (overlap@10, rank-biased "
        "overlap) and checked for the passage the query came from (self-retrieval hit@10). "
        "`distilsearch distill` records the same estimate after training.",
    )
    p.add_argument(
        "--data",
        required=True,
        help="folder of documents, BEIR corpus.jsonl (or its folder), or collection:NAME "
        "(read as `distilsearch distill` reads it)",
    )
    p.add_argument("--student", default="student", help="student | student-int8 | path")
    p.add_argument(
        "--teacher",
        help="teacher name or path (default: the one the student's distill_meta.json names)",
    )
    p.add_argument(
        "--max-passages",
        type=int,
        default=MAX_PASSAGES,
        help=f"passages searched, a seeded sample (default {MAX_PASSAGES})",
    )
    p.add_argument(
        "--max-queries",
        type=int,
        default=MAX_QUERIES,
        help=f"pseudo-queries (default {MAX_QUERIES})",
    )
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.add_argument("--max-seq-length", type=int, help="default: the student's training length")
    p.add_argument(
        "--write",
        action="store_true",
        help=f"record the estimate in the student's {META} under {KEY!r}",
    )
    p.add_argument("--json", action="store_true", help="print the estimate as JSON")
    p.add_argument("--milvus-uri", help="for --data collection:NAME")
    handlers["agreement"] = run_cli


def run_cli(args: argparse.Namespace, settings: Settings) -> int:
    """Handler for ``distilsearch agreement``; errors raise (the caller prints them)."""
    from usecases.agreement import AgreementRequest, estimate

    request = AgreementRequest(
        data=args.data,
        student=args.student,
        teacher=args.teacher,
        max_passages=args.max_passages,
        max_queries=args.max_queries,
        seed=args.seed,
        max_seq_length=args.max_seq_length,
        write=args.write,
    )
    outcome = estimate(settings, request)
    if args.json:
        print(json.dumps(outcome.record, indent=2))
    else:
        print(outcome.record["verdict"])
        print(table(outcome.estimate))
    if outcome.written:
        print(f"recorded in {outcome.student_dir / META}")
    return EXIT_OK


def table(estimate: AgreementEstimate) -> str:
    """The figures per system, one line each."""
    lines = [f"{'system':<34} overlap@10    RBO  self-hit@10"]
    for name, row in estimate.systems.items():
        lines.append(
            f"{name:<34} {row.overlap_at_10:>10.3f} {row.rbo:>6.3f} {row.self_hit_at_10:>12.3f}"
        )
    return "\n".join(lines)
