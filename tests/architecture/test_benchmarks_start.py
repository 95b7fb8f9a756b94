"""Every benchmark starts: a broken import after a refactor shows here, not weeks later."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO

FILES = sorted(p for p in (REPO / "benchmarks").glob("*.py") if p.name != "__init__.py")


def is_script(path: Path) -> bool:
    return 'if __name__ == "__main__":' in path.read_text()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_benchmark_starts(path: Path) -> None:
    """Scripts answer ``--help``; their helper modules import."""
    if is_script(path):
        command = [sys.executable, str(path), "--help"]
    else:
        # scripts import their sibling modules by name, from the benchmarks folder
        code = f"import sys; sys.path.insert(0, 'benchmarks'); import {path.stem}"
        command = [sys.executable, "-c", code]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not is_script(path) or "usage:" in done.stdout
