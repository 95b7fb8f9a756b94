"""``distilsearch agreement``: how well the student agrees with its teacher on your
documents, estimated without labels (:mod:`evaluation.agreement`).

``distilsearch distill`` runs the same estimate after training (:func:`record_agreement`)
and writes it into the student's ``distill_meta.json`` (and the int8 copy's) under
``"agreement"``, where the UI reads it. This command estimates it on demand, on any
data that ``distill`` could read, and records it with ``--write``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.settings import Settings
from encoders.pairing import DISTILL_META as META
from shell.common import EXIT_OK, Handler, Subparsers

if TYPE_CHECKING:
    from distill.run import RunOutput
    from evaluation.agreement import AgreementEstimate

logger = logging.getLogger(__name__)

KEY = "agreement"
#: What the estimate after ``distill`` searches: every passage of the training data.
TRAINING_CORPUS = "the training data (passages trained on and held out)"
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


def read_meta(folder: Path) -> dict[str, Any]:
    """``folder``'s ``distill_meta.json`` ({} when there is none or it is not an object)."""
    path = folder / META
    if not path.is_file():
        return {}
    meta = json.loads(path.read_text(encoding="utf-8"))
    return meta if isinstance(meta, dict) else {}


def teacher_of(meta: dict[str, Any]) -> str:
    """The teacher a student's metadata names: its folder when it still exists, else its
    name, else the registry's ``teacher``."""
    folder = meta.get("teacher_dir")
    if isinstance(folder, str) and Path(folder).is_dir():
        return folder
    name = meta.get("teacher")
    return name if isinstance(name, str) and name else "teacher"


def run_cli(args: argparse.Namespace, settings: Settings) -> int:
    """Handler for ``distilsearch agreement``; errors raise (the caller prints them)."""
    from distill.config import DistillConfig
    from distill.data import load_examples
    from encoders import EncoderConfig, build_encoder, model_location, resolve_model
    from encoders.int8 import is_int8_export
    from evaluation.agreement import estimate_agreement

    student_dir = resolve_model(model_location(args.student, settings.models_dir))
    if args.write:  # before minutes of work
        _check_writable(student_dir)
    meta = read_meta(student_dir)
    trained = meta.get("config", {}).get("max_seq_length") if meta else None
    max_seq = int(args.max_seq_length or trained or DistillConfig().max_seq_length)
    examples = load_examples(args.data, max_seq, settings.milvus_uri, settings.milvus_token)
    config = EncoderConfig(max_seq_length=max_seq)
    teacher = build_encoder(args.teacher or teacher_of(meta), settings, config)
    student = build_encoder(args.student, settings, config)
    estimate = estimate_agreement(
        [e.text for e in examples],
        teacher,
        student,
        max_passages=args.max_passages,
        max_queries=args.max_queries,
        seed=args.seed,
    )
    who = "the int8 student" if is_int8_export(student_dir) else "the student"
    record = {**estimate.to_dict(who), "corpus": str(args.data)}
    if args.json:
        print(json.dumps(record, indent=2))
    else:
        print(record["verdict"])
        print(table(estimate))
    if args.write:
        write_estimate(student_dir, record)
        print(f"recorded in {student_dir / META}")
    return EXIT_OK


def table(estimate: AgreementEstimate) -> str:
    """The figures per system, one line each."""
    lines = [f"{'system':<34} overlap@10    RBO  self-hit@10"]
    for name, row in estimate.systems.items():
        lines.append(
            f"{name:<34} {row.overlap_at_10:>10.3f} {row.rbo:>6.3f} {row.self_hit_at_10:>12.3f}"
        )
    return "\n".join(lines)


def write_estimate(folder: Path, record: dict[str, Any]) -> None:
    """Put ``record`` under ``"agreement"`` in ``folder``'s metadata (and its model card)."""
    from distill.export import update_meta

    _check_writable(folder)
    update_meta(folder, **{KEY: record})


def _check_writable(folder: Path) -> None:
    if not (folder / META).is_file():
        raise FileNotFoundError(f"{folder} has no {META}: only a distilled student records it")


def record_agreement(
    result: RunOutput, settings: Settings, device: str = "cpu", seed: int = 0
) -> list[str]:
    """After ``distill``: estimate on the run's passages for the fp32 student and its int8
    copy, against the teacher it was distilled from; write each into its folder's
    metadata. Returns the verdicts (none when there was nothing to estimate on)."""
    from dataclasses import replace

    from encoders import EncoderConfig, build_encoder
    from encoders.int8 import is_int8_export
    from evaluation.agreement import AgreementProbe

    if not result.passages:
        return []
    meta = result.meta
    config = EncoderConfig(max_seq_length=int(meta["config"]["max_seq_length"]), device=device)
    teacher = build_encoder(meta["teacher_dir"], settings, config)
    probe = AgreementProbe(result.passages, teacher, seed=seed)
    verdicts = []
    students = ((result.out, "the student"), (result.int8_out, "the int8 student"))
    for folder, who in students:
        if folder is None:
            continue
        on = replace(config, device="cpu") if is_int8_export(folder) else config  # CPU-only int8
        estimate = probe.measure(build_encoder(str(folder), settings, on))
        record = {**estimate.to_dict(who), "corpus": TRAINING_CORPUS}
        write_estimate(Path(folder), record)
        verdicts.append(record["verdict"])
    return verdicts


def report_agreement(
    result: RunOutput, settings: Settings, device: str = "cpu", seed: int = 0
) -> Sequence[str]:
    """:func:`record_agreement`, printed; a failure is a warning, not a failed ``distill``
    (the student is trained and exported either way)."""
    try:
        verdicts = record_agreement(result, settings, device, seed)
    except (ValueError, OSError, RuntimeError) as exc:
        logger.warning("agreement estimate failed", exc_info=True)
        print(f"agreement estimate skipped: {exc}", file=sys.stderr)
        return []
    for verdict in verdicts:
        print(verdict)
    return verdicts
