"""pytest-xdist: the worker count, the torch threads a test uses, the order files start
in, and a lower CPU priority for a long CPU-bound test (:func:`yielding_cpu`).

``make test`` runs the suite in three pytest-xdist workers (``-n 3 --dist loadfile``) on
the CI machine's two cores: many tests spend their time waiting (on a subprocess, Ray, a
browser, Milvus's retries), and a third worker fills those waits. Each test file runs
whole in one worker, so its module fixtures are built once. A plain ``python -m pytest``
runs everything in one process, as before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress

#: pytest-xdist sets both in each worker before it imports a conftest; a plain run has neither.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)

#: torch (OpenMP) threads per test process. Alone, two (the CI machine has two cores). In
#: workers, one each: processes of two threads each on two cores spin-wait on each other,
#: measured here at 10-25x slower per query than one thread each.
TORCH_THREADS = 2 if WORKERS == 1 else 1

#: Files that start first in a parallel run, longest first, so that the longest file does
#: not start last and leave one worker idle at the end. Every other file with a ``slow`` or
#: ``browser`` test follows; the rest keep their order. A renamed file only loses its place.
LONGEST_FIRST = (
    "tests/indexer/test_ray_engine.py",  # a local Ray beside two busy workers
    "tests/evaluation/test_scifact.py",  # one test: SciFact's 5,183 abstracts by the teacher
    "tests/indexer/test_crash_safety.py",
    "tests/shell/test_faults.py",
)


@contextmanager
def yielding_cpu(increment: int = 10) -> Iterator[None]:
    """In a worker, run the block at a lower CPU priority (``nice``; on Linux, of this
    thread and the threads and processes it starts). A long CPU-bound test then uses the
    cycles the other workers leave while they wait, instead of slowing the tests that wait
    on other processes (Ray, a CLI, a browser). Restored afterwards where allowed (root)."""
    if WORKERS == 1:
        yield
        return
    os.nice(increment)
    try:
        yield
    finally:
        with suppress(PermissionError):  # not root: this worker's later tests stay behind
            os.nice(-increment)
