"""Does the label-free agreement estimate predict true nDCG@10 retention?

    python benchmarks/agreement_vs_retention.py --checkpoints models/student runs/a runs/b

For every dev-suite set (``data/dev_suite/django_faq``, ``data/dev_suite/python_faq``,
``../shared/data/scifact``; see ``benchmarks/dev_suite.py``) and every student
checkpoint (a model folder written by ``distilsearch distill``):

* the estimate (:mod:`evaluation.agreement`) on the set's corpus only -- pseudo-queries
  drawn from the passages, no queries or judgements: overlap@10 and RBO with the
  teacher's top 10, self-retrieval hit@10 (as a ratio to the teacher's);
* the true nDCG@10 of the student, and of ``student docs + teacher queries`` when the
  student pairs with the teacher, through the evaluation harness
  (:func:`evaluation.run_evaluation`, the set's judged queries), divided by the
  teacher's nDCG@10 in the same run: the retention.

Then Spearman's rank correlation (``scipy.stats.spearmanr``) between each estimate
figure and retention, over all (set, checkpoint, system) points, per system kind, and
per set over checkpoints (when there are three or more). Writes
``docs/results/agreement_vs_retention.json`` and ``.md``. The teacher's nDCG@10 from
``docs/results/dev_suite.json`` is recorded beside the harness's as a cross-check.

This is a long run (every checkpoint indexes every corpus, ~5-7k passages each): use
trained students and a quiet machine. ``--db`` reuses the dev suite's Milvus Lite file
(the teacher's collections are already there); ``--db memory`` keeps everything in RAM.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from report_files import write_report

from encoders import Encoder, pairs_with, system_label
from evaluation.agreement import (
    DEFAULT_MAX_PASSAGES,
    DEFAULT_MAX_QUERIES,
    STUDENT,
    TEACHER,
    TEACHER_QUERIES,
    AgreementProbe,
)
from evaluation.beir import BeirDataset

logger = logging.getLogger("agreement_vs_retention")

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "docs" / "results"
SETS = {
    "django_faq": REPO / "data" / "dev_suite" / "django_faq",
    "python_faq": REPO / "data" / "dev_suite" / "python_faq",
    "scifact": REPO.parent / "shared" / "data" / "scifact",
}
PREDICTORS = ("overlap_at_10", "rbo", "self_hit_ratio")
KINDS = (STUDENT, TEACHER_QUERIES)
NDCG = "ndcg@10"


@dataclass(frozen=True)
class Point:
    """One (set, checkpoint, system): the estimate's figures and the true retention."""

    set: str
    checkpoint: str
    system: str  # "student" or "student docs + teacher queries"
    overlap_at_10: float
    rbo: float
    self_hit_ratio: float | None
    ndcg: float
    teacher_ndcg: float
    retention: float | None


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


def measure_set(
    name: str,
    dataset: BeirDataset,
    teacher: Encoder,
    students: Mapping[str, Encoder],
    store: Any,
    probe_options: Mapping[str, int] | None = None,
    max_seq_length: int = 256,
) -> list[Point]:
    """The estimate on ``dataset``'s corpus and the harness's retention, per student.

    ``students`` maps a checkpoint's short name (used for its collection) to its encoder;
    ``store`` is a :class:`~indexer.stores.base.VectorStore` the harness indexes into.
    """
    from evaluation import EvalConfig, run_evaluation

    probe = AgreementProbe(dataset.documents, teacher, **dict(probe_options or {}))
    estimates = {alias: probe.measure(student) for alias, student in students.items()}
    paired = [alias for alias in students if pairs_with(students[alias], teacher)]
    specs = (TEACHER, *students, *(f"{alias}:{TEACHER}" for alias in paired))
    config = EvalConfig(
        encoders=specs, max_seq_length=max_seq_length, fidelity_docs=0, resamples=100
    )
    encoders = {TEACHER: teacher, **students}
    from usecases.evaluating import corpus_indexer

    report = run_evaluation(dataset, config, encoders.__getitem__, store, corpus_indexer())
    teacher_ndcg = report.systems[TEACHER].metrics[NDCG]
    points = []
    for alias, estimate in estimates.items():
        teacher_hits = estimate.systems[TEACHER].self_hit_at_10
        for kind, label in ((STUDENT, alias), (TEACHER_QUERIES, system_label(alias, TEACHER))):
            if kind not in estimate.systems or label not in report.systems:
                continue
            figures = estimate.systems[kind]
            ndcg = report.systems[label].metrics[NDCG]
            points.append(
                Point(
                    name,
                    alias,
                    kind,
                    figures.overlap_at_10,
                    figures.rbo,
                    _ratio(figures.self_hit_at_10, teacher_hits),
                    ndcg,
                    teacher_ndcg,
                    _ratio(ndcg, teacher_ndcg),
                )
            )
    return points


