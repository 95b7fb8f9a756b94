"""OpenVINO static int8: which calibration texts keep the student's nDCG@10.

    python benchmarks/int8_calibration.py                 # the frontier's 3- and 4-layer students
    python benchmarks/int8_calibration.py --depths 4 --seeds 42

For every student the frontier benchmark trained (``benchmarks/.cache/frontier/<set>/
student-d<depth>``, ``benchmarks/frontier.py train``), the fp32 student is exported to
OpenVINO static int8 through the product's own path
(``encoders.backend_export.export_variants``) twice per calibration seed:

* ``windows@128`` -- the training windows (about 90 words) at the training length, what
  ``distill`` calibrated on until this round;
* ``documents@256`` -- each training document's windows joined again
  (``distill.data.whole_documents``) at the export's 256 tokens, what the indexer encodes.

Each arm is scored by exact search over the set's full corpus on both sides (256 tokens,
the product's encoders: ``benchmarks/harness/scoring.py``) beside the fp32 student. Only
the corpus text is read for calibration, never queries or judgements. Writes
``docs/results/int8_calibration.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from harness.datasets import SETS, load_set
from harness.report import add_shared_flag, write_result
from harness.scoring import CACHE, EVAL_MAX_SEQ, product_encoder, system_ndcg

logger = logging.getLogger("int8_calibration")
TRAINING_MAX_SEQ = 128


def calibration_sets(corpus: Path) -> dict[str, tuple[list[str], int]]:
    """arm -> (texts, max_seq_length), from the training split ``distill`` would use."""
    from distill.config import DistillConfig
    from distill.data import load_examples, split_holdout, whole_documents

    config = DistillConfig()
    examples = load_examples(str(corpus), TRAINING_MAX_SEQ)
    train, _ = split_holdout(examples, config.holdout_fraction, config.seed)
    return {
        "windows@128": ([e.text for e in train], TRAINING_MAX_SEQ),
        "documents@256": (whole_documents(train), EVAL_MAX_SEQ),
    }


def score_student(set_name: str, student: Path, seeds: list[int]) -> dict:
    """nDCG@10 of the fp32 student and of each calibration arm and seed (fractions)."""
    from encoders.backend_export import export_variants

    root = SETS[set_name]
    data = load_set(set_name, root)
    row = {"set": set_name, "student": str(student)}
    row["fp32"] = system_ndcg(data, product_encoder(student))
    for arm, (texts, max_seq) in calibration_sets(root / "corpus.jsonl").items():
        for seed in seeds:
            with tempfile.TemporaryDirectory(prefix="int8-calibration-") as scratch:
                base = Path(scratch) / "student"
                folder = export_variants(
                    student, texts, ("openvino-int8",), max_seq, seed, out_base=base
                )["openvino-int8"]
                score = system_ndcg(data, product_encoder(folder), cache=False)
            row[f"{arm} seed {seed}"] = score
            logger.info(
                "%s %s seed %d: %+.2f points", set_name, arm, seed, 100 * (score - row["fp32"])
            )
    return row


def students(depths: list[int]) -> list[tuple[str, Path]]:
    """(set, folder) of every student of ``depths`` the frontier benchmark trained."""
    found = []
    for depth in depths:
        for set_name in SETS:
            folder = CACHE / "frontier" / set_name / f"student-d{depth}"
            if (folder / "model.safetensors").is_file():
                found.append((set_name, folder))
    if not found:
        raise SystemExit(f"no frontier students of depths {depths}: run frontier.py train")
    return found


def table(rows: list[dict], seeds: list[int]) -> str:
    arms = [f"{arm} seed {seed}" for arm in ("windows@128", "documents@256") for seed in seeds]
    lines = [
        "OpenVINO static int8 (NNCF, transformer preset, 300 calibration texts), nDCG@10 "
        "points against the fp32 student; exact search over the full corpus, 256 tokens.",
        "",
        "| student | set | fp32 | " + " | ".join(arms) + " |",
        "|---|---|---|" + "---|" * len(arms),
    ]
    for row in rows:
        run = Path(row["student"]).name
        deltas = " | ".join(f"{100 * (row[a] - row['fp32']):+.2f}" for a in arms)
        lines.append(f"| {run} | {row['set']} | {100 * row['fp32']:.2f} | {deltas} |")
    for arm in arms:
        mean = sum(abs(r[arm] - r["fp32"]) for r in rows) / len(rows)
        within = sum(abs(r[arm] - r["fp32"]) <= 0.01 for r in rows)
        lines.append(
            f"\n{arm}: mean |delta| {100 * mean:.2f} points; within 1 point on "
            f"{within} of {len(rows)}"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--depths", default="3,4", help="frontier student depths (default 3,4)")
    parser.add_argument("--seeds", default="42,2", help="calibration sample seeds")
    add_shared_flag(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    seeds = [int(s) for s in args.seeds.split(",")]
    depths = [int(d) for d in args.depths.split(",")]
    rows = [score_student(name, folder, seeds) for name, folder in students(depths)]
    payload = {"seeds": seeds, "calibration_samples": 300, "rows": rows}
    topic = "int8 calibration"
    write_result("int8_calibration", payload, table(rows, seeds), topic=topic, shared=args.shared)


if __name__ == "__main__":
    main()
