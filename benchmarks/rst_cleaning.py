"""Does reading Django's reST as reST (roles and directives reduced to text) help retrieval?

    python benchmarks/rst_cleaning.py --quick     # faq pages + 30 others: proves it runs
    python benchmarks/rst_cleaning.py             # the whole Django docs tree (minutes)

The Django FAQ set of the dev suite (``benchmarks/dev_suite.py``), built three ways from
the same sections of the same pages, with the same queries and the same relevant
sections; only the passage text differs:

- ``raw``: each section's body as the file has it (what the indexer gave before: roles,
  directives, ````literals````, labels and all);
- ``cleaned``: the body as the indexer now reads it (``indexer.chunking``:
  ``indexer.rst_text.prepare_rst``, then pandoc and ``unstructured``'s HTML partitioner,
  element texts joined by blank lines);
- ``suite``: the dev-suite builder's own regex cleaning (``dev_suite_rst.clean_body``),
  the published django_faq figures.

The packaged teacher scores each (nDCG@10, recall@100, MRR@10) through the evaluation
harness (index in ``<data dir>/rst_cleaning/eval.db``, reused per corpus hash). The
script also partitions every page with the product's chunker both ways (plain text as
before, reST now) and reports seconds, chunks and the share of chunks still showing
markup. Writes ``docs/results/rst_cleaning.json`` and ``.md`` (``--quick`` writes
``rst_cleaning_quick.*``). The rule: keep reST reading on unless ``cleaned`` loses
nDCG@10 against ``raw``.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dev_suite import is_faq_question, leaks, to_beir, write_beir
from dev_suite_rst import Section, clean_body, find_headings, parse_rst
from harness.report import add_shared_flag, write_result

logger = logging.getLogger("rst_cleaning")
SENTINEL = "DSRSTSECTION{:05d}MARK"
SENTINEL_RE = re.compile(r"^DSRSTSECTION(\d{5})MARK$")
#: Markup a reader should not meet in a chunk: roles, directives, labels, role targets.
MARKUP_RE = re.compile(r":[a-z]+:`|^\s*\.\. [\w:-]+::|^\.\. _|``|\w <[\w/.#-]+>`", re.M)
VARIANTS = ("raw", "cleaned", "suite")


def pages(root: Path, quick: bool) -> list[Path]:
    """Every ``*.txt`` page (the dev suite skips ``requirements``); with ``quick``, the
    FAQ pages and 30 others spread over the tree."""
    files = [f for f in sorted(root.rglob("*.txt")) if f.stem != "requirements"]
    if not quick:
        return files
    faq = [f for f in files if f.parent.name == "faq"]
    others = [f for f in files if f.parent.name != "faq"]
    return faq + others[:: max(1, len(others) // 30)][:30]


def bodies(lines: list[str]) -> tuple[list[tuple[int, int, str]], list[str]]:
    """The headings of a page and each section's raw body lines, in order."""
    headings = find_headings(lines)
    out = []
    for n, (_start, body_start, _title, _style) in enumerate(headings):
        end = headings[n + 1][0] if n + 1 < len(headings) else len(lines)
        out.append("\n".join(lines[body_start:end]))
    return [(h[0], h[1], h[2]) for h in headings], out


def cleaned_bodies(raw: list[str], name: str) -> list[str]:
    """Each raw body as the indexer reads it: one pandoc run per page, sections told
    apart by a sentinel paragraph at column 0."""
    from indexer.chunking import partition_rst_text

    doc = "\n\n".join(f"{SENTINEL.format(n)}\n\n{body}" for n, body in enumerate(raw))
    texts: list[list[str]] = [[] for _ in raw]
    current = -1
    for element in partition_rst_text(doc, name):
        text = (element.text or "").strip()
        mark = SENTINEL_RE.match(text)
        if mark:
            current = int(mark.group(1))
        elif text and current >= 0:
            texts[current].append(text)
    return ["\n\n".join(parts) for parts in texts]


def variant_sections(files: list[Path], root: Path) -> dict[str, list[Section]]:
    """Sections of every page in each variant (same keys, titles and parents)."""
    out: dict[str, list[Section]] = {v: [] for v in VARIANTS}
    for file in files:
        rel = file.relative_to(root).with_suffix("").as_posix()
        source = file.read_text(encoding="utf-8", errors="replace")
        suite = parse_rst(rel, source)
        if not suite:
            continue
        _headings, raw = bodies(source.splitlines())
        cleaned = cleaned_bodies(raw, rel)
        for section, body, clean in zip(suite, raw, cleaned, strict=True):
            out["suite"].append(section)
            out["raw"].append(replace(section, text=body.strip("\n")))
            out["cleaned"].append(replace(section, text=clean))
        if [clean_body(body.splitlines()) for body in raw] != [s.text for s in suite]:
            raise RuntimeError(f"{rel}: section bodies do not line up with the dev suite's")
    return out


