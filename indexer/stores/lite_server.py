"""Serve a Milvus Lite data file over gRPC so several processes can share it.

Milvus Lite lets one process open a data file. ``distilsearch milvus-server`` runs
Milvus Lite's own server binary on that file at ``host:port``; the UI and the CLI then
both connect with ``MILVUS_URI=http://127.0.0.1:19530``. The file lock is the one
Milvus Lite takes itself, so a process that opens the file directly while it is served
gets the "open in another process" message.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

#: Milvus Lite's rule for data file names (it refuses others).
MAX_NAME_CHARS = 36


def holder_file(db_file: Path) -> Path:
    """Where the process holding ``db_file`` writes its pid and command line."""
    return db_file.with_name(db_file.name + ".holder")


def record_holder(db_file: Path) -> None:
    holder_file(db_file).write_text(f"{os.getpid()} {' '.join(sys.argv)[:500]}\n")


def lock_file(db_file: Path) -> Path:
    """The lock Milvus Lite itself takes for ``db_file``."""
    return db_file.with_name(f".{db_file.name}.lock")


def check_db_name(db_file: Path) -> None:
    """Milvus Lite accepts only ``[A-Za-z0-9._-]`` names of at most 36 characters."""
    name = db_file.name
    if len(name) > MAX_NAME_CHARS or not all(
        c.isascii() and (c.isalnum() or c in "._-") for c in name
    ):
        raise ValueError(
            f"Milvus Lite file name {name!r} is not allowed: use at most {MAX_NAME_CHARS} "
            "characters from A-Z a-z 0-9 . _ - (the folder may be named freely)"
        )


def server_command(db_file: Path, host: str, port: int) -> list[str]:
    """The command line that serves ``db_file`` on ``host:port`` (see :func:`serve`)."""
    return [
        sys.executable,
        "-m",
        "indexer.stores.lite_server",
        str(db_file),
        "--host",
        host,
        "--port",
        str(port),
    ]


def _take_lock(db_file: Path) -> IO[str]:
    handle = lock_file(db_file).open("a")
    try:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        who = holder_file(db_file)
        holder = who.read_text().strip() if who.is_file() else "another process"
        raise RuntimeError(f"{db_file} is open in another process ({holder})") from None
    return handle


def die_with_parent() -> None:
    """Ask Linux to SIGTERM this (child) process if its launcher dies, even by SIGKILL.

    Meant as ``preexec_fn`` of ``subprocess``: it runs in the child before ``exec``.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def serve(db_file: Path, host: str, port: int) -> int:
    """Run Milvus Lite's server binary on ``db_file`` at ``host:port`` until it exits.

    SIGTERM or SIGINT stop the binary; the launcher holds the file lock meanwhile.
    """
    from milvus_lite.server import BIN_PATH

    db_file = db_file.expanduser().absolute()
    check_db_name(db_file)
    db_file.parent.mkdir(parents=True, exist_ok=True)
    lock = _take_lock(db_file)
    record_holder(db_file)
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = f"{BIN_PATH}:{os.environ.get('LD_LIBRARY_PATH', '')}"
    process = subprocess.Popen(
        [os.path.join(BIN_PATH, "milvus"), str(db_file), f"{host}:{port}", "ERROR"],
        env=env,
        cwd=str(db_file.parent),
        preexec_fn=die_with_parent,
    )

    def stop(_signum: int, _frame: object) -> None:
        process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        return process.wait()
    finally:
        lock.close()


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


def stop_process(process: subprocess.Popen, timeout_s: float = 20.0) -> None:
    """SIGTERM ``process``; SIGKILL it if it has not exited after ``timeout_s``."""
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_lite_server(db_file: Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``db_file`` in a child process; yield its URI; stop it on exit."""
    port = port or free_port(host)
    process = subprocess.Popen(
        server_command(db_file, host, port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        try:
            wait_for_port(host, port)
        except TimeoutError:
            process.kill()
            _, err = process.communicate(timeout=10)
            raise RuntimeError(f"Milvus Lite server did not start: {err.decode()[-800:]}") from None
        yield f"http://{host}:{port}"
    finally:
        stop_process(process)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m indexer.stores.lite_server",
        description="Serve a Milvus Lite file over gRPC.",
    )
    parser.add_argument("db_file", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=19530)
    args = parser.parse_args(argv)
    try:
        return serve(args.db_file, args.host, args.port)
    except (RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
