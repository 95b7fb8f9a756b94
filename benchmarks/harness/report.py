"""Where figures go: ``docs/results/NAME.json`` and a markdown table beside it, each JSON
stamped with the command, the date and the machine (``docs/results/README.md`` is built
from these stamps by ``benchmarks/results_page.py``)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.datasets import REPO

RESULTS = REPO / "docs" / "results"


def machine() -> dict[str, Any]:
    """The CPU model, its cores, and the library versions figures depend on."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import torch

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
    }


def stamp(topic: str, shared: bool, command: list[str] | None = None) -> dict[str, Any]:
    """What ``meta`` says about a result: topic, command, UTC date, machine, shared or not."""
    argv = command if command is not None else sys.argv
    script = Path(argv[0]).resolve()
    shown = script.relative_to(REPO) if script.is_relative_to(REPO) else script
    return {
        "topic": topic,
        "command": " ".join(["python", str(shown), *argv[1:]]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "machine_shared": shared,
    }


def add_shared_flag(parser: argparse.ArgumentParser) -> None:
    """``--shared``: say in the stamp that other work ran on the machine meanwhile."""
    parser.add_argument(
        "--shared",
        action="store_true",
        help="other work shared the machine during the run (recorded in the JSON's meta)",
    )


def write_result(
    name: str,
    payload: dict[str, Any],
    table: str,
    *,
    topic: str,
    shared: bool = False,
    folder: Path = RESULTS,
    meta: dict[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Write ``payload`` (plus its ``meta`` stamp) to ``NAME.json`` and ``table`` to
    ``NAME.md`` under ``folder``; print the table. Returns both paths.

    ``meta``: an earlier stamp to keep, for a rewrite that measures nothing (figures
    re-rendered from a saved JSON keep the command and machine that made them)."""
    stamped = meta if meta is not None else stamp(topic, shared)
    body = {"meta": stamped, **{k: v for k, v in payload.items() if k != "meta"}}
    return write_files(folder / f"{name}.json", body, table)


def publish_page(name: str, text: str) -> Path:
    """A generated page of the docs, ``docs/NAME.md`` (its figures come from a result
    written by :func:`write_result`)."""
    path = REPO / "docs" / f"{name}.md"
    path.write_text(text.rstrip("\n") + "\n")
    return path


def write_files(json_path: Path, body: dict[str, Any], table: str) -> tuple[Path, Path]:
    """``body`` as JSON at ``json_path`` and ``table`` as the ``.md`` beside it, exactly as
    given (no stamp: :func:`write_result` adds it); print the table. Returns both paths."""
    json_path = Path(json_path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(body, indent=2, default=str) + "\n")
    md_path = json_path.with_suffix(".md")
    md_path.write_text(table.rstrip("\n") + "\n")
    print(table)
    return json_path, md_path
