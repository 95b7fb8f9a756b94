"""``distilsearch index``: parse the flags, run :func:`usecases.indexing.index_paths`, print.

``--rebuild`` drops each target collection first, then indexes the paths into it anew.
An existing collection built before full text gets the BM25 field keyword and hybrid
search need in place first, keeping every chunk and vector (``distilsearch upgrade``
does the same for every collection without indexing).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.settings import Settings
from indexer.chunking import DEFAULT_OVERLAP_PCT, ChunkingConfig
from indexer.failure_ledger import RETRY_HELP
from indexer.pipeline import IndexOptions
from indexer.sniff import Limits
from shell.common import (
    EXIT_OK,
    EXIT_SOME_FILES_FAILED,
    EXIT_STORE_UNAVAILABLE,
    EXIT_USAGE,
    STOP_EXIT_CODES,
    Handler,
    Subparsers,
    add_store_options,
)
from shell.index_ray import add_ray_options, ray_options_from_args
from usecases.indexing import IndexOutcome, IndexRequest, NothingToIndexError

DESCRIPTION = (
    "Index files into Milvus. Types: txt rst md html xml json csv eml pdf docx pptx epub, "
    "detected by content and name; others are skipped with a reason. Re-running skips "
    "unchanged files and replaces the chunks of changed ones; a file that fails keeps its "
    "previous chunks. Exit code 0: all files fine; 3: some failed; 4: Milvus became "
    "unreachable; 5: the store refused a write (disk full: the message names the data "
    "folder); 6: Ray did not start. The report says what was written."
)
REBUILD_HELP = (
    "drop each target collection (one per --encoder/--encoders) and index PATHS into it "
    "anew (not needed for the full-text field: older collections get it in place, "
    "keeping every chunk). Only files under the given PATHS come back: chunks indexed from "
    "other folders, and files uploaded in the UI (written under <data dir>/uploads and "
    "deleted once indexed), are gone until indexed or uploaded again. No confirmation "
    "is asked."
)
CACHE_HELP = (
    "encode every text afresh: do not read or write the embedding cache. By default "
    "vectors are cached by (model weight fingerprint, sha256 of the text) in "
    "<data dir>/cache/embeddings.sqlite (size bound "
    "DISTILSEARCH_EMBEDDING_CACHE_MB, default 1024, 0 = off), so repeated passages, "
    "re-chunked files and the rerun after a crash or a --file-budget stop are not "
    "encoded again; a different model never gets another's vectors."
)


def register(sub: Subparsers, handlers: dict[str, Handler]) -> None:
    """Add the ``index`` subcommand."""
    p = sub.add_parser(
        "index", help="chunk, encode and store files or folders", description=DESCRIPTION
    )
    p.add_argument("paths", nargs="+", help="files or directories")
    p.add_argument(
        "--encoders",
        help="comma-separated encoders indexed in one pass, e.g. student,teacher "
        "(default: --encoder)",
    )
    add_selection_arguments(p)
    add_chunking_arguments(p)
    add_limit_arguments(p)
    add_ray_options(p)
    add_store_options(p)
    handlers["index"] = run_index


def add_selection_arguments(p: argparse.ArgumentParser) -> None:
    """Which files: globs, links, pruning, rebuilding."""
    p.add_argument("--include", action="append", default=[], help="glob to keep (repeatable)")
    p.add_argument("--exclude", action="append", default=[], help="glob to drop (repeatable)")
    p.add_argument(
        "--follow-links",
        action="store_true",
        help="also read files and folders that symbolic links reach outside the named "
        "paths (skipped by default)",
    )
    p.add_argument(
        "--prune",
        action="store_true",
        help="delete chunks of files that no longer exist under the given folders",
    )
    p.add_argument("--rebuild", action="store_true", help=REBUILD_HELP)
    p.add_argument(
        "--report", help="per-file JSON report (default <data dir>/reports/last-index.json)"
    )


def add_chunking_arguments(p: argparse.ArgumentParser) -> None:
    """How files become chunks."""
    chunking = ChunkingConfig()
    p.add_argument("--chunking", choices=["by_title", "basic"], default=chunking.strategy)
    p.add_argument(
        "--max-chars",
        type=int,
        default=chunking.max_characters,
        help="chunk size in characters (default %(default)s)",
    )
    p.add_argument(
        "--combine-under",
        type=int,
        default=chunking.combine_text_under_n_chars,
        help="merge sections shorter than this (default %(default)s)",
    )
    p.add_argument(
        "--overlap",
        type=int,
        help="characters repeated between consecutive pieces of a long section "
        f"(default {DEFAULT_OVERLAP_PCT}%% of --max-chars: "
        f"{chunking.overlap} at {chunking.max_characters})",
    )
    p.add_argument(
        "--read-rst",
        action="store_true",
        help="read reStructuredText (.rst, and .txt files that read as reST) as reST: roles "
        "and directives become their text (see docs/results/README.md, rST cleaning)",
    )


def add_limit_arguments(p: argparse.ArgumentParser) -> None:
    """Workers, budgets, size limits, the embedding cache."""
    budget = IndexOptions()
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="partitioning processes (default 1; 0 = in this process, no timeout)",
    )
    p.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to partition one file (default 120)"
    )
    p.add_argument(
        "--batch-chunks", type=int, default=256, help="chunks encoded per batch (default 256)"
    )
    p.add_argument(
        "--max-file-mb", type=float, default=100.0, help="larger files are refused (default 100)"
    )
    p.add_argument(
        "--file-budget",
        type=float,
        default=budget.file_budget_s,
        help="seconds one file may take, partitioning (--timeout) and encoding together "
        "(default %(default)s); over it the file fails with the reason and keeps its "
        "earlier chunks",
    )
    p.add_argument(
        "--max-file-chunks",
        type=int,
        default=budget.max_file_chunks,
        help="a file cut into more chunks fails with the reason (default %(default)s)",
    )
    p.add_argument("--no-embedding-cache", action="store_true", help=CACHE_HELP)
    p.add_argument("--retry-failed", action="store_true", help=RETRY_HELP)


def options_from_args(
    args: argparse.Namespace, roots: list[Path], settings: Settings | None = None
) -> IndexOptions:
    """The pipeline's options from the command line (the embedding cache from ``settings``)."""
    cache = None if settings is None or args.no_embedding_cache else settings.embedding_cache
    return IndexOptions(
        chunking=ChunkingConfig(
            strategy=args.chunking,
            max_characters=args.max_chars,
            new_after_n_chars=max(1, int(args.max_chars * 0.8)),
            combine_text_under_n_chars=min(args.max_chars, args.combine_under),
            overlap=args.overlap,
            read_rst=args.read_rst,
        ),
        limits=Limits(max_file_bytes=int(args.max_file_mb * 2**20)),
        workers=args.workers,
        timeout_s=args.timeout,
        batch_chunks=args.batch_chunks,
        prune_roots=tuple(r for r in roots if r.is_dir()) if args.prune else (),
        file_budget_s=args.file_budget,
        max_file_chunks=args.max_file_chunks,
        embedding_cache=cache,
        embedding_cache_mb=settings.embedding_cache_mb if cache else 1024.0,
        failure_ledger=settings.failure_ledger if settings else None,
        retry_failed=args.retry_failed,
    )


