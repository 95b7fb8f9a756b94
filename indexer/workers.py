"""Partition files in worker processes, each file under a wall-clock timeout.

A worker that overruns its deadline or dies (segfault, out of memory) is killed and
replaced; the file is reported as failed and the run goes on. Workers are started
with ``spawn`` so they never inherit the parent's torch threads or Milvus client.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing as mp
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from indexer.chunking import ChunkingConfig
from indexer.names import display_name
from indexer.report import Limit
from indexer.types import Chunk

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Task:
    """One file to partition; ``source`` is the name stored with its chunks."""

    path: Path
    source: str
    mime: str
    file_type: str
    max_bytes: int | None = None  # the size limit, enforced again while the file is read


@dataclass(frozen=True)
class Outcome:
    """Chunks of one file, or the reason it failed."""

    task: Task
    chunks: list[Chunk]
    error: str = ""
    seconds: float = 0.0  # partitioning and chunking time, counted against the file's budget
    limit: Limit = ""  # "timeout" when the per-file deadline stopped it


def partition_one(task: Task, config: ChunkingConfig) -> Outcome:
    """Chunk one file; any exception becomes the outcome's ``error``."""
    from indexer.chunking import ChunkingError, chunk_file

    started = time.monotonic()
    try:
        chunks = chunk_file(
            task.path, config, task.source, task.mime, task.file_type, task.max_bytes
        )
        return Outcome(task, chunks, seconds=time.monotonic() - started)
    except Exception as exc:  # every failure becomes a reported reason
        reason = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, ChunkingError):  # it names the file, which the report does already
            reason = str(exc).removeprefix(display_name(task.path) + ": ")
        return Outcome(task, [], reason, time.monotonic() - started)


def _worker_main(conn: Connection, config: ChunkingConfig) -> None:
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from indexer.chunking import warm_up

    warm_up()  # imports the parsers now, so a file's timeout measures only its own work
    conn.send("ready")
    while (task := conn.recv()) is not None:
        conn.send(partition_one(task, config))


class _Worker:
    """One worker process and its private pipe (a killed worker corrupts only its own)."""

    def __init__(self, ctx: Any, config: ChunkingConfig) -> None:
        self.conn, child = ctx.Pipe()
        self.process: BaseProcess = ctx.Process(
            target=_worker_main, args=(child, config), daemon=True
        )
        self.process.start()
        child.close()
        self.task: Task | None = None
        self.deadline = 0.0

    def wait_ready(self, timeout_s: float | None = None) -> None:
        """Block until the worker has imported its parsers; ``RuntimeError`` if it cannot."""
        timeout_s = STARTUP_TIMEOUT_S if timeout_s is None else timeout_s
        if not self.conn.poll(timeout_s):
            self.kill()
            raise RuntimeError(f"a partitioning worker did not start within {timeout_s:.0f}s")
        try:
            self.conn.recv()
        except EOFError as exc:
            self.process.join(1.0)
            raise RuntimeError(
                f"a partitioning worker died while starting (exit code {self.process.exitcode}; "
                "its error is on stderr). A common cause: workers are spawned and re-import "
                'the calling script, which must then index under `if __name__ == "__main__":`'
            ) from exc

    def assign(self, task: Task, timeout_s: float) -> None:
        self.task, self.deadline = task, time.monotonic() + timeout_s
        self.conn.send(task)

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


def _timeout_reason(task: Task, timeout_s: float) -> str:
    """Why a file's partitioning was stopped, with its size (a large file may need more)."""
    try:
        size = f"{task.path.stat().st_size / 2**20:.1f} MB; "
    except OSError:
        size = ""
    return f"partitioning timed out after {timeout_s:.0f}s ({size}--timeout gives it more)"


