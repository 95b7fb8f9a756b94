"""Which chunk size serves retrieval best: SciFact through the real chunker and teacher.

Each abstract is written to a text file, chunked by ``indexer.chunking`` with each
configuration, encoded with the packaged teacher, and searched exactly; a document
scores as its best chunk (max-pooling). nDCG@10 and recall@100 via ranx (through
``benchmarks/harness/scoring.py``). To keep the run short on two cores the corpus is
every judged document plus a fixed random sample of the rest (``--docs``); all
configurations see the same documents, so the comparison is fair, but absolute figures
are higher than on the full corpus. Writes ``docs/results/chunking_choice.json`` and
``.md``; a run of some configurations merges into the saved rows.

    .venv/bin/python benchmarks/chunking_choice.py [--docs 1500]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from harness.datasets import SETS, load_set
from harness.report import RESULTS, add_shared_flag, write_result
from harness.scoring import max_pooled_run, run_metrics

from core.settings import load_settings
from encoders import Encoder, build_encoder
from evaluation import BeirDataset
from indexer.chunking import ChunkingConfig, chunk_file

logger = logging.getLogger("chunking_choice")
NAME = "chunking_choice"
CONFIGS = {
    "by_title 500": ChunkingConfig(
        max_characters=500, new_after_n_chars=400, combine_text_under_n_chars=150, overlap=0
    ),
    "by_title 1000": ChunkingConfig(overlap=0),
    "by_title 2000": ChunkingConfig(
        max_characters=2000, new_after_n_chars=1600, combine_text_under_n_chars=600, overlap=0
    ),
    "basic 1000": ChunkingConfig(strategy="basic", overlap=0),
    "by_title 1000 overlap 150": ChunkingConfig(overlap=150),
}


def kept_documents(data: BeirDataset, docs: int) -> set[str]:
    """Every judged document plus a seeded sample of the others, ``docs`` in all."""
    judged = {d for relevant in data.qrels.values() for d in relevant}
    others = [d for d in data.doc_ids if d not in judged]
    return judged | set(random.Random(0).sample(others, max(0, docs - len(judged))))


def write_files(data: BeirDataset, keep: set[str], folder: Path) -> dict[str, Path]:
    """One ``title\\n\\ntext`` file per kept document, by document id."""
    paths: dict[str, Path] = {}
    for doc_id, title, text in zip(data.doc_ids, data.titles, data.texts, strict=True):
        if doc_id in keep:
            paths[doc_id] = folder / f"{len(paths)}.txt"
            paths[doc_id].write_text(f"{title}\n\n{text}\n")
    return paths


def measure(
    label: str, paths: dict[str, Path], encoder: Encoder, data: BeirDataset, queries: np.ndarray
) -> dict[str, Any]:
    """Chunk every file with ``label``'s configuration, encode, score by the best chunk."""
    started = time.perf_counter()
    owners, texts = [], []
    for doc_id, path in paths.items():
        for chunk in chunk_file(path, CONFIGS[label]):
            owners.append(doc_id)
            texts.append(chunk.text)
    vectors = encoder.encode_documents(texts)  # (n, dim)
    run = max_pooled_run(data.query_ids, queries @ vectors.T, owners)  # scores (q, n)
    scores = run_metrics(data, run, ["ndcg@10", "recall@100"])
    return {
        "config": label,
        "docs": len(paths),
        "chunks": len(texts),
        "chunks_per_doc": round(len(texts) / len(paths), 2),
        "ndcg@10": round(100 * scores["ndcg@10"], 2),
        "recall@100": round(100 * scores["recall@100"], 2),
        "seconds": round(time.perf_counter() - started, 1),
    }


def merged_rows(rows: list[dict[str, Any]], docs: int) -> list[dict[str, Any]]:
    """``rows`` plus the saved rows of other configurations measured on as many documents,
    in ``CONFIGS`` order (the saved file is a list before the harness, a dict after)."""
    saved = RESULTS / f"{NAME}.json"
    earlier = json.loads(saved.read_text()) if saved.exists() else []
    earlier = earlier.get("rows", []) if isinstance(earlier, dict) else earlier
    fresh = {r["config"] for r in rows}
    rows = [r for r in earlier if r["config"] not in fresh and r["docs"] == docs] + rows
    return sorted(rows, key=lambda r: list(CONFIGS).index(r["config"]))


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| chunking | chunks/doc | nDCG@10 | recall@100 |", "|---|---|---|---|"]
    default = next(label for label, config in CONFIGS.items() if config == ChunkingConfig())
    lines += [
        f"| {r['config']}{' (default)' if r['config'] == default else ''} | "
        f"{r['chunks_per_doc']} | {r['ndcg@10']} | {r['recall@100']} |"
        for r in rows
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=1500, help="corpus size (default 1500)")
    parser.add_argument(
        "--configs",
        nargs="*",
        default=list(CONFIGS),
        choices=list(CONFIGS),
        help="run only these (results merge into the saved JSON)",
    )
    add_shared_flag(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    data = load_set("scifact", SETS["scifact"])
    keep = kept_documents(data, args.docs)
    encoder = build_encoder("teacher", load_settings())
    queries = encoder.encode_queries([data.queries[q] for q in data.query_ids])  # (q, dim)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_files(data, keep, Path(tmp))
        for label in args.configs:
            rows.append(measure(label, paths, encoder, data, queries))
            logger.info("%s", rows[-1])
    rows = merged_rows(rows, len(keep))
    write_result(NAME, {"rows": rows}, table(rows), topic="chunking", shared=args.shared)


if __name__ == "__main__":
    main()
