"""Does the Ask answer answer? The extractive answer (and optionally an OpenAI-compatible
endpoint, or SmolLM2) on the dev suite's questions, by what a reader needs.

    nice -n 10 .venv/bin/python benchmarks/answer_quality.py --shared
    nice -n 10 .venv/bin/python benchmarks/answer_quality.py --per-set 5   # a smoke run

Questions: the judged queries of ``django_faq`` and ``python_faq`` (``--per-set`` caps
them, seeded). Each question is asked as the Ask page asks it: the teacher's top
``--passages`` documents (5, the page's default) are the passages, in rank order
(``harness.pages``), and the generator answers from them.

Per set and generator:

- ``key_sentence_rate``: answers that contain the **key sentence**, over the questions
  whose relevant passage was retrieved. The key sentence of a retrieved relevant passage
  is its sentence (as the answer would quote it: markup removed, whole sentences) most
  similar to the question under the teacher (cosine of the teacher's query and document
  embeddings); an answer contains it when its words, in order, appear in the answer's
  text. ``relevant_retrieved`` is the share of questions with a relevant passage among
  the passages; ``key_sentence_rate_all`` counts the others as misses.
- ``citation_accuracy``: citations ``[n]`` that point at a passage which holds the cited
  piece: quoted word for word, or (a paraphrase) with at least ``SUPPORT`` of its content
  terms (stemmed, stop words dropped), over every citation of every answer.
- ``cited_not_retrieved``: citations ``[n]`` with no passage ``n`` (beyond the retrieved
  ones), over every citation.
- ``seconds_mean``: seconds per answer (retrieval not included).

The extractive generator scores sentences as ``SearchService.answer`` does with a
teacher-indexed collection: the teacher on the sentences its static word vectors rank
highest (``usecases.sentence_scores.answer_scorer``); ``extractive, every sentence
encoded`` scores all of them with the teacher. The extractive answer as it was before issue 32
(:class:`BeforeIssue32`, the best four sentences across passages) is measured beside it.
``--llm-url``/``--llm-model`` measure an OpenAI-compatible endpoint too; ``--smollm2``
the optional offline model (its figures from before key sentences were measured are in
``answer_quality_smollm2.md``). Writes
``docs/results/answer_quality.json`` (``sets``: the extractive default per set;
``generators``: every generator measured, per set) and ``.md``.
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import statistics
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from harness.datasets import load_set, parse_sets
from harness.pages import Page, result_pages
from harness.report import add_shared_flag, write_result
from harness.scoring import product_encoder

from encoders import Encoder
from indexer.readable import readable_text
from indexer.stores.bm25 import analyze
from indexer.types import Hit
from usecases.answer_text import AnswerPoint, claims, clean_sentence, points_text, rejection
from usecases.highlight import split_sentences
from usecases.rag import Answer, ExtractiveGenerator, Generator, OpenAICompatibleGenerator
from usecases.sentence_scores import answer_scorer

logger = logging.getLogger("answer_quality")
DEFAULT_SETS = "django_faq,python_faq"
SUPPORT = 0.6
_WORDS = re.compile(r"\w+")


def words(text: str) -> str:
    """``text`` as lower-case words joined by single spaces (for "contains" checks)."""
    return " ".join(_WORDS.findall(text.lower()))


def key_sentence(question: str, passage: str, teacher: Encoder) -> str:
    """The passage's sentence (cleaned as an answer quotes it) most similar to the
    question under the teacher; "" for a passage without one."""
    sentences = [clean_sentence(s) for s in split_sentences(readable_text(passage))]
    sentences = [s for s in sentences if len(s.split()) >= 3]
    if not sentences:
        return ""
    scores = teacher.encode_documents(sentences) @ teacher.encode_queries([question])[0]
    return sentences[int(np.argmax(scores))]


def supports(piece: str, passage: str) -> bool:
    """Whether ``passage`` holds ``piece``: quoted, or most of its content terms."""
    if words(piece) and words(piece) in words(readable_text(passage)):
        return True
    terms = set(analyze(piece))
    return bool(terms) and len(terms & set(analyze(passage))) / len(terms) >= SUPPORT


def score(answer: Answer, page: Page, keys: list[str]) -> dict[str, int]:
    """Counts for one answer (see the module docstring)."""
    points = answer.points or tuple(claims(answer.text))
    cites = ok = beyond = 0
    for point in points:
        for n in point.numbers:
            cites += 1
            if not 1 <= n <= len(page.hits):
                beyond += 1
            elif supports(point.sentence, page.hits[n - 1].text):
                ok += 1
    text = words(" ".join(p.sentence for p in points) or answer.text)
    found = any(k and words(k) in text for k in keys)
    return {"cites": cites, "cites_ok": ok, "beyond": beyond, "key": int(found)}


def measure(generator: Generator, pages: list[Page], teacher: Encoder) -> dict[str, Any]:
    """The figures of ``generator`` over ``pages`` (one set)."""
    rows, seconds = [], []
    for page in pages:
        relevant = [h for h in page.hits if h.id in page.relevant]
        keys = [key_sentence(page.query, h.text, teacher) for h in relevant]
        started = time.perf_counter()
        answer = generator.generate(page.query, page.hits)
        seconds.append(time.perf_counter() - started)
        rows.append({**score(answer, page, keys), "retrieved": int(bool(relevant))})
    total = {k: sum(r[k] for r in rows) for k in rows[0]}
    retrieved, cites = total["retrieved"], total["cites"]
    return {
        "questions": len(rows),
        "relevant_retrieved": round(retrieved / len(rows), 4),
        "key_sentence_rate": round(total["key"] / retrieved, 4) if retrieved else None,
        "key_sentence_rate_all": round(total["key"] / len(rows), 4),
        "citations": cites,
        "citation_accuracy": round(total["cites_ok"] / cites, 4) if cites else None,
        "cited_not_retrieved": round(total["beyond"] / cites, 4) if cites else 0.0,
        "empty_answers": sum(r["cites"] == 0 for r in rows),
        "seconds_mean": round(statistics.fmean(seconds), 4),
    }


#: Sentences the rules before issue 32 let through that the answer now leaves out.
BEFORE_ALLOWED = (None, "a pointer elsewhere", "a question, not an answer")


class BeforeIssue32:
    """The extractive answer as it was before issue 32, for comparison: the four
    retrieved sentences closest to the question (whole, no markup, a clause; pointers
    elsewhere and questions allowed, as they were), over 0.2 and 0.6 x the best, near-duplicates
    (cosine >= 0.92) dropped, grouped by passage."""

    name = "extractive before issue 32"

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder

    def generate(self, query: str, passages: Sequence[Hit]) -> Answer:
        found = [
            (n, pos, s)
            for n, hit in enumerate(passages, 1)
            for pos, raw in enumerate(split_sentences(hit.text))
            if rejection(s := clean_sentence(raw)) in BEFORE_ALLOWED
        ]
        if not found:
            return Answer(query, "", (), tuple(passages), self.name)
        vectors = self.encoder.encode_documents([c[2] for c in found])
        scores = vectors @ self.encoder.encode_queries([query])[0]
        floor, chosen = max(0.2, 0.6 * float(scores.max())), []
        for i in np.argsort(-scores, kind="stable"):
            near = chosen and float(np.max(vectors[chosen] @ vectors[i])) >= 0.92
            if scores[i] < floor or len(chosen) >= 4:
                break
            if not near:
                chosen.append(int(i))
        chosen.sort(key=lambda i: found[i][:2])
        points = tuple(AnswerPoint(found[i][2], (found[i][0],)) for i in chosen)
        return Answer(query, points_text(points), (), tuple(passages), self.name, points=points)


def generators(args: argparse.Namespace, teacher: Encoder) -> dict[str, Generator]:
    out: dict[str, Generator] = {
        "extractive": ExtractiveGenerator(answer_scorer(teacher, teacher)),
        "extractive, every sentence encoded": ExtractiveGenerator(teacher),
    }
    if not args.no_before:
        out[BeforeIssue32.name] = BeforeIssue32(teacher)
    if args.llm_url:
        out[f"llm:{args.llm_model}"] = OpenAICompatibleGenerator(args.llm_url, args.llm_model)
    if args.smollm2:
        from usecases.local_llm import SmolLM2Generator

        out["smollm2"] = SmolLM2Generator()
    return out


def markdown(payload: dict[str, Any]) -> str:
    cols = [
        "questions",
        "relevant_retrieved",
        "key_sentence_rate",
        "key_sentence_rate_all",
        "citation_accuracy",
        "cited_not_retrieved",
        "empty_answers",
        "seconds_mean",
    ]
    lines = [
        "# Ask: does the answer answer?",
        "",
        f"The dev suite's judged questions, {payload['passages']} passages each (the "
        "teacher's top documents, as the Ask page retrieves them). Key sentence: the "
        "retrieved relevant passage's sentence most similar to the question under the "
        "teacher; `key_sentence_rate` over the questions whose relevant passage was "
        "retrieved. A citation is accurate when its passage holds the cited piece (quoted, "
        f"or >= {SUPPORT:.0%} of its content terms).",
        "",
        "| generator | set | " + " | ".join(cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    for name, sets in payload["generators"].items():
        for set_name, res in sets.items():
            cells = [
                "—"
                if res[c] is None
                else f"{res[c]:.2f}"
                if isinstance(res[c], float)
                else str(res[c])
                for c in cols
            ]
            lines.append(f"| {name} | {set_name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default=DEFAULT_SETS, help=f"default {DEFAULT_SETS}")
    parser.add_argument("--per-set", type=int, default=0, help="questions per set (0: all)")
    parser.add_argument("--passages", type=int, default=5, help="passages per question (5)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=1, help="teacher threads (default 1)")
    parser.add_argument("--llm-url", default="", help="an OpenAI-compatible endpoint too")
    parser.add_argument("--llm-model", default="", help="its model name")
    parser.add_argument("--smollm2", action="store_true", help="the optional SmolLM2 too")
    parser.add_argument(
        "--no-before", action="store_true", help="skip the answer as it was before issue 32"
    )
    parser.add_argument("--out", default="answer_quality", help="result name")
    add_shared_flag(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    teacher = product_encoder("teacher", args.threads)
    chosen = generators(args, teacher)
    results: dict[str, dict[str, Any]] = {name: {} for name in chosen}
    for set_name, folder in parse_sets(args.sets).items():
        pages = result_pages(load_set(set_name, folder), teacher, args.passages)
        if args.per_set:
            pages = random.Random(args.seed).sample(pages, min(args.per_set, len(pages)))
        for name, generator in chosen.items():
            results[name][set_name] = measure(generator, pages, teacher)
            logger.info("%s on %s: %s", name, set_name, results[name][set_name])
    payload = {
        "passages": args.passages,
        "per_set": args.per_set,
        "seed": args.seed,
        "support_threshold": SUPPORT,
        "sets": results["extractive"],
        "generators": results,
    }
    topic = "answer quality"
    write_result(args.out, payload, markdown(payload), topic=topic, shared=args.shared)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
