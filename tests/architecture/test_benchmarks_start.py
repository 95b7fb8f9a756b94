"""Every benchmark starts: a broken import after a refactor shows here, not weeks later."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO

BENCHMARKS = REPO / "benchmarks"
FILES = sorted(
    p
    for p in [*BENCHMARKS.glob("*.py"), *(BENCHMARKS / "harness").glob("*.py")]
    if p.name != "__init__.py"
)


def is_script(path: Path) -> bool:
    return 'if __name__ == "__main__":' in path.read_text()


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(BENCHMARKS)))
def test_benchmark_starts(path: Path) -> None:
    """Scripts answer ``--help``; their helper modules and the harness's import."""
    if is_script(path):
        command = [sys.executable, str(path), "--help"]
    else:
        # scripts import their sibling modules (and ``harness``) by name, from benchmarks/
        module = ".".join(path.relative_to(BENCHMARKS).with_suffix("").parts)
        code = f"import sys; sys.path.insert(0, 'benchmarks'); import {module}"
        command = [sys.executable, "-c", code]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not is_script(path) or "usage:" in done.stdout
