"""Where to take markup out of what readers see: at index time or at display time?

    nice -n 10 python benchmarks/display_cleaning.py --shared

Every judged query of the dev suite's documentation sets (``django_faq``: Django's reST;
``python_faq``: text of Sphinx HTML pages) with the teacher's top 10 documents is one
results page (``harness.pages``). Three measures:

- **retrieval**: the teacher's nDCG@10 and recall@100 with the documents as stored
  (``raw``: what cleaning at display time keeps, by construction) and with
  :func:`indexer.readable.readable_text` applied before encoding (``cleaned``: the same
  rules at index time). Only documents the cleaning changes are encoded again; the raw
  vectors come from the harness's cache.
- **time per page**: :func:`~indexer.readable.readable_text` over the page's 10 texts and
  :func:`~indexer.readable.heading_label` over their sections, milliseconds per page (p50,
  p95 over ``--rounds`` passes over every page), one thread.
- **markup shown**: the share of the pages' snippets showing a role, a directive or label,
  a title underline, an inline literal or a directive option, before and after cleaning.

The rule, fixed before measuring: clean at display time (retrieval then cannot change)
unless cleaning at index time gains at least 0.5 nDCG@10 points on the mean of the sets
and loses on none. Writes ``docs/results/display_cleaning.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import logging
import re
import time
from typing import Any

import numpy as np
from harness.datasets import load_set, parse_sets, query_texts
from harness.pages import Page, result_pages
from harness.report import add_shared_flag, write_result
from harness.scoring import corpus_vectors, dense_metrics, product_encoder
from harness.timing import latency_ms

from encoders import Encoder
from evaluation import BeirDataset
from indexer.readable import RULE_LINE, heading_label, readable_text

logger = logging.getLogger("display_cleaning")
DEFAULT_SETS = "django_faq,python_faq"
GAIN_TO_MOVE = 0.5  # nDCG@10 points the index-time cleaning must gain on the mean
MARKUP = {
    "role": re.compile(r"(?<![\w`]):[A-Za-z][\w.+:-]*:`"),
    "directive": re.compile(r"(?:^|\s)\.\. [A-Za-z][\w:.+-]*::|^\s*\.\. _", re.M),
    "literal": re.compile(r"``[^`\n]+``"),
    "option": re.compile(r"^\s*:[\w-]+:(?:\s|$)", re.M),
}


def markup_kinds(text: str) -> set[str]:
    """The kinds of markup ``text`` shows (``underline`` for a title's rule line)."""
    found = {name for name, pattern in MARKUP.items() if pattern.search(text)}
    if any(RULE_LINE.match(line) for line in text.splitlines()):
        found.add("underline")
    return found


def retrieval(data: BeirDataset, encoder: Encoder) -> dict[str, Any]:
    """nDCG@10 and recall@100 of ``encoder`` on raw and on cleaned documents."""
    raw = corpus_vectors(encoder, data)
    cleaned_texts = [readable_text(doc) for doc in data.documents]
    pairs = zip(data.documents, cleaned_texts, strict=True)
    changed = [i for i, (a, b) in enumerate(pairs) if a != b]
    cleaned = raw.copy()
    if changed:
        cleaned[changed] = encoder.encode_documents([cleaned_texts[i] for i in changed])
    queries = encoder.encode_queries(query_texts(data))
    out: dict[str, Any] = {"documents": len(raw), "changed_by_cleaning": len(changed)}
    for label, vectors in (("raw", raw), ("cleaned", cleaned)):
        metrics = dense_metrics(data, vectors, queries)
        out[label] = {k: round(100 * v, 2) for k, v in metrics.items()}
    out["delta_ndcg@10"] = round(out["cleaned"]["ndcg@10"] - out["raw"]["ndcg@10"], 2)
    return out


def page_costs(pages: list[Page], rounds: int) -> dict[str, Any]:
    """Milliseconds to clean a page's texts and check its titles, and markup shown."""
    samples = []
    for _ in range(rounds):
        for page in pages:
            started = time.perf_counter()
            for hit in page.hits:
                readable_text(hit.text)
                heading_label(hit.section)
            samples.append((time.perf_counter() - started) * 1000)
    snippets = [hit.text for page in pages for hit in page.hits]
    before = [markup_kinds(t) for t in snippets]
    after = [markup_kinds(readable_text(t)) for t in snippets]
    kinds = sorted(set().union(*before))
    return {
        "pages": len(pages),
        "rounds": rounds,
        **latency_ms(samples),
        "snippets": len(snippets),
        "markup_before": round(float(np.mean([bool(k) for k in before])), 4),
        "markup_after": round(float(np.mean([bool(k) for k in after])), 4),
        "by_kind_before": {k: sum(k in b for b in before) for k in kinds},
        "by_kind_after": {k: sum(k in a for a in after) for k in kinds},
    }


def verdict(sets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Index time only if it gains ``GAIN_TO_MOVE`` on the mean and loses on no set."""
    deltas = [s["retrieval"]["delta_ndcg@10"] for s in sets.values()]
    mean = round(float(np.mean(deltas)), 2)
    move = mean >= GAIN_TO_MOVE and min(deltas) >= 0
    where = "index time" if move else "display time"
    return {"mean_delta_ndcg@10": mean, "default": f"clean at {where}"}


def markdown(payload: dict[str, Any]) -> str:
    lines = [
        "# Markup: cleaned at index time or at display time",
        "",
        "Teacher (all-MiniLM-L6-v2) on the dev suite's documentation sets; `raw` = the "
        "documents as stored (what display-time cleaning keeps), `cleaned` = "
        "`indexer.readable.readable_text` applied before encoding. A page = a judged "
        "query's top 10 documents.",
        "",
        "| set | docs changed | nDCG@10 raw | nDCG@10 cleaned | Δ | recall@100 raw | "
        "recall@100 cleaned | ms/page p50 | ms/page p95 | snippets with markup before | after |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, res in payload["sets"].items():
        r, c = res["retrieval"], res["pages"]
        lines.append(
            f"| {name} | {r['changed_by_cleaning']}/{r['documents']} | {r['raw']['ndcg@10']:.2f} | "
            f"{r['cleaned']['ndcg@10']:.2f} | {r['delta_ndcg@10']:+.2f} | "
            f"{r['raw']['recall@100']:.2f} | {r['cleaned']['recall@100']:.2f} | "
            f"{c['p50_ms']:.2f} | {c['p95_ms']:.2f} | {c['markup_before']:.1%} | "
            f"{c['markup_after']:.1%} |"
        )
    v = payload["verdict"]
    lines += [
        "",
        f"Rule (fixed before measuring): index time only if it gains >= {GAIN_TO_MOVE} "
        f"nDCG@10 on the mean and loses on no set. Mean Δ {v['mean_delta_ndcg@10']:+.2f}: "
        f"**{v['default']}**.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default=DEFAULT_SETS, help=f"default {DEFAULT_SETS}")
    parser.add_argument("--rounds", type=int, default=5, help="timing passes (default 5)")
    parser.add_argument("--threads", type=int, default=1, help="encoder threads (default 1)")
    parser.add_argument("--out", default="display_cleaning", help="result name")
    add_shared_flag(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sets: dict[str, dict[str, Any]] = {}
    encoder = product_encoder("teacher", args.threads)
    for name, folder in parse_sets(args.sets).items():
        data = load_set(name, folder)
        pages = result_pages(data, encoder)
        sets[name] = {
            "retrieval": retrieval(data, encoder),
            "pages": page_costs(pages, args.rounds),
        }
        logger.info("%s: %s", name, sets[name])
    payload = {"sets": sets, "rule_gain": GAIN_TO_MOVE, "verdict": verdict(sets)}
    write_result(args.out, payload, markdown(payload), topic="rST cleaning", shared=args.shared)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