def spearman(x: Sequence[float | None], y: Sequence[float | None]) -> dict[str, Any]:
    """Spearman's rho and p over the pairs where both are known; None below 3 pairs or
    when either side is constant."""
    from scipy.stats import spearmanr

    pairs = [(a, b) for a, b in zip(x, y, strict=True) if a is not None and b is not None]
    out: dict[str, Any] = {"n": len(pairs), "rho": None, "p": None}
    if len(pairs) < 3 or len({a for a, _ in pairs}) < 2 or len({b for _, b in pairs}) < 2:
        return out
    result = spearmanr([a for a, _ in pairs], [b for _, b in pairs])
    rho, p = float(result.statistic), float(result.pvalue)
    out.update(rho=None if math.isnan(rho) else rho, p=None if math.isnan(p) else p)
    return out


def correlations(points: Sequence[Point]) -> dict[str, dict[str, dict[str, Any]]]:
    """Spearman of each predictor with retention: over all points, per system kind, and
    per set (over its checkpoints and kinds)."""
    groups: dict[str, Callable[[Point], bool]] = {"all": lambda _p: True}
    groups.update({f"system={kind}": (lambda p, k=kind: p.system == k) for kind in KINDS})
    for name in dict.fromkeys(p.set for p in points):
        groups[f"set={name}"] = lambda p, s=name: p.set == s
    return {
        group: {
            predictor: spearman(
                [getattr(p, predictor) for p in points if keep(p)],
                [p.retention for p in points if keep(p)],
            )
            for predictor in PREDICTORS
        }
        for group, keep in groups.items()
    }


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def _rho(cell: Mapping[str, Any]) -> str:
    return "—" if cell["rho"] is None else f"{cell['rho']:+.3f} (n={cell['n']}, p={cell['p']:.3g})"


