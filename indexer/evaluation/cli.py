"""``distilsearch eval``: BEIR retrieval evaluation of encoders, BM25 and hybrid."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from indexer.settings import Settings

logger = logging.getLogger(__name__)

DESCRIPTION = """\
Evaluate retrieval on a BEIR-format dataset (corpus.jsonl, queries.jsonl,
qrels/<split>.tsv). Each encoder's corpus is indexed into Milvus once and reused on
later runs (same corpus, max length and encoder fingerprint); queries go through the
same Retriever the UI uses. Reports nDCG@10, recall@10/100, MRR@10, MAP@100 (ranx),
student-vs-reference fidelity, paired significance, encode throughput, query latency,
index size and peak RSS, as report.json + report.md + PNG plots under --out.

Milvus: by default a Milvus Lite file of its own, <data dir>/eval/milvus.db, so an
evaluation never fights a running UI for the main file (Milvus Lite allows one process
per file). MILVUS_URI is not used here; pass --milvus-uri for a server or another file.
"""


def register(subparsers: argparse._SubParsersAction, handlers: dict[str, Any]) -> None:
    """Add the ``eval`` subcommand to the ``distilsearch`` parser."""
    p = subparsers.add_parser(
        "eval", help="evaluate retrieval on a BEIR dataset (nDCG, recall, latency, ...)",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("--dataset", required=True,
                   help="BEIR directory, or a BEIR name (scifact, nfcorpus, ...) to download "
                   "into <data dir>/beir/ where the internet is reachable")  # fmt: skip
    p.add_argument("--split", default="test", help="qrels split (default: test)")
    p.add_argument("--encoders", default="teacher",
                   help="comma-separated: teacher, student, student-int8, model id or path "
                   "(default: teacher; '' for BM25 only)")  # fmt: skip
    p.add_argument("--bm25", action="store_true", help="add the BM25 baseline (bm25s)")
    p.add_argument("--hybrid", action="store_true", help="add RRF fusion of each encoder + BM25")
    p.add_argument("--out", default=None,
                   help="report directory (default: reports/<dataset name>)")  # fmt: skip
    p.add_argument("--top-k", type=int, default=100, help="hits per query (default 100)")
    p.add_argument("--batch-size", type=int, default=32, help="encoder batch size")
    p.add_argument("--max-seq-length", type=int, default=256, help="encoder max tokens (256)")
    p.add_argument("--reference", default="teacher",
                   help="encoder the others are compared with (default teacher)")  # fmt: skip
    p.add_argument("--fidelity-docs", type=int, default=256,
                   help="docs every encoder embeds for the cosine (default 256)")  # fmt: skip
    p.add_argument("--rrf-k", type=int, default=60, help="RRF constant (default 60)")
    p.add_argument("--bm25-k1", type=float, default=1.5, help="BM25 k1 (default 1.5)")
    p.add_argument("--bm25-b", type=float, default=0.75, help="BM25 b (default 0.75)")
    p.add_argument("--milvus-uri", help="Milvus Lite file or http://host:19530 "
                   "(default: <data dir>/eval/milvus.db)")  # fmt: skip
    handlers["eval"] = run_eval


def parse_encoders(raw: str) -> tuple[str, ...]:
    """``"teacher, student"`` -> ``("teacher", "student")``."""
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Handler: resolve the dataset, check encoders, run, print and save the report."""
    from indexer.encoders import EncoderConfig, build_encoder, model_location
    from indexer.evaluation.beir import load_beir, resolve_dataset
    from indexer.evaluation.bm25 import BM25Config
    from indexer.evaluation.report import markdown_table, write_report
    from indexer.evaluation.runner import EvalConfig, run_evaluation

    started = time.perf_counter()
    encoders = parse_encoders(args.encoders)
    config = EvalConfig(
        encoders=encoders, bm25=args.bm25, hybrid=args.hybrid, top_k=args.top_k,
        max_seq_length=args.max_seq_length, reference=args.reference,
        fidelity_docs=args.fidelity_docs, rrf_k=args.rrf_k,
        bm25_config=BM25Config(k1=args.bm25_k1, b=args.bm25_b),
    )  # fmt: skip
    encoder_config = EncoderConfig(batch_size=args.batch_size, max_seq_length=args.max_seq_length)
    for name in encoders:  # fail before minutes of work: student models may not exist yet
        model_location(name, settings.models_dir)
    root = resolve_dataset(args.dataset, settings.data_dir)
    spec_name = Path(args.dataset).name if Path(args.dataset).is_dir() else args.dataset
    dataset = load_beir(root, args.split, name=spec_name)
    out_dir = Path(args.out) if args.out else Path("reports") / dataset.name

    store, db_path = None, None
    if encoders:
        from indexer.stores import open_store

        uri = args.milvus_uri or str(settings.data_dir / "eval" / "milvus.db")
        store = open_store(uri, settings.milvus_token)
        db_path = None if getattr(store, "is_server", False) else Path(uri).expanduser()
    print(f"evaluating {', '.join(encoders + (('bm25',) if args.bm25 else ()))} on "
          f"{dataset.name}/{dataset.split}: {len(dataset.doc_ids)} docs, "
          f"{len(dataset.queries)} queries")  # fmt: skip
    try:
        report = run_evaluation(
            dataset, config, lambda name: build_encoder(name, settings, encoder_config),
            store, db_path,
        )  # fmt: skip
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            close()
    paths = write_report(report, out_dir)
    print()
    print(markdown_table(report))
    print(f"saved {', '.join(str(p) for p in paths.values())}")
    print(f"wall time {time.perf_counter() - started:.1f}s")
    return 0
