"""The faults section of docs/reliability.md, from the fault-injection suite's own output.

Runs the suite (``tests/shell/test_faults.py``, ``tests/shell/test_ray_start.py``,
``tests/indexer/test_reliability_inputs.py``) with ``DISTILSEARCH_RELIABILITY_LOG`` set:
each case writes one JSON line (what was injected, the exit code, the message or reason,
whether the rerun converged on a clean run's ids), and the pytest outcome comes along.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = (
    "tests/shell/test_faults.py",
    "tests/shell/test_ray_start.py",
    "tests/indexer/test_reliability_inputs.py",
)
EXIT_CODES = {
    0: "0 (all fine)",
    3: "3 (some files failed)",
    4: "4 (Milvus unreachable)",
    5: "5 (store refused a write)",
    6: "6 (Ray did not start)",
}


def faults(tmp: Path) -> dict:
    """Run the suite; its cases and pytest's summary line."""
    return run_suite(tmp / "faults.jsonl", SUITE)


def run_suite(log: Path, suite: tuple[str, ...]) -> dict:
    """Run the test files (or ids) of ``suite`` with the reliability log at ``log``; the
    cases they recorded, pytest's summary line and whether every test passed."""
    env = dict(os.environ, DISTILSEARCH_RELIABILITY_LOG=str(log), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *suite],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    lines = log.read_text().splitlines() if log.is_file() else []
    summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    return {
        "suite": list(suite),
        "pytest": summary,
        "passed": done.returncode == 0,
        "cases": [json.loads(line) for line in lines],
    }


def render(section: dict) -> list[str]:
    """Markdown for the faults section."""
    out = [
        "",
        "## Faults and hostile inputs (the fault-injection suite)",
        "",
        f"From the suite's own output: `{' '.join(section['suite'])}` "
        f"(pytest: {section['pytest']}). Each fault runs the real `distilsearch index` "
        "(Milvus Lite, a tiny model), then reruns it with the fault gone; converged means "
        "the rerun left exactly a clean run's chunk ids, none stored twice.",
        "",
        "| case | injected | what the tool did | exit code | rerun converged |",
        "|---|---|---|---|---|",
    ]
    for case in section["cases"]:
        did = case.get("outcome") or case.get("message") or case.get("reason") or ""
        did = did.removeprefix("distilsearch index: ")
        if "indexed" in case and "outcome" not in case:
            did = f"{did}; {case['indexed']} files indexed in that run".strip("; ")
        code = case.get("exit_code")
        rerun = case.get("converged")
        out.append(
            f"| {case['case']} | {case['injected']} | {_cell(did)} | "
            f"{EXIT_CODES.get(code, '-') if code is not None else '-'} | "
            f"{'-' if rerun is None else ('yes' if rerun else '**NO**')} |"
        )
    return out


def _cell(text: str, limit: int = 400) -> str:
    text = re.sub(r"/tmp/pytest-of-[^/]+/pytest-\d+/[^/ ]+/", "<tmp>/", text)
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= limit else text[: limit - 3] + "..."