def markdown(payload: Mapping[str, Any]) -> str:
    """The points and the correlations as Markdown tables."""
    lines = [
        "Label-free agreement estimate (pseudo-queries from each corpus, exact search) "
        "against true nDCG@10 retention (judged queries, evaluation harness). "
        f"{payload['max_queries']} pseudo-queries over at most {payload['max_passages']} "
        f"passages per set; {payload['max_seq_length']} tokens.",
        "",
        "| set | checkpoint | system | overlap@10 | RBO | self-hit / teacher's | nDCG@10 | "
        "teacher nDCG@10 | retention % |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in payload["points"]:
        lines.append(
            f"| {p['set']} | {p['checkpoint']} | {p['system']} | {_pct(p['overlap_at_10'])} | "
            f"{_pct(p['rbo'])} | {_pct(p['self_hit_ratio'])} | {_pct(p['ndcg'])} | "
            f"{_pct(p['teacher_ndcg'])} | {_pct(p['retention'])} |"
        )
    lines += [
        "",
        "Spearman's rho with retention:",
        "",
        "| points | " + " | ".join(PREDICTORS) + " |",
        "|---|" + "---|" * len(PREDICTORS),
    ]
    for group, cells in payload["spearman"].items():
        lines.append(f"| {group} | " + " | ".join(_rho(cells[p]) for p in PREDICTORS) + " |")
    return "\n".join(lines) + "\n"


def write_results(payload: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """``agreement_vs_retention.json`` and ``.md`` under ``out_dir``."""
    return write_report(out_dir / "agreement_vs_retention.json", payload, markdown(payload))


def build_payload(points: Sequence[Point], args: argparse.Namespace, extra: dict) -> dict:
    """What the JSON holds: settings, every point, the correlations."""
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "max_passages": args.max_passages,
        "max_queries": args.max_queries,
        "seed": args.seed,
        "max_seq_length": args.max_seq_length,
        **extra,
        "points": [asdict(p) for p in points],
        "spearman": correlations(points),
    }


def checkpoint_names(paths: Sequence[str]) -> dict[str, str]:
    """Short, unique names for checkpoint folders (collections are named from them)."""
    names = {}
    for i, path in enumerate(paths):
        slug = re.sub(r"[^A-Za-z0-9]+", "_", Path(path).name).strip("_").lower() or "ckpt"
        names[f"c{i}_{slug}"] = path
    return names


def dev_suite_teacher(path: Path) -> dict[str, float]:
    """The teacher's nDCG@10 per set from ``docs/results/dev_suite.json`` (if there)."""
    if not path.is_file():
        return {}
    sets = json.loads(path.read_text()).get("sets", {})
    return {name: row[NDCG] for name, row in sets.items() if NDCG in row}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add(
        "--checkpoints",
        nargs="+",
        required=True,
        metavar="FOLDER",
        help="student model folders (distilsearch distill --out ...)",
    )
    add("--sets", default=",".join(SETS), help=f"dev-suite sets (default {','.join(SETS)})")
    add("--teacher", default="teacher", help="teacher name or path (default: teacher)")
    add(
        "--db",
        default=str(REPO / "data" / "dev_suite" / "eval.db"),
        help="Milvus Lite file or server URI for the harness, or 'memory' "
        "(default: data/dev_suite/eval.db, where the teacher is indexed)",
    )
    add("--max-passages", type=int, default=DEFAULT_MAX_PASSAGES)
    add("--max-queries", type=int, default=DEFAULT_MAX_QUERIES)
    add("--seed", type=int, default=0)
    add("--max-seq-length", type=int, default=256, help="as the dev suite's teacher (256)")
    add("--batch-size", type=int, default=32)
    add("--out", default=str(RESULTS), help="results folder (default docs/results)")
    args = parser.parse_args(argv)
    unknown = set(args.sets.split(",")) - set(SETS)
    if unknown:
        parser.error(f"unknown sets {sorted(unknown)}; known: {', '.join(SETS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    args = parse_args(argv)
    from core.settings import load_settings
    from encoders import EncoderConfig, build_encoder
    from evaluation.beir import load_beir
    from indexer.stores import open_store
    from indexer.stores.memory import InMemoryStore

    started = time.perf_counter()
    settings = load_settings()
    config = EncoderConfig(batch_size=args.batch_size, max_seq_length=args.max_seq_length)
    teacher = build_encoder(args.teacher, settings, config)
    folders = checkpoint_names(args.checkpoints)
    students = {alias: build_encoder(path, settings, config) for alias, path in folders.items()}
    store = InMemoryStore() if args.db == "memory" else open_store(args.db, settings.milvus_token)
    options = {
        "max_passages": args.max_passages,
        "max_queries": args.max_queries,
        "seed": args.seed,
    }
    points: list[Point] = []
    try:
        for name in args.sets.split(","):
            dataset = load_beir(SETS[name], "test", name=name)
            points += measure_set(
                name, dataset, teacher, students, store, options, args.max_seq_length
            )
            print(f"{name}: done after {time.perf_counter() - started:.0f}s", flush=True)
    finally:
        store.close()
    extra = {
        "checkpoints": folders,
        "teacher": args.teacher,
        "teacher_ndcg_dev_suite_json": dev_suite_teacher(RESULTS / "dev_suite.json"),
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    payload = build_payload(points, args, extra)
    paths = write_results(payload, Path(args.out))
    print(markdown(payload))
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
