"""The ``distilsearch`` command: index, search, demo, serve (and eval, distill)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from indexer.chunking import DEFAULT_OVERLAP_PCT, ChunkingConfig
from indexer.settings import Settings, load_settings

logger = logging.getLogger("distilsearch")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SOME_FILES_FAILED = 3
EXIT_STORE_UNAVAILABLE = 4
#: Training minutes of the demo's student: 5 minutes kept 96.6% of the teacher's SciFact
#: nDCG@10, 20 minutes 99.1% (docs/results/distill_curve_spread20.md).
DEMO_DISTILL_MINUTES = 5.0

Handler = Callable[[argparse.Namespace, Settings], int]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--encoder",
        help="teacher | student | student-int8 | model id or path "
        "(default: $DISTILSEARCH_ENCODER or teacher)",
    )
    parser.add_argument("--collection", help="base collection name (default: docs)")
    parser.add_argument(
        "--milvus-uri",
        help="Milvus Lite file or http://host:19530 (default: $MILVUS_URI or <data dir>/milvus.db)",
    )


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings().with_overrides(
        encoder=getattr(args, "encoder", None),
        collection=getattr(args, "collection", None),
        milvus_uri=getattr(args, "milvus_uri", None),
    )


def _cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from indexer.chunking import ChunkingConfig
    from indexer.encoders import build_encoder
    from indexer.pipeline import IndexOptions, index_files
    from indexer.sniff import Limits
    from indexer.stores import open_store
    from indexer.walk import iter_files

    roots = [Path(p) for p in args.paths]
    files = list(iter_files(roots, args.include, args.exclude))
    if not files:
        print("no files found under the given paths", file=sys.stderr)
        return EXIT_USAGE
    options = IndexOptions(
        chunking=ChunkingConfig(
            strategy=args.chunking,
            max_characters=args.max_chars,
            new_after_n_chars=max(1, int(args.max_chars * 0.8)),
            combine_text_under_n_chars=min(args.max_chars, args.combine_under),
            overlap=args.overlap,
        ),
        limits=Limits(max_file_bytes=int(args.max_file_mb * 2**20)),
        workers=args.workers,
        timeout_s=args.timeout,
        batch_chunks=args.batch_chunks,
        prune_roots=tuple(r for r in roots if r.is_dir()) if args.prune else (),
    )
    names = [n.strip() for n in (args.encoders or settings.encoder).split(",") if n.strip()]
    encoders = [build_encoder(name, settings) for name in names]
    store = open_store(settings.milvus_uri, settings.milvus_token)
    with tqdm(total=len(files), unit="file", desc="indexing", dynamic_ncols=True) as bar:
        started = time.perf_counter()

        def progress(_result: object, chunks_written: int) -> None:
            bar.update()
            rate = chunks_written / max(time.perf_counter() - started, 1e-9)
            bar.set_postfix(chunks=chunks_written, chunks_per_s=f"{rate:.1f}", refresh=False)

        report = index_files(files, encoders, store, settings.collection, options, progress)
    report_path = Path(args.report or settings.data_dir / "reports" / "last-index.json")
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(report.to_json())
    print(report.table())
    print(report.summary())
    for name in [] if report.error else report.collections:
        print(f"collection {name}: {store.count(name)} chunks at {settings.milvus_uri}")
    print(f"report: {report_path}")
    if report.error:
        print(f"distilsearch index: stopped early: {report.error}", file=sys.stderr)
        return EXIT_STORE_UNAVAILABLE
    return EXIT_OK if report.ok else EXIT_SOME_FILES_FAILED


def _cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from search_app.service import SearchService

    service = SearchService.from_settings(settings)
    filters = {k: v for k, v in (("source", args.source), ("file_type", args.file_type)) if v}
    result = service.search(
        args.query, encoder=settings.encoder, top_k=args.top_k, filters=filters or None
    )
    if args.json:
        print(json.dumps([h.__dict__ for h in result.hits], indent=2))
        return EXIT_OK
    for rank, hit in enumerate(result.hits, 1):
        where = f"{hit.source}" + (f" § {hit.section}" if hit.section else "")
        print(f"{rank:>2}. {hit.score:.3f}  {where}")
        print("    " + " ".join(hit.text.split())[:200])
    print(f"({result.encode_ms:.0f} ms encode + {result.search_ms:.0f} ms search)")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Django docs -> distilled student (bounded, reused) -> index with student and teacher."""
    from indexer.demo_corpus import fetch_django_docs

    docs = fetch_django_docs(settings.data_dir / "demo")
    parser, handlers = build_parser()
    encoders = "teacher"
    if args.distill_minutes > 0 and "distill" in handlers:
        student = settings.models_dir / "student"
        distill_args = parser.parse_args(
            [
                "distill",
                "--teacher",
                "all-MiniLM-L6-v2",
                "--data",
                str(docs),
                "--out",
                str(student),
                "--max-minutes",
                str(args.distill_minutes),
                "--reuse",
            ]
        )
        status = handlers["distill"](distill_args, settings)
        if status != EXIT_OK:
            return status
        encoders = "teacher,student"
    index_args = parser.parse_args(
        ["index", str(docs), "--include", "*.txt", "--encoders", encoders]
    )
    status = _cmd_index(index_args, settings)
    if status not in (EXIT_OK, EXIT_SOME_FILES_FAILED) or args.no_serve:
        return status
    return _cmd_serve(args, settings)


def streamlit_command(host: str, port: int, *extra: str) -> list[str]:
    """The command line that serves the UI on ``host:port`` (``extra``: more options)."""
    app = Path(__file__).resolve().parent.parent / "search_app" / "app.py"
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        *extra,
    ]


