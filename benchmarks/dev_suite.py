"""Build the dev suite: BEIR-format retrieval sets from other domains than SciFact.

    python benchmarks/dev_suite.py                 # build what is missing, print counts
    python benchmarks/dev_suite.py --teacher       # ... then score the teacher on every set

Sets, each under ``<out>/<name>/`` (``corpus.jsonl``, ``queries.jsonl``,
``qrels/test.tsv``, ``SOURCE.txt``), built only from package registries:

- ``django_faq``: the Django 5.2 docs (the sdist that ``pip download`` fetches, the same
  as the demo corpus, kept under ``<data dir>/demo``). Queries are the question headings
  of ``docs/faq/*.txt``; the relevant documents are the passages of each question's
  answer section (and of any subsection under it). The corpus is every section of every
  ``docs/**/*.txt`` page, so the rest of the documentation is the distractor set.
- ``python_faq``: the Python 3.11 docs from Debian's ``python3.11-doc`` (``apt-get
  download``; HTML). Queries are the question headings of ``faq/*.html``, relevant
  documents the answer sections; the corpus is every section of the faq, howto,
  tutorial and library pages.

One corpus document per section: title = the section heading, text = the section's own
body. Sections over 300 words are cut at paragraph breaks into ~200-word passages that
keep the title; ids are ``<page>#<section slug>#<k>``. Answer sections have an EMPTY
title and their text never holds the question, so a query cannot match its answer by
string identity. SciFact (``/work/shared/data/scifact``) is the suite's third member;
``--teacher`` scores the packaged teacher on all three through the evaluation harness and
writes ``docs/results/dev_suite.json`` and ``.md``. Data is never committed: ``data/`` is
git-ignored.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dev_suite_rst import Section
from harness.datasets import SCIFACT, load_set
from harness.report import add_shared_flag, write_result

logger = logging.getLogger("dev_suite")

TARGET_WORDS, MAX_WORDS = 200, 300
QUESTION_WORDS = frozenset(
    {
        "how",
        "what",
        "why",
        "where",
        "when",
        "which",
        "who",
        "is",
        "are",
        "can",
        "do",
        "does",
        "should",
        "will",
        "would",
        "could",
        "may",
        "must",
    }
)
PY_PACKAGE = "python3.11-doc"
PY_HTML = Path("usr/share/doc/python3.11/html")
PY_FOLDERS = ("faq", "howto", "tutorial", "library")


@dataclass(frozen=True)
class BeirSet:
    """Rows of ``corpus.jsonl`` and ``queries.jsonl`` and ``(query, doc, score)`` qrels."""

    corpus: list[dict[str, str]]
    queries: list[dict[str, str]]
    qrels: list[tuple[str, str, int]]


@dataclass(frozen=True)
class SetSpec:
    """A buildable set: where its sections come from and what SOURCE.txt says about it."""

    name: str
    domain: str
    licence: str
    sections: Callable[[argparse.Namespace], tuple[list[Section], str]]


def is_question(title: str) -> bool:
    """A heading that reads as a question or a problem statement, not a topic name."""
    words = title.split()
    if not words:
        return False
    return title.rstrip().endswith(("?", ".", "!")) or words[0].lower() in QUESTION_WORDS


def is_faq_question(section: Section) -> bool:
    """A question heading below the page title of an FAQ page (not the FAQ index)."""
    return (
        section.path.startswith("faq/")
        and section.path != "faq/index"
        and section.level > 1
        and is_question(section.title)
    )


def _pack(pieces: list[str], target: int) -> list[str]:
    """Greedily join paragraphs into passages of at most ~``target`` words."""
    out: list[list[str]] = []
    count = 0
    for piece in pieces:
        n = len(piece.split())
        if not out or count + n > target:
            out.append([])
            count = 0
        out[-1].append(piece)
        count += n
    if len(out) > 1 and sum(len(p.split()) for p in out[-1]) < target // 4:
        out[-2].extend(out.pop())  # no tiny tail passage
    return ["\n\n".join(group) for group in out]


def passages(text: str, target: int = TARGET_WORDS, limit: int = MAX_WORDS) -> list[str]:
    """``text`` whole when at most ``limit`` words, else ~``target``-word passages."""
    if not text.strip():
        return []
    if len(text.split()) <= limit:
        return [text]
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        words = paragraph.split()
        if len(words) > target:
            pieces += [" ".join(words[i : i + target]) for i in range(0, len(words), target)]
        elif words:
            pieces.append(paragraph.strip("\n").rstrip())
    return _pack(pieces, target)


def to_beir(sections: list[Section], is_query: Callable[[Section], bool]) -> BeirSet:
    """Corpus passages of every section; queries and qrels from the ``is_query`` ones."""
    questions = {s.key: s for s in sections if is_query(s)}
    corpus: list[dict[str, str]] = []
    doc_ids: dict[str, list[str]] = {}
    for section in sections:
        title = "" if section.key in questions else section.title[:300]
        for k, text in enumerate(passages(section.text)):
            doc_id = f"{section.key}#{k}"
            corpus.append({"_id": doc_id, "title": title, "text": text})
            doc_ids.setdefault(section.key, []).append(doc_id)
    queries, qrels = [], []
    for key, question in questions.items():
        answer = [key] + [s.key for s in sections if key in s.parents]
        relevant = [doc for part in answer for doc in doc_ids.get(part, [])]
        if relevant:
            queries.append({"_id": key, "text": question.title})
            qrels += [(key, doc, 1) for doc in relevant]
    return BeirSet(corpus, queries, qrels)


def leaks(beir: BeirSet) -> list[str]:
    """Query ids whose text appears (case-insensitively) in a relevant doc's title or text."""
    docs = {row["_id"]: row for row in beir.corpus}
    text_of = {row["_id"]: row["text"].lower() for row in beir.queries}
    found = set()
    for qid, doc_id, _ in beir.qrels:
        doc = docs[doc_id]
        if text_of[qid] in doc["title"].lower() or text_of[qid] in doc["text"].lower():
            found.add(qid)
    return sorted(found)


