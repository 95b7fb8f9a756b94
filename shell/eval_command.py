"""``distilsearch eval``: BEIR retrieval evaluation of encoders, BM25 and hybrid."""

from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from core.settings import Settings
from encoders.systems import SystemSpec, parse_system
from shell.common import Handler, Subparsers

if TYPE_CHECKING:
    from indexer.stores import Fusion

logger = logging.getLogger(__name__)

DESCRIPTION = """\
Evaluate retrieval on a BEIR-format dataset (corpus.jsonl, queries.jsonl,
qrels/<split>.tsv). Each encoder's corpus is indexed into Milvus once and reused on
later runs (same corpus, max length and encoder fingerprint); queries go through the
same Retriever the UI uses. A system student:teacher searches the student's collection
with the teacher's queries ("student docs + teacher queries"; the student must have been
distilled from that teacher). Reports nDCG@10, recall@10/100, MRR@10, MAP@100 (ranx),
student-vs-reference fidelity, paired significance, encode throughput, query latency,
index size and peak RSS, as report.json + report.md + PNG plots under --out.

BM25 two ways: --bm25 is bm25s in process (the reference: it reproduces the published
SciFact figure); --milvus-bm25 is Milvus's own BM25 (the keyword search the UI offers),
run on the first encoder's collection. With both, the report says how far they agree
(top-10 overlap, RBO, nDCG@10 difference). Hybrids two ways: --hybrid fuses each
encoder's run with bm25s here (RRF, --rrf-k); --milvus-hybrid rrf:60,weighted:0.5 runs
each encoder in the UI's hybrid mode inside Milvus once per fusion listed (systems
teacher+milvus-rrf60, teacher+milvus-weighted0.5; rrf:K with K in [1, 16383],
weighted:W with W the dense side's weight in [0, 1]). A collection built before
full-text search gets its BM25 field in place, every vector kept.

Milvus: by default a Milvus Lite file of its own, <data dir>/eval/milvus.db, so an
evaluation never fights a running UI for the main file (Milvus Lite allows one process
per file). MILVUS_URI is not used here; pass --milvus-uri for a server or another file.
"""


def register(subparsers: Subparsers, handlers: dict[str, Handler]) -> None:
    """Add the ``eval`` subcommand to the ``distilsearch`` parser."""
    p = subparsers.add_parser(
        "eval",
        help="evaluate retrieval on a BEIR dataset (nDCG, recall, latency, ...)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--dataset",
        required=True,
        help="BEIR directory, or a BEIR name (scifact, nfcorpus, ...) to download "
        "into <data dir>/beir/ where the internet is reachable",
    )
    p.add_argument("--split", default="test", help="qrels split (default: test)")
    p.add_argument(
        "--encoders",
        default="teacher",
        help="comma-separated systems: teacher, student, student-int8, model id or "
        "path, or DOCS:QUERIES for teacher-query mode: student:teacher = student "
        "documents, teacher queries (the teacher it was distilled from) "
        "(default: teacher; '' for BM25 only)",
    )
    p.add_argument("--bm25", action="store_true", help="add the BM25 baseline (bm25s)")
    p.add_argument("--hybrid", action="store_true", help="add RRF fusion of each encoder + BM25")
    p.add_argument(
        "--milvus-bm25",
        action="store_true",
        help="add Milvus's built-in BM25 (keyword mode) on the first encoder's collection",
    )
    p.add_argument(
        "--milvus-hybrid",
        metavar="FUSIONS",
        default=None,
        help="add each encoder's hybrid search inside Milvus once per fusion: "
        "comma-separated rrf:K and weighted:W (dense weight), e.g. "
        "rrf:60,weighted:0.5",
    )
    add_run_arguments(p)
    handlers["eval"] = run_eval


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    """Where the report goes, how encoders run, and the comparison's settings."""
    p.add_argument("--out", default=None, help="report directory (default: reports/<dataset name>)")
    p.add_argument("--top-k", type=int, default=100, help="hits per query (default 100)")
    p.add_argument("--batch-size", type=int, default=32, help="encoder batch size")
    p.add_argument("--max-seq-length", type=int, default=256, help="encoder max tokens (256)")
    p.add_argument(
        "--reference",
        default="teacher",
        help="system the others are compared with (default teacher)",
    )
    p.add_argument(
        "--fidelity-docs",
        type=int,
        default=256,
        help="docs every encoder embeds for the cosine (default 256)",
    )
    p.add_argument("--rrf-k", type=int, default=60, help="RRF constant (default 60)")
    p.add_argument("--bm25-k1", type=float, default=1.5, help="BM25 k1 (default 1.5)")
    p.add_argument("--bm25-b", type=float, default=0.75, help="BM25 b (default 0.75)")
    p.add_argument(
        "--milvus-uri",
        help="Milvus Lite file or http://host:19530 (default: <data dir>/eval/milvus.db)",
    )


