"""The tiny BEIR dataset the evaluation tests score by hand."""

from __future__ import annotations

import json
from pathlib import Path

#: The tiny corpus the evaluation tests score by hand (see tests/evaluation/test_runner.py).
TINY_VOCAB = ["cat", "dog", "fish", "bird"]
TINY_CORPUS = {
    "d1": ("", "cat cat"),
    "d2": ("Pets", "cat dog"),  # the title holds no vocabulary word
    "d3": ("", "dog"),
    "d4": ("", "fish"),
    "d5": ("", "bird fish"),
}
TINY_QUERIES = {"q1": "cat", "q2": "dog", "q3": "bird", "q9": "unjudged query"}
TINY_QRELS = [("q1", "d2", 1), ("q2", "d3", 1), ("q2", "d2", 1), ("q3", "d4", 1)]


def write_tiny_beir(root: Path, split: str = "test") -> Path:
    """Write the tiny BEIR dataset (corpus, queries, qrels with a header) under ``root``."""
    (root / "qrels").mkdir(parents=True, exist_ok=True)
    with (root / "corpus.jsonl").open("w") as handle:
        for doc_id, (title, text) in TINY_CORPUS.items():
            handle.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with (root / "queries.jsonl").open("w") as handle:
        for query_id, text in TINY_QUERIES.items():
            handle.write(json.dumps({"_id": query_id, "text": text}) + "\n")
    lines = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{s}" for q, d, s in TINY_QRELS]
    (root / "qrels" / f"{split}.tsv").write_text("\n".join(lines) + "\n")
    return root
