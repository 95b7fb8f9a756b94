"""``distilsearch serve`` and ``milvus-server``: long-running children that die with us."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path

from core.settings import Settings
from indexer.stores import die_with_parent, server_command
from shell.common import EXIT_OK, EXIT_USAGE, Handler, Subparsers, add_store_options

#: The Streamlit entry script of the UI package.
APP_SCRIPT = Path(__file__).resolve().parent.parent / "search_app" / "app.py"


def register(sub: Subparsers, handlers: dict[str, Handler]) -> None:
    """Add ``serve`` and ``milvus-server``."""
    p = sub.add_parser(
        "serve",
        help="start the Streamlit UI",
        description="Serve the UI. It is read-only unless --allow-writes (or "
        "DISTILSEARCH_UI_WRITES=1 with DISTILSEARCH_UI_SECRET) turns on uploads, deletes and "
        "evaluation runs, each behind a write key the page asks for.",
    )
    add_server_address(p, 8501)
    add_write_option(p)
    add_store_options(p)
    handlers["serve"] = run_serve

    p = sub.add_parser(
        "milvus-server",
        help="share the Milvus Lite file between processes",
        description="Serve the Milvus Lite file over gRPC so the UI and the CLI can use it at "
        "once: run this, then set MILVUS_URI=http://HOST:PORT for both.",
    )
    add_server_address(p, 19530)
    p.add_argument("--milvus-uri", help="the Milvus Lite file to serve (default <data>/milvus.db)")
    handlers["milvus-server"] = run_milvus_server


def add_server_address(parser: argparse.ArgumentParser, port: int) -> None:
    """``--host`` (default loopback) and ``--port``."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)


def add_write_option(parser: argparse.ArgumentParser) -> None:
    """``--allow-writes``: uploads, deletes and evaluation runs behind a write key."""
    parser.add_argument(
        "--allow-writes",
        action="store_true",
        help="let the UI upload, delete and run evaluations for whoever enters the write key "
        "($DISTILSEARCH_UI_SECRET, or a random key printed here); default read-only",
    )


def streamlit_command(host: str, port: int, *extra: str) -> list[str]:
    """The command line that serves the UI on ``host:port`` (``extra``: more options)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_SCRIPT),
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
    try:
        return subprocess.call(command, env=env, preexec_fn=die_with_parent)
    except KeyboardInterrupt:
        return EXIT_OK


def serve_ui(settings: Settings, host: str, port: int, allow_writes: bool = False) -> int:
    """Serve the UI over ``settings``' index until stopped."""
    env = dict(
        os.environ,
        DISTILSEARCH_COLLECTION=settings.collection,
        DISTILSEARCH_ENCODER=settings.encoder,
        MILVUS_URI=settings.milvus_uri,
    )
    if allow_writes:
        key = settings.ui_secret or secrets.token_urlsafe(18)
        env.update(DISTILSEARCH_UI_WRITES="1", DISTILSEARCH_UI_SECRET=key)
        shown = "the key in DISTILSEARCH_UI_SECRET" if settings.ui_secret else key
        print(f"writes are on behind a key; the Index page asks for it: {shown}")
    elif not settings.ui_writes:
        print("read-only UI (--allow-writes turns on uploads, deletes and evaluation runs)")
    print(f"serving on http://{host}:{port} (Ctrl-C stops)")
    return run_foreground(streamlit_command(host, port), env)


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Handler for ``distilsearch serve``."""
    return serve_ui(settings, args.host, args.port, args.allow_writes)


def run_milvus_server(args: argparse.Namespace, settings: Settings) -> int:
    """Handler for ``distilsearch milvus-server``."""
    if settings.lite_path is None:
        print(f"MILVUS_URI is already a server ({settings.milvus_uri})", file=sys.stderr)
        return EXIT_USAGE
    command = server_command(settings.lite_path, args.host, args.port)
    print(f"serving {settings.milvus_uri}; connect with MILVUS_URI=http://{args.host}:{args.port}")
    return run_foreground(command)