def parse_encoders(raw: str) -> tuple[str, ...]:
    """``"teacher, student"`` -> ``("teacher", "student")``."""
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def parse_systems(raw: str) -> tuple[SystemSpec, ...]:
    """``"teacher, student:teacher"`` -> the systems; ``ValueError`` on a bad spec."""
    return tuple(parse_system(spec) for spec in parse_encoders(raw))


_RRF_K = re.compile(r"[0-9]+")
_WEIGHT = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
FUSION_FORMS = "rrf:K (K an integer in [1, 16383]) or weighted:W (W in [0, 1])"


def parse_fusions(raw: str) -> tuple[Fusion, ...]:
    """``"rrf:60, weighted:0.5"`` -> the fusions, in order; ``ValueError`` naming the
    bad item on anything else (an empty item, another kind, a value that is not a plain
    number in range, the same fusion twice)."""
    from indexer.stores import Fusion

    items = [item.strip() for item in raw.split(",")]
    if not raw.strip() or any(not item for item in items):
        raise ValueError(f"--milvus-hybrid {raw!r}: give comma-separated {FUSION_FORMS}")
    fusions: list[Fusion] = []
    for item in items:
        kind, _, value = (part.strip() for part in item.partition(":"))
        pattern = {"rrf": _RRF_K, "weighted": _WEIGHT}.get(kind)
        if pattern is None or not pattern.fullmatch(value):
            raise ValueError(f"--milvus-hybrid: bad fusion {item!r}: use {FUSION_FORMS}")
        try:
            fusion = (
                Fusion("rrf", rrf_k=int(value))
                if kind == "rrf"
                else Fusion("weighted", dense_weight=float(value))
            )
        except ValueError as exc:
            raise ValueError(f"--milvus-hybrid: bad fusion {item!r}: {exc}") from exc
        if fusion in fusions:
            raise ValueError(f"--milvus-hybrid: fusion {item!r} is listed twice")
        fusions.append(fusion)
    return tuple(fusions)


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Handler: build the request from the flags, run the evaluation use case, print."""
    from encoders import EncoderConfig
    from evaluation.bm25 import BM25Config
    from evaluation.config import MILVUS_BM25_NAME, milvus_hybrid_name
    from evaluation.report import markdown_table
    from evaluation.runner import EvalConfig
    from usecases.evaluating import EvalRequest, evaluate, load_dataset

    systems = parse_systems(args.encoders)
    fusions = () if args.milvus_hybrid is None else parse_fusions(args.milvus_hybrid)
    config = EvalConfig(
        encoders=tuple(str(spec) for spec in systems),
        bm25=args.bm25,
        hybrid=args.hybrid,
        milvus_bm25=args.milvus_bm25,
        milvus_hybrid=fusions,
        top_k=args.top_k,
        max_seq_length=args.max_seq_length,
        reference=args.reference,
        fidelity_docs=args.fidelity_docs,
        rrf_k=args.rrf_k,
        bm25_config=BM25Config(k1=args.bm25_k1, b=args.bm25_b),
    )
    request = EvalRequest(
        dataset=args.dataset,
        config=config,
        split=args.split,
        encoder_config=EncoderConfig(
            batch_size=args.batch_size, max_seq_length=args.max_seq_length
        ),
        out_dir=Path(args.out) if args.out else None,
        milvus_uri=args.milvus_uri,
    )
    names = [spec.label for spec in systems] + (["bm25"] if args.bm25 else [])
    names += [MILVUS_BM25_NAME] if args.milvus_bm25 else []
    names += [milvus_hybrid_name(s.label, f) for s in systems for f in fusions]
    data = load_dataset(settings, request)
    print(
        f"evaluating {', '.join(names)} on {data.name}/{data.split}: "
        f"{len(data.doc_ids)} docs, {len(data.queries)} queries"
    )
    outcome = evaluate(settings, request, data)
    print()
    print(markdown_table(outcome.report))
    print(f"saved {', '.join(str(p) for p in outcome.files.values())}")
    print(f"wall time {outcome.seconds:.1f}s")
    return 0
