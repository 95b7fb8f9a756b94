"""A bounded load test: concurrent clients against SearchService and the Streamlit server.

1. Builds a real index (Django docs subset, packaged teacher, Milvus Lite) in a temp dir.
2. ``--clients`` threads call ``SearchService.search`` for ``--seconds`` (encode + search
   + fetch), with queries drawn from a fixed list.
3. Serves the Streamlit app on 127.0.0.1 and runs the same number of HTTP clients
   (page + health endpoint) for ``--seconds``; with Debian chromium present, a few
   real browser sessions search through the page at the same time.
Reports p50/p95/p99, throughput and every error; exits non-zero on any error. Traffic
goes to 127.0.0.1 only and every loop stops at its deadline. Writes
``docs/results/load_test.json`` and ``.md``.

    .venv/bin/python benchmarks/load_test.py [--clients 20] [--seconds 60] [--files 40]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.datasets import django_files
from harness.report import add_shared_flag, write_result
from harness.timing import latency_ms

from core.settings import load_settings
from encoders import build_encoder
from indexer.pipeline import IndexOptions, index_files
from indexer.stores.lite_server import free_port, stop_process, wait_for_port
from shell.serve_command import streamlit_command
from usecases.search import SearchService

QUERIES = [
    "how do I write a custom template filter",
    "configure the database connection",
    "run migrations after changing a model",
    "serve static files in production",
    "cache a view for fifteen minutes",
    "send email from a view",
    "add a field to a form",
    "protect a view so only logged in users see it",
    "paginate a queryset",
    "translate strings in templates",
    "write a management command",
    "test a view",
    "use signals when a model is saved",
    "upload files with a form",
    "set the time zone",
]
CHROMIUM = Path("/usr/bin/chromium")


def hammer(call: Callable[[int], None], clients: int, seconds: float) -> dict:
    """Run ``call`` from ``clients`` threads until the deadline; latency stats in ms."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        rng = random.Random(index)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                call(rng.randrange(1 << 30))
            except Exception as exc:  # every error is counted and reported
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "throughput_per_s": round(len(latencies) / elapsed, 2),
        **latency_ms(latencies or [0.0], (50, 95, 99), digits=1),
    }


def build_index(data_dir: Path, files: int) -> int:
    """Index ``files`` seeded Django docs files with the teacher into ``data_dir``'s store;
    the chunks written."""
    from indexer.stores.milvus import MilvusStore

    docs = django_files(files)
    settings = load_settings({"DISTILSEARCH_DATA_DIR": str(data_dir)})
    store = MilvusStore(settings.milvus_uri)
    encoder = build_encoder("teacher", settings)
    report = index_files(docs, [encoder], store, settings.collection, IndexOptions())
    store.close()
    return report.chunks_written


def load_service(data_dir: Path, clients: int, seconds: float) -> dict:
    settings = load_settings({"DISTILSEARCH_DATA_DIR": str(data_dir)})
    service = SearchService.from_settings(settings)
    service.search(QUERIES[0], encoder="teacher", top_k=10)  # load the model once

    def call(seed: int) -> None:
        result = service.search(QUERIES[seed % len(QUERIES)], encoder="teacher", top_k=10)
        if not result.hits:
            raise RuntimeError("no hits")

    try:
        return hammer(call, clients, seconds)
    finally:
        service.close()


def load_streamlit(data_dir: Path, clients: int, seconds: float) -> dict:
    port = free_port()
    env = dict(os.environ, DISTILSEARCH_DATA_DIR=str(data_dir), DISTILSEARCH_THREADS="2")
    server = subprocess.Popen(
        streamlit_command("127.0.0.1", port, "--server.fileWatcherType", "none"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port("127.0.0.1", port, timeout_s=120)
        paths = ["/", "/_stcore/health"]

        def call(seed: int) -> None:
            with urllib.request.urlopen(base + paths[seed % 2], timeout=30) as response:
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}")
                response.read()

        browser_result: dict = {}
        browser = None
        if CHROMIUM.exists():
            browser = threading.Thread(
                target=lambda: browser_result.update(browser_sessions(base, 3, seconds))
            )
            browser.start()
        http = hammer(call, clients, seconds)
        if browser is not None:
            browser.join()
        return {"http": http, "browser": browser_result or {"skipped": "no /usr/bin/chromium"}}
    finally:
        stop_process(server, timeout_s=30)


def browser_sessions(base: str, sessions: int, seconds: float) -> dict:
    """``sessions`` Chromium pages each searching through the UI until the deadline."""
    from playwright.sync_api import sync_playwright

    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        pages = [browser.new_page() for _ in range(sessions)]
        for page in pages:
            page.goto(base, timeout=120_000)
            page.get_by_label("Query").wait_for(timeout=120_000)
        turn = 0
        while time.monotonic() < deadline:
            page = pages[turn % sessions]
            query = QUERIES[turn % len(QUERIES)]
            turn += 1
            started = time.perf_counter()
            try:
                page.get_by_label("Query").fill(query)
                page.get_by_role("button", name="Search").click()
                # this query's own result (the page still shows the previous one meanwhile)
                page.get_by_text(query, exact=True).first.wait_for(timeout=60_000)
                page.get_by_text("ms search").first.wait_for(timeout=60_000)
                latencies.append((time.perf_counter() - started) * 1000)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
        browser.close()
    return {
        "sessions": sessions,
        "searches": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:3],
        **latency_ms(latencies or [0.0], (50, 95), digits=1),
    }


def table(result: dict[str, Any]) -> str:
    """The three loads side by side: requests, errors, throughput, latency percentiles."""
    service, streamlit = result["search_service"], result["streamlit"]
    rows = [("SearchService.search", service), ("Streamlit HTTP", streamlit["http"])]
    lines = [
        f"Load test on {result['chunks']} chunks (Django docs, teacher, Milvus Lite):",
        "",
        "| load | clients | requests | errors | per s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, row in rows:
        lines.append(
            f"| {label} | {row['clients']} | {row['requests']} | {row['errors']} | "
            f"{row['throughput_per_s']} | {row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} |"
        )
    browser = streamlit["browser"]
    if "skipped" in browser:
        lines += ["", f"Browser sessions: skipped ({browser['skipped']})."]
    else:
        lines.append(
            f"| browser searches | {browser['sessions']} | {browser['searches']} | "
            f"{browser['errors']} | | {browser['p50_ms']} | {browser['p95_ms']} | |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds per load (60)")
    parser.add_argument("--files", type=int, default=40, help="Django docs files to index (40)")
    add_shared_flag(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        chunks = build_index(data_dir, args.files)
        service = load_service(data_dir, args.clients, args.seconds)
        print("SearchService:", json.dumps(service), flush=True)
        streamlit = load_streamlit(data_dir, args.clients, args.seconds)
        print("Streamlit:", json.dumps(streamlit), flush=True)
    result = {
        "chunks": chunks,
        "search_service": service,
        "streamlit": streamlit,
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    write_result("load_test", result, table(result), topic="load test", shared=args.shared)
    errors = service["errors"] + streamlit["http"]["errors"]
    errors += streamlit["browser"].get("errors", 0)
    print(f"total errors: {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