class PartitionPool:
    """``imap``-style partitioning: yields an :class:`Outcome` per task as each finishes."""

    def __init__(
        self, workers: int, timeout_s: float, config: ChunkingConfig, wait: bool = True
    ) -> None:
        """Start ``workers`` processes; with ``wait`` False, return while they import their
        parsers (the first :meth:`imap` waits for them)."""
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if timeout_s <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout_s}")
        self._ctx = mp.get_context("spawn")
        self._config = config
        self._timeout_s = timeout_s
        self._workers = [_Worker(self._ctx, config) for _ in range(workers)]
        self._start_error = ""  # why a replacement worker could not start
        self._ready = False
        if wait:
            self._wait_ready()

    def _wait_ready(self) -> None:
        if not self._ready:
            for worker in self._workers:
                worker.wait_ready()
            self._ready = True

    def imap(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        """Partition ``tasks``; at most one in flight per worker; order of completion."""
        self._wait_ready()
        pending = iter(tasks)
        exhausted = False
        while True:
            if not self._workers:  # every replacement failed to start: the rest fail alone
                reason = f"not partitioned: {self._start_error}"
                yield from (Outcome(task, [], reason) for task in pending)
                return
            for worker in list(self._workers):
                if worker.task is None and not exhausted:
                    task = next(pending, None)
                    if task is None:
                        exhausted = True
                        continue
                    try:
                        worker.assign(task, self._timeout_s)
                    except OSError:  # it died while idle: a replacement takes the task
                        logger.warning("a partitioning worker died while idle; replacing it")
                        pending = itertools.chain([task], pending)
                        worker.kill()
                        self._workers.remove(worker)
                        self._replace()
            busy = [w for w in self._workers if w.task is not None]
            if busy:
                yield from self._collect(busy)
            elif exhausted:
                return

    def _collect(self, busy: list[_Worker]) -> Iterator[Outcome]:
        timeout = max(0.05, min(w.deadline for w in busy) - time.monotonic())
        ready = set(wait([w.conn for w in busy], timeout=min(timeout, 1.0)))
        for worker in busy:
            if worker.conn not in ready:
                continue
            try:
                outcome = worker.conn.recv()
            except (EOFError, OSError):
                continue  # the worker died mid-send: _reap reports it
            worker.task = None
            yield outcome
        yield from self._reap([w for w in busy if w.task is not None])

    def _reap(self, busy: list[_Worker]) -> Iterator[Outcome]:
        """Replace workers that are past their deadline or have died."""
        now = time.monotonic()
        for worker in busy:
            task = worker.task
            assert task is not None
            limit: Limit = ""
            if now > worker.deadline:
                reason, limit = _timeout_reason(task, self._timeout_s), "timeout"
            elif not worker.process.is_alive():
                reason = f"worker process died (exit code {worker.process.exitcode})"
            else:
                continue
            logger.warning("%s: %s", task.path, reason)
            worker.kill()
            self._workers.remove(worker)
            yield Outcome(task, [], reason, limit=limit)
            self._replace()

    def _replace(self) -> None:
        """Start a worker for one that was killed; if it cannot start, go on with fewer."""
        worker = _Worker(self._ctx, self._config)
        try:
            worker.wait_ready()
        except RuntimeError as exc:
            self._start_error = str(exc)
            logger.error("%s; going on with %d worker(s)", exc, len(self._workers))
            return
        self._workers.append(worker)

    def close(self) -> None:
        for worker in self._workers:
            if worker.process.is_alive():
                worker.conn.send(None)
        for worker in self._workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.kill()

    def __enter__(self) -> PartitionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Partitioner:
    """Partitioning in ``workers`` processes (0: in this process, no timeout).

    The processes start on construction; with ``wait`` False they import their parsers
    while the caller goes on (preparing collections) and the first :meth:`partition`
    waits for them. :meth:`partition` yields an :class:`Outcome` per task.
    """

    def __init__(
        self, workers: int, timeout_s: float, config: ChunkingConfig, wait: bool = False
    ) -> None:
        self._config = config
        self._pool: PartitionPool | None = None
        if workers:
            self._pool = PartitionPool(workers, timeout_s, config, wait=wait)

    def partition(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        if self._pool is None:
            return (partition_one(task, self._config) for task in tasks)
        return self._pool.imap(tasks)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