def chunker_stats(files: list[Path]) -> dict[str, dict[str, float]]:
    """The product's chunker on every page read as plain text (before) and as reST
    (now): seconds, chunks and the share of chunks showing markup."""
    from indexer.chunking import chunk_file
    from indexer.sniff import RST_MIME

    stats = {}
    for label, mime in (("plain text (before)", "text/plain"), ("reST (now)", RST_MIME)):
        started = time.perf_counter()
        chunks = [c for f in files for c in chunk_file(f, mime=mime, file_type="txt")]
        marked = sum(1 for c in chunks if MARKUP_RE.search(c.text))
        stats[label] = {
            "seconds": round(time.perf_counter() - started, 1),
            "chunks": len(chunks),
            "chunks_with_markup_pct": round(100 * marked / max(len(chunks), 1), 1),
        }
        print(f"chunker, {label}: {stats[label]}", flush=True)
    return stats


def build_sets(
    files: list[Path], root: Path, out: Path, variants: tuple[str, ...]
) -> dict[str, Path]:
    """``<out>/django_faq_<variant>`` in BEIR format; same queries in each."""
    started = time.perf_counter()
    sections = variant_sections(files, root)
    print(f"sections of {len(files)} pages: {time.perf_counter() - started:.1f}s")
    sets, queries = {}, None
    for variant in variants:
        found = sections[variant]
        beir = to_beir(found, is_faq_question)
        ids = [q["_id"] for q in beir.queries]
        if queries is not None and ids != queries:
            raise RuntimeError(f"{variant}: queries differ from the other variants")
        queries = ids
        leaked = leaks(beir)
        if leaked:
            logger.warning("%s: query text in its relevant docs: %s", variant, leaked[:5])
        target = out / f"django_faq_{variant}"
        write_beir(target, beir, f"django_faq, {variant} section text (rst_cleaning.py)\n")
        sets[variant] = target
        print(
            f"{variant}: {len(beir.corpus)} docs, {len(beir.queries)} queries, "
            f"{len(beir.qrels)} qrels",
            flush=True,
        )
    return sets


def write_results(payload: dict[str, Any], quick: bool, shared: bool = False) -> None:
    """``docs/results/rst_cleaning[_quick].json`` and ``.md``."""
    stem = "rst_cleaning_quick" if quick else "rst_cleaning"
    scores, chunker = payload["scores"], payload["chunker"]
    lines = [
        f"Teacher ({payload['model']}) on Django FAQ built from {payload['pages']} pages, "
        "same queries and relevant sections, section text read three ways "
        "(`benchmarks/rst_cleaning.py`).",
        "",
        "| text | docs | queries | nDCG@10 | recall@100 | MRR@10 |",
        "|---|---|---|---|---|---|",
    ]
    for variant, row in scores.items():
        lines.append(
            f"| {variant} | {row['docs']} | {row['queries']} | {100 * row['ndcg@10']:.2f} | "
            f"{100 * row['recall@100']:.2f} | {100 * row['mrr@10']:.2f} |"
        )
    lines += ["", "| chunker | seconds | chunks | chunks with markup |", "|---|---|---|---|"]
    for label, row in chunker.items():
        lines.append(
            f"| {label} | {row['seconds']} | {row['chunks']} | {row['chunks_with_markup_pct']}% |"
        )
    lines += ["", payload["verdict"]]
    write_result(stem, payload, "\n".join(lines), topic="rST cleaning", shared=shared)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir",
        default="data",
        help="where the Django docs are fetched "
        "(<data dir>/demo) and the sets and index go (<data dir>/rst_cleaning)",
    )
    parser.add_argument("--quick", action="store_true", help="FAQ pages + 30 others only")
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help="texts to score, of raw,cleaned,suite (default: all three; "
        "raw and cleaned are needed for the verdict)",
    )
    parser.add_argument("--batch-size", type=int, default=32, help="encoder batch (default 32)")
    parser.add_argument("--max-seq-length", type=int, default=256, help="tokens (default 256)")
    add_shared_flag(parser)
    args = parser.parse_args(argv)
    variants = tuple(v for v in args.variants.split(",") if v)
    if not {"raw", "cleaned"} <= set(variants) or set(variants) - set(VARIANTS):
        parser.error(f"--variants: raw and cleaned, optionally suite; got {args.variants!r}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    from dev_suite import teacher_scores

    from encoders import DEFAULT_TEACHER_MODEL
    from indexer.demo_corpus import fetch_django_docs

    started = time.perf_counter()
    root = fetch_django_docs(Path(args.data_dir) / "demo")
    files = pages(root, args.quick)
    out = Path(args.data_dir) / "rst_cleaning" / ("quick" if args.quick else "full")
    sets = build_sets(files, root, out, variants)
    chunker = chunker_stats(files)
    db = Path(args.data_dir) / "rst_cleaning" / "eval.db"
    scores = teacher_scores(sets, db, args.batch_size, args.max_seq_length)["sets"]
    delta = 100 * (scores["cleaned"]["ndcg@10"] - scores["raw"]["ndcg@10"])
    keep = "stays on" if delta >= 0 else "LOSES: turn it off"
    verdict = f"cleaned vs raw: {delta:+.2f} nDCG@10 points; reST reading {keep} (rule: no loss)."
    payload = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": DEFAULT_TEACHER_MODEL,
        "quick": args.quick,
        "pages": len(files),
        "max_seq_length": args.max_seq_length,
        "batch_size": args.batch_size,
        "scores": scores,
        "chunker": chunker,
        "ndcg10_delta_points": round(delta, 2),
        "verdict": verdict,
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_results(payload, args.quick, args.shared)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
