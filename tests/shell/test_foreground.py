"""`distilsearch serve` / `milvus-server` children must not outlive a killed launcher."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.paths import REPO

LAUNCHER = """
import sys
from shell.serve_command import run_foreground
child = "import os, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(120)"
sys.exit(run_foreground([sys.executable, "-c", "import sys\\n" + child, sys.argv[1]]))
"""


def _alive(pid: int) -> bool:
    """Running and not a zombie (a reparented child may never be reaped in a container)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    return fields[0] != "Z"


def _wait_for(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_a_sigkilled_launcher_takes_its_server_child_with_it(tmp_path) -> None:
    pid_file = tmp_path / "child.pid"
    repo = REPO
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(pid_file)],
        cwd=repo,
        env=dict(os.environ, PYTHONPATH=str(repo)),
    )
    try:
        assert _wait_for(lambda: pid_file.is_file() and pid_file.read_text(), 30)
        child = int(pid_file.read_text())
        assert _alive(child)
        launcher.send_signal(signal.SIGKILL)
        launcher.wait(timeout=10)
        assert _wait_for(lambda: not _alive(child), 10), f"server child {child} outlived it"
    finally:
        launcher.kill()
        launcher.wait()
        if pid_file.is_file() and _alive(int(pid_file.read_text())):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
