"""Which chunk size serves retrieval best: SciFact through the real chunker and teacher.

Each abstract is written to a text file, chunked by ``indexer.chunking`` with each
configuration, encoded with the packaged teacher, and searched exactly; a document
scores as its best chunk (max-pooling). nDCG@10 via ranx. To keep the run short on
two cores the corpus is every judged document plus a fixed random sample of the rest
(``--docs``); all configurations see the same documents, so the comparison is fair,
but absolute figures are higher than on the full corpus.

    .venv/bin/python benchmarks/chunking_choice.py [--docs 1500]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from core.settings import load_settings
from encoders import build_encoder
from evaluation.beir import load_beir
from evaluation.metrics import evaluate_run
from indexer.chunking import ChunkingConfig, chunk_file

SCIFACT = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact"
RESULTS = Path(__file__).resolve().parent.parent / "docs" / "results"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1500)
    parser.add_argument(
        "--configs",
        nargs="*",
        default=list(CONFIGS),
        choices=list(CONFIGS),
        help="run only these (results merge into the saved JSON)",
    )
    args = parser.parse_args()
    data = load_beir(SCIFACT)
    judged = {d for docs in data.qrels.values() for d in docs}
    others = [d for d in data.doc_ids if d not in judged]
    keep = judged | set(random.Random(0).sample(others, max(0, args.docs - len(judged))))
    encoder = build_encoder("teacher", load_settings())
    query_ids = list(data.queries)
    queries = encoder.encode_queries([data.queries[q] for q in query_ids])  # (q, dim)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for doc_id, title, text in zip(data.doc_ids, data.titles, data.texts, strict=True):
            if doc_id in keep:
                paths[doc_id] = Path(tmp) / f"{len(paths)}.txt"
                paths[doc_id].write_text(f"{title}\n\n{text}\n")
        for label in args.configs:
            config = CONFIGS[label]
            started = time.perf_counter()
            owners, texts = [], []
            for doc_id, path in paths.items():
                for chunk in chunk_file(path, config):
                    owners.append(doc_id)
                    texts.append(chunk.text)
            vectors = encoder.encode_documents(texts)  # (n, dim)
            scores = queries @ vectors.T  # (q, n)
            run: dict[str, dict[str, float]] = {}
            for qi, qid in enumerate(query_ids):
                best: dict[str, float] = {}
                for ci in np.argsort(-scores[qi])[:200]:
                    best.setdefault(owners[ci], float(scores[qi, ci]))
                run[qid] = best
            ndcg = evaluate_run(data.qrels, run, ["ndcg@10", "recall@100"]).mean
            rows.append(
                {
                    "config": label,
                    "docs": len(paths),
                    "chunks": len(texts),
                    "chunks_per_doc": round(len(texts) / len(paths), 2),
                    "ndcg@10": round(100 * ndcg["ndcg@10"], 2),
                    "recall@100": round(100 * ndcg["recall@100"], 2),
                    "seconds": round(time.perf_counter() - started, 1),
                }
            )
            print(rows[-1], flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    saved = RESULTS / "chunking_choice.json"
    earlier = json.loads(saved.read_text()) if saved.exists() else []
    fresh = {r["config"] for r in rows}
    rows = [r for r in earlier if r["config"] not in fresh and r["docs"] == len(keep)] + rows
    rows.sort(key=lambda r: list(CONFIGS).index(r["config"]))
    saved.write_text(json.dumps(rows, indent=2) + "\n")
    lines = ["| chunking | chunks/doc | nDCG@10 | recall@100 |", "|---|---|---|---|"]
    default = next(label for label, config in CONFIGS.items() if config == ChunkingConfig())
    lines += [
        f"| {r['config']}{' (default)' if r['config'] == default else ''} | "
        f"{r['chunks_per_doc']} | {r['ndcg@10']} | {r['recall@100']} |"
        for r in rows
    ]
    (RESULTS / "chunking_choice.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