def write_beir(target: Path, beir: BeirSet, source: str) -> None:
    """Write ``target`` atomically (a sibling temp folder renamed into place)."""
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "qrels").mkdir(parents=True)
    for name, rows in (("corpus", beir.corpus), ("queries", beir.queries)):
        with (tmp / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    lines = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{s}" for q, d, s in beir.qrels]
    (tmp / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp / "SOURCE.txt").write_text(source, encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)


def read_counts(target: Path) -> dict[str, int]:
    """Documents, queries and qrels lines of a built set (header excluded)."""

    def lines(path: Path) -> int:
        with path.open(encoding="utf-8") as handle:
            return sum(1 for line in handle if line.strip())

    return {
        "docs": lines(target / "corpus.jsonl"),
        "queries": lines(target / "queries.jsonl"),
        "qrels": lines(target / "qrels" / "test.tsv") - 1,
    }


def django_sections(args: argparse.Namespace) -> tuple[list[Section], str]:
    """Sections of the whole Django docs tree (the demo corpus's sdist)."""
    from dev_suite_rst import parse_rst_tree

    from indexer.demo_corpus import DJANGO_SPEC, fetch_django_docs

    docs = fetch_django_docs(Path(args.data_dir) / "demo")
    archive = (docs / ".complete").read_text().strip()
    origin = (
        f'{archive} from PyPI (`pip download --no-deps --no-binary :all: "{DJANGO_SPEC}"`),'
        f" docs/**/*.txt (reStructuredText), extracted to {docs}"
    )
    return parse_rst_tree(docs, skip=frozenset({"requirements"})), origin


def _apt(command: list[str], cwd: Path) -> bool:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        logger.warning("%s failed: %s", " ".join(command), done.stderr.strip()[-300:])
    return done.returncode == 0


def fetch_python_docs(dest: Path) -> tuple[Path, str]:
    """``apt-get download`` + ``dpkg -x`` of python3.11-doc once; (html root, .deb name)."""
    marker = dest / ".complete"
    if marker.is_file():
        return dest / "root" / PY_HTML, marker.read_text().strip()
    dest.mkdir(parents=True, exist_ok=True)
    if not sorted(dest.glob(f"{PY_PACKAGE}_*.deb")):
        download = ["apt-get", "download", PY_PACKAGE]
        if not _apt(download, dest) and not (
            _apt(["apt-get", "update"], dest) and _apt(download, dest)
        ):
            raise RuntimeError(f"could not apt-get download {PY_PACKAGE}")
    deb = sorted(dest.glob(f"{PY_PACKAGE}_*.deb"))[-1]
    shutil.rmtree(dest / "root", ignore_errors=True)
    if not _apt(["dpkg", "-x", deb.name, "root"], dest):
        raise RuntimeError(f"could not unpack {deb}")
    marker.write_text(f"{deb.name}\n")
    return dest / "root" / PY_HTML, deb.name


def python_sections(args: argparse.Namespace) -> tuple[list[Section], str]:
    """Sections of the Python docs' faq, howto, tutorial and library pages (HTML)."""
    from dev_suite_html import parse_html_tree

    html, deb = fetch_python_docs(Path(args.out) / "sources" / PY_PACKAGE)
    origin = (
        f"{deb} from Debian (`apt-get download {PY_PACKAGE}`, `dpkg -x`), Sphinx HTML "
        f"under {PY_HTML}/{{{','.join(PY_FOLDERS)}}}/, unpacked in {html}"
    )
    return parse_html_tree(html, PY_FOLDERS), origin


SPECS = {
    "django_faq": SetSpec(
        "django_faq",
        "web framework documentation (Django 5.2)",
        "Django's documentation is under Django's 3-clause BSD licence (LICENSE in the "
        "sdist; Copyright (c) Django Software Foundation and individual contributors).",
        django_sections,
    ),
    "python_faq": SetSpec(
        "python_faq",
        "programming language documentation (Python 3.11)",
        "Python software and documentation are licensed under the PSF License Agreement; "
        "code in the documentation is dual licensed under the PSF License Agreement and "
        "the Zero-Clause BSD license (html/license.html; /usr/share/doc/python3.11-doc/"
        "copyright in the package).",
        python_sections,
    ),
}


def source_text(spec: SetSpec, origin: str, beir: BeirSet) -> str:
    """The SOURCE.txt of a set: origin, licence, how it was built, counts."""
    return (
        f"{spec.name}: {spec.domain}\n\nSource: {origin}\n\nLicence: {spec.licence}\n\n"
        "Built by benchmarks/dev_suite.py on "
        f"{datetime.now(UTC).isoformat(timespec='seconds')}: queries = question headings "
        "of the FAQ pages; relevant = the passages of each answer section (and its "
        "subsections), stored with an empty title; corpus = one document per section of "
        f"every page (title = heading, text = own body; sections over {MAX_WORDS} words cut "
        f"into ~{TARGET_WORDS}-word passages, ids <page>#<section>#<k>).\n\n"
        f"Counts: {len(beir.corpus)} docs, {len(beir.queries)} queries, "
        f"{len(beir.qrels)} qrels.\n"
    )


def build_set(spec: SetSpec, args: argparse.Namespace) -> dict[str, int]:
    """Build ``<out>/<name>`` unless it is there already (or ``--rebuild``); its counts."""
    target = Path(args.out) / spec.name
    if (target / "SOURCE.txt").is_file() and not args.rebuild:
        counts = read_counts(target)
        print(f"{spec.name}: present at {target} ({_fmt(counts)}); --rebuild to rebuild")
        return counts
    started = time.perf_counter()
    sections, origin = spec.sections(args)
    beir = to_beir(sections, is_faq_question)
    leaked = leaks(beir)
    if leaked:
        raise RuntimeError(f"{spec.name}: query text found in its relevant docs: {leaked[:5]}")
    write_beir(target, beir, source_text(spec, origin, beir))
    counts = read_counts(target)
    print(
        f"{spec.name}: built {target} in {time.perf_counter() - started:.1f}s "
        f"({_fmt(counts)}; {len(sections)} sections; no query in its relevant docs)"
    )
    return counts


def _fmt(counts: dict[str, int]) -> str:
    return f"{counts['docs']} docs, {counts['queries']} queries, {counts['qrels']} qrels"


def show_samples(target: Path, n: int) -> None:
    """Print ``n`` queries of a built set (spread over it) with their relevant docs."""
    rows = [json.loads(line) for line in (target / "queries.jsonl").open(encoding="utf-8")]
    docs = {}
    for line in (target / "corpus.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        docs[row["_id"]] = row
    qrels: dict[str, list[str]] = {}
    for line in (target / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        qid, doc_id, _ = line.split("\t")
        qrels.setdefault(qid, []).append(doc_id)
    for row in rows[:: max(1, len(rows) // max(n, 1))][:n]:
        print(f"\n[{target.name}] Q {row['_id']}: {row['text']}")
        for doc_id in qrels[row["_id"]]:
            doc = docs[doc_id]
            body = " ".join(doc["text"].split())
            print(f"  -> {doc_id} title={doc['title']!r}: {body[:240]}")


def teacher_scores(sets: dict[str, Path], db: Path, batch: int, max_seq: int) -> dict[str, Any]:
    """nDCG@10 and recall@100 of the packaged teacher on each set, through the harness."""
    from core.settings import load_settings
    from encoders import EncoderConfig, build_encoder
    from evaluation.runner import EvalConfig, run_evaluation
    from indexer.stores import store_for

    settings = load_settings()
    config = EvalConfig(encoders=("teacher",), top_k=100, max_seq_length=max_seq, fidelity_docs=0)
    encoder = build_encoder("teacher", settings, EncoderConfig(batch, max_seq))
    store = store_for(settings, str(db))
    results: dict[str, Any] = {}
    try:
        for name, root in sets.items():
            started = time.perf_counter()
            dataset = load_set(name, root)
            report = run_evaluation(dataset, config, lambda _name: encoder, store)
            system = report.systems["teacher"]
            results[name] = {
                "docs": len(dataset.doc_ids),
                "queries": len(dataset.queries),
                "qrels": sum(len(docs) for docs in dataset.qrels.values()),
                "ndcg@10": system.metrics["ndcg@10"],
                "recall@100": system.metrics["recall@100"],
                "mrr@10": system.metrics["mrr@10"],
                "index_reused": system.efficiency.get("index_reused", False),
                "seconds": round(time.perf_counter() - started, 1),
            }
            print(f"{name}: {results[name]}", flush=True)
    finally:
        store.close()
    return {"threads": settings.threads, "sets": results}


def write_teacher_results(
    scores: dict[str, Any], batch: int, max_seq: int, shared: bool = False
) -> None:
    """``docs/results/dev_suite.json`` and ``.md`` (metrics as percentages in the table)."""
    from encoders import DEFAULT_TEACHER_MODEL

    payload = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "encoder": "teacher",
        "model": DEFAULT_TEACHER_MODEL,
        "max_seq_length": max_seq,
        "batch_size": batch,
        "threads": scores["threads"],
        "top_k": 100,
        "sets": scores["sets"],
    }
    lines = [
        f"Teacher ({DEFAULT_TEACHER_MODEL}) on the dev suite: exact search in Milvus Lite, "
        f"{max_seq} tokens, batch {batch}, {scores['threads']} threads; seconds include "
        "indexing unless the collection was reused.",
        "",
        "| set | docs | queries | qrels | nDCG@10 | recall@100 | MRR@10 | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in scores["sets"].items():
        reused = " (index reused)" if row["index_reused"] else ""
        lines.append(
            f"| {name} | {row['docs']} | {row['queries']} | {row['qrels']} | "
            f"{100 * row['ndcg@10']:.2f} | {100 * row['recall@100']:.2f} | "
            f"{100 * row['mrr@10']:.2f} | {row['seconds']}{reused} |"
        )
    write_result("dev_suite", payload, "\n".join(lines), topic="dev suite", shared=shared)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--out", default="data/dev_suite", help="where the sets go (default: data/dev_suite)")
    add("--data-dir", default="data", help="data dir; the Django sdist goes to <data dir>/demo")
    add("--sets", default=",".join(SPECS), help=f"sets to build (default: {','.join(SPECS)})")
    add("--rebuild", action="store_true", help="rebuild sets that are already built")
    add(
        "--show",
        type=int,
        default=0,
        metavar="N",
        help="print N sample queries per set with their relevant docs",
    )
    add(
        "--teacher",
        action="store_true",
        help="score the teacher (nDCG@10, recall@100) on SciFact and the built sets; "
        "writes docs/results/dev_suite.json and .md (index: <out>/eval.db)",
    )
    add("--scifact", default=str(SCIFACT), help=f"SciFact BEIR folder (default: {SCIFACT})")
    add("--batch-size", type=int, default=32, help="encoder batch size (default 32)")
    add("--max-seq-length", type=int, default=256, help="encoder max tokens (default 256)")
    add_shared_flag(parser)
    args = parser.parse_args(argv)
    unknown = set(args.sets.split(",")) - set(SPECS)
    if unknown:
        parser.error(f"unknown sets {sorted(unknown)}; known: {', '.join(SPECS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    args = parse_args(argv)
    started = time.perf_counter()
    names = [name for name in args.sets.split(",") if name]
    for name in names:
        build_set(SPECS[name], args)
        if args.show:
            show_samples(Path(args.out) / name, args.show)
    if args.teacher:
        sets = {"scifact": Path(args.scifact)} if Path(args.scifact).is_dir() else {}
        if not sets:
            logger.warning("no SciFact at %s: scoring the built sets only", args.scifact)
        sets.update({name: Path(args.out) / name for name in names})
        db = Path(args.out) / "eval.db"
        scores = teacher_scores(sets, db, args.batch_size, args.max_seq_length)
        write_teacher_results(scores, args.batch_size, args.max_seq_length, args.shared)
    print(f"wall time {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