def run_index(args: argparse.Namespace, settings: Settings) -> int:
    """Handler for ``distilsearch index``."""
    roots = [Path(p) for p in args.paths]
    chosen = args.encoders or (settings.encoder if args.encoder else default_encoder(settings))
    names = [n.strip() for n in chosen.split(",") if n.strip()]
    request = IndexRequest(
        paths=tuple(roots),
        encoders=tuple(names),
        options=options_from_args(args, roots, settings),
        include=tuple(args.include),
        exclude=tuple(args.exclude),
        follow_links=args.follow_links,
        rebuild=args.rebuild,
        ray=ray_options_from_args(args),
        report_path=Path(args.report) if args.report else None,
    )
    return index_and_print(settings, request)


def default_encoder(settings: Settings) -> str:
    """``DISTILSEARCH_ENCODER`` when set; else the encoder ``distill`` recommended on the
    user's documents (said on stderr); else the teacher."""
    from usecases.frontier import recommended_encoder

    best = None if settings.encoder != "teacher" else recommended_encoder(settings)
    if best is None:
        return settings.encoder
    print(
        f"distilsearch index: indexing with {best}, the encoder distill recommended on your "
        "documents (--encoder teacher to choose another)",
        file=sys.stderr,
    )
    return best


def index_and_print(settings: Settings, request: IndexRequest) -> int:
    """Run the indexing use case under a progress bar; print the report; the exit code."""
    from shell.index_progress import BarEvents
    from usecases.indexing import index_paths

    events = BarEvents()
    try:
        outcome = index_paths(settings, request, events)
    except NothingToIndexError as exc:
        print(f"distilsearch index: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        events.close()
    return print_outcome(outcome)


def print_outcome(outcome: IndexOutcome) -> int:
    """The report's table and summary, the collections, and the exit code it means."""
    report = outcome.report
    print(report.table())
    print(report.summary())
    for name, count in outcome.counts.items():
        print(f"collection {name}: {count} chunks at {outcome.location}")
    saved = outcome.report_path or "not written (no space for it; the table above is all of it)"
    print(f"report: {saved}")
    if report.error:
        print(f"distilsearch index: stopped early: {report.error}", file=sys.stderr)
        return STOP_EXIT_CODES.get(report.stopped_by, EXIT_STORE_UNAVAILABLE)
    return EXIT_OK if report.ok else EXIT_SOME_FILES_FAILED