def run_foreground(command: list[str], env: dict[str, str] | None = None) -> int:
    """Run a server ``command`` until it exits or Ctrl-C; it also stops if this process dies.

    Without the parent-death signal, a ``distilsearch serve`` stopped by SIGTERM or SIGKILL
    left Streamlit (or the Lite server, with its file lock) running on its own.
    """
    import subprocess

    from indexer.lite_server import die_with_parent

    try:
        return subprocess.call(command, env=env, preexec_fn=die_with_parent)
    except KeyboardInterrupt:
        return EXIT_OK


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import os

    command = streamlit_command(args.host, args.port)
    env = dict(
        os.environ,
        DISTILSEARCH_COLLECTION=settings.collection,
        DISTILSEARCH_ENCODER=settings.encoder,
        MILVUS_URI=settings.milvus_uri,
    )
    print(f"serving on http://{args.host}:{args.port} (Ctrl-C stops)")
    return run_foreground(command, env)


def _cmd_milvus_server(args: argparse.Namespace, settings: Settings) -> int:
    from indexer.lite_server import server_command

    if settings.is_server:
        print(f"MILVUS_URI is already a server ({settings.milvus_uri})", file=sys.stderr)
        return EXIT_USAGE
    command = server_command(Path(settings.milvus_uri), args.host, args.port)
    print(f"serving {settings.milvus_uri}; connect with MILVUS_URI=http://{args.host}:{args.port}")
    return run_foreground(command)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    parser = argparse.ArgumentParser(
        prog="distilsearch",
        description="Semantic search with distilled encoders: index documents into Milvus, "
        "search them, compare a distilled student with its BERT teacher, evaluate retrieval.",
        epilog="Environment: DISTILSEARCH_DATA_DIR, DISTILSEARCH_MODELS_DIR, MILVUS_URI, "
        "MILVUS_TOKEN, DISTILSEARCH_COLLECTION, DISTILSEARCH_ENCODER, DISTILSEARCH_THREADS.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    handlers: dict[str, Handler] = {}

    p = sub.add_parser(
        "index",
        help="chunk, encode and store files or folders",
        description="Index files into Milvus. Types: txt rst md html xml json csv eml pdf "
        "docx pptx epub, detected by content and name; others are skipped with a reason. "
        "Re-running skips unchanged files and replaces the chunks of changed ones; a file "
        "that fails keeps its previous chunks. Exit code 0: all files fine; 3: some failed; "
        "4: Milvus became unreachable (the report says what was written).",
    )
    p.add_argument("paths", nargs="+", help="files or directories")
    p.add_argument(
        "--encoders",
        help="comma-separated encoders indexed in one pass, e.g. student,teacher "
        "(default: --encoder)",
    )
    p.add_argument("--include", action="append", default=[], help="glob to keep (repeatable)")
    p.add_argument("--exclude", action="append", default=[], help="glob to drop (repeatable)")
    p.add_argument(
        "--prune",
        action="store_true",
        help="delete chunks of files that no longer exist under the given folders",
    )
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
        "--workers",
        type=int,
        default=1,
        help="partitioning processes (default 1; 0 = in this process, no timeout)",
    )
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per file (default 120)")
    p.add_argument(
        "--batch-chunks", type=int, default=256, help="chunks encoded per batch (default 256)"
    )
    p.add_argument(
        "--max-file-mb", type=float, default=100.0, help="larger files are refused (default 100)"
    )
    p.add_argument(
        "--report", help="per-file JSON report (default <data dir>/reports/last-index.json)"
    )
    _common(p)
    handlers["index"] = _cmd_index

    p = sub.add_parser("search", help="search an index from the terminal")
    p.add_argument("query")
    p.add_argument("-k", "--top-k", type=int, default=5, help="how many hits (default 5)")
    p.add_argument("--source", help="only chunks from this source path")
    p.add_argument("--file-type", help="only chunks of this file type (txt, md, html, ...)")
    p.add_argument("--json", action="store_true", help="print hits as JSON")
    _common(p)
    handlers["search"] = _cmd_search

    for name, help_text in (
        ("demo", "fetch the Django docs, index them, serve the UI"),
        ("serve", "start the Streamlit UI"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8501)
        if name == "demo":
            p.add_argument("--no-serve", action="store_true", help="index only")
            p.add_argument(
                "--distill-minutes",
                type=float,
                default=DEMO_DISTILL_MINUTES,
                help="distil a student on the demo corpus within this many minutes of "
                "training and index with student and teacher (default %(default)s; an "
                "existing student in the models dir is reused; 0: teacher only)",
            )
        _common(p)
    handlers["demo"], handlers["serve"] = _cmd_demo, _cmd_serve

    p = sub.add_parser(
        "milvus-server",
        help="share the Milvus Lite file between processes",
        description="Serve the Milvus Lite file over gRPC so the UI and the CLI "
        "can use it at once: run this, then set MILVUS_URI=http://HOST:PORT "
        "for both.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=19530)
    p.add_argument("--milvus-uri", help="the Milvus Lite file to serve (default <data>/milvus.db)")
    handlers["milvus-server"] = _cmd_milvus_server

    for register in _plugins():
        register(sub, handlers)
    return parser, handlers


def _plugins() -> list[Callable[[argparse._SubParsersAction, dict[str, Handler]], None]]:
    """Subcommands defined next to the code they drive (eval, distill)."""
    registers = []
    for module_name in ("indexer.evaluation.cli", "distill.cli"):
        try:
            module = __import__(module_name, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if not exc.name or not module_name.startswith(exc.name):
                raise
            continue
        registers.append(module.register)
    return registers


def main(argv: Sequence[str] | None = None) -> int:
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = _settings(args)
        return handlers[args.command](args, settings)
    except (ValueError, FileNotFoundError, KeyError, RuntimeError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"distilsearch {args.command}: error: {message}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
