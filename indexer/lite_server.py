"""Serve a Milvus Lite data directory over gRPC so several processes can share it.

Milvus Lite lets one process open a data file. ``distilsearch milvus-server`` runs
``milvus-lite server`` on that file; the UI and the CLI then both connect with
``MILVUS_URI=http://127.0.0.1:19530``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def server_command(data_dir: Path, host: str, port: int) -> list[str]:
    """The ``milvus-lite server`` command line for ``data_dir``."""
    exe = shutil.which("milvus-lite") or str(Path(sys.executable).with_name("milvus-lite"))
    return [exe, "server", "--data-dir", str(data_dir), "--host", host, "--port", str(port)]


def wait_for_port(host: str, port: int, timeout_s: float = 60.0) -> None:
    """Block until ``host:port`` accepts TCP connections; ``TimeoutError`` otherwise."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s:.0f}s")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that is free right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_lite_server(data_dir: Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Start a Milvus Lite server on ``data_dir``; yield its URI; stop it on exit."""
    port = port or free_port(host)
    process = subprocess.Popen(
        server_command(data_dir, host, port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        try:
            wait_for_port(host, port)
        except TimeoutError:
            process.kill()
            _, err = process.communicate(timeout=10)
            raise RuntimeError(f"milvus-lite server did not start: {err.decode()[-800:]}") from None
        yield f"http://{host}:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
