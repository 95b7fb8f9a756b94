"""Highlighting a 10-hit results page: static word vectors (the default) against the full
encoder, time and agreement.

    nice -n 10 python benchmarks/highlight_latency.py --shared

Pages: every judged query of the dev suite's ``django_faq`` and ``python_faq`` with the
teacher's top 10 documents (``harness.pages``). Each page goes through the product's own
path, :func:`usecases.highlight.highlight_result` (markup cleaned, sentences cut, each
scored, the best marked), once with the static scorer the Search page uses by default
(:func:`usecases.sentence_scores.static_scorer_for`: the encoder's input word vectors) and
once with the full encoder (:class:`~usecases.sentence_scores.EncoderScorer`, what
highlighting did before and what "Exact highlights" does). Torch runs one thread, as in
the UI.

Per encoder (``--encoders``: the teacher by default; a student or an export when its
folder is in the models dir): milliseconds per page, p50 and p95, for the static scorer
over ``--rounds`` passes over every page and for the full encoder over ``--full-pages``
pages; and, over the hits of those pages with two sentences or more, how often the static
scorer's best sentence is the full encoder's (``same_best_sentence``) or among its best
two (``best_in_full_top2``). The bound: p95 <= 100 ms per page for the default scorer.
Writes ``docs/results/highlight_latency.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import logging
import time
from typing import Any

import numpy as np
from harness.datasets import load_set, parse_sets
from harness.pages import Page, result_pages
from harness.report import add_shared_flag, write_result
from harness.scoring import product_encoder
from harness.timing import latency_ms

from encoders import Encoder
from usecases.highlight import highlight_result
from usecases.results import SearchResult
from usecases.sentence_scores import EncoderScorer, SentenceScorer, static_scorer_for

logger = logging.getLogger("highlight_latency")
DEFAULT_SETS = "django_faq,python_faq"
BOUND_MS = 100.0


def page_result(page: Page, encoder: str) -> SearchResult:
    return SearchResult(page.query, encoder, "bench", list(page.hits), 0.0, 0.0)


def timed(pages: list[Page], encoder: str, scorer: SentenceScorer) -> tuple[list[float], list]:
    """Milliseconds per page and each page's highlights (one pass)."""
    samples, marked = [], []
    for page in pages:
        started = time.perf_counter()
        result = highlight_result(page_result(page, encoder), scorer)
        samples.append((time.perf_counter() - started) * 1000)
        marked.append(result.highlights)
    return samples, marked


def agreement(fast: list[dict], full: list[dict]) -> dict[str, Any]:
    """Over hits with two sentences or more: the fast best sentence is the full one's /
    is among the full one's best two."""
    same = top2 = hits = 0
    for fast_page, full_page in zip(fast, full, strict=True):
        for hit_id, exact in full_page.items():
            if len(exact.scores) < 2:
                continue
            best = int(np.argmax(fast_page[hit_id].scores))
            order = np.argsort(-np.asarray(exact.scores), kind="stable")
            hits, same, top2 = hits + 1, same + (best == order[0]), top2 + (best in order[:2])
    return {
        "hits_compared": hits,
        "same_best_sentence": round(float(same) / hits, 4) if hits else None,
        "best_in_full_top2": round(float(top2) / hits, 4) if hits else None,
    }


def measure(encoder: Encoder, pages: list[Page], rounds: int, full_pages: int) -> dict[str, Any]:
    static = static_scorer_for(encoder)
    default: SentenceScorer = static or EncoderScorer(encoder)
    samples: list[float] = []
    for _ in range(rounds):
        times, fast = timed(pages, encoder.name, default)
        samples += times
    step = max(1, len(pages) // full_pages)
    sample = pages[::step][:full_pages]
    full_times, exact = timed(sample, encoder.name, EncoderScorer(encoder))
    fast_sample = fast[::step][:full_pages]
    return {
        "scorer": default.name,
        "pages": len(pages),
        "rounds": rounds,
        **latency_ms(samples),
        "full_encoder": {"pages": len(sample), **latency_ms(full_times)},
        **agreement(fast_sample, exact),
    }


def markdown(payload: dict[str, Any]) -> str:
    lines = [
        "# Highlighting a 10-hit page",
        "",
        f"{payload['pages']} pages (a judged query's top 10 documents by the teacher, "
        f"{', '.join(payload['sets'])}), through `usecases.highlight.highlight_result` "
        "(cleaning, sentences, scoring); one torch thread. Agreement over hits with two "
        "sentences or more.",
        "",
        "| encoder | default scorer | p50 ms | p95 ms | full encoder p50 ms | full p95 ms | "
        "same best sentence | best in full top 2 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, res in payload["encoders"].items():
        full = res["full_encoder"]
        lines.append(
            f"| {name} | {res['scorer']} | {res['p50_ms']:.1f} | {res['p95_ms']:.1f} | "
            f"{full['p50_ms']:.0f} | {full['p95_ms']:.0f} | {res['same_best_sentence']:.1%} | "
            f"{res['best_in_full_top2']:.1%} |"
        )
    verdict = "meets" if payload["meets_bound"] else "misses"
    lines += ["", f"Bound: p95 <= {BOUND_MS:.0f} ms per page for the default scorer: {verdict}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default=DEFAULT_SETS, help=f"default {DEFAULT_SETS}")
    parser.add_argument("--encoders", default="teacher", help="comma-separated (default teacher)")
    parser.add_argument("--rounds", type=int, default=3, help="static passes (default 3)")
    parser.add_argument("--full-pages", type=int, default=60, help="full-encoder pages (60)")
    add_shared_flag(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sets = parse_sets(args.sets)
    teacher = product_encoder("teacher", threads=1)
    pages = [
        p for name, folder in sets.items() for p in result_pages(load_set(name, folder), teacher)
    ]
    results = {}
    for name in [n.strip() for n in args.encoders.split(",") if n.strip()]:
        encoder = teacher if name == "teacher" else product_encoder(name, threads=1)
        results[name] = measure(encoder, pages, args.rounds, args.full_pages)
        logger.info("%s: %s", name, results[name])
    payload = {
        "sets": list(sets),
        "pages": len(pages),
        "bound_ms": BOUND_MS,
        "encoders": results,
        "meets_bound": all(r["p95_ms"] <= BOUND_MS for r in results.values()),
    }
    topic = "highlighting"
    write_result("highlight_latency", payload, markdown(payload), topic=topic, shared=args.shared)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
