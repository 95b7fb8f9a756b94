"""Ray for ``index --engine ray``: its options, a session started offline (retried once), and
a store URI every Ray worker can write to.

A local Ray's first start on a loaded machine can time out ("The current node timed out
during startup") where the second works, so a failed start is retried once; a second
failure raises :class:`RayStartError` with the cause in words (the CLI's exit code 6).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import is_server_uri

logger = logging.getLogger(__name__)

INSTALL_HINT = "--engine ray needs Ray: pip install 'distilsearch[ray]' (ray[data] 2.60)"
#: Tries to start (or reach) Ray before giving up.
START_ATTEMPTS = 2


@dataclass(frozen=True)
class RayOptions:
    """Where Ray runs and how its actor pools are sized."""

    address: str | None = None  # None: start a local Ray on this machine
    num_cpus: int | None = None  # a local Ray's CPUs (None: all of them)
    chunk_actors: int = 1  # each with one partitioning process
    encode_actors: int = 1
    actor_cpus: float = 0.5
    files_per_batch: int = 4

    def __post_init__(self) -> None:
        if self.chunk_actors < 1 or self.encode_actors < 1:
            raise ValueError("Ray actor pools need at least one actor each")
        if self.actor_cpus <= 0 or self.files_per_batch < 1:
            raise ValueError("actor_cpus must be > 0 and files_per_batch >= 1")


def ray_installed() -> bool:
    """True when ``ray`` can be imported (the ``ray`` extra)."""
    return importlib.util.find_spec("ray") is not None


@contextmanager
def ray_session(options: RayOptions) -> Iterator[float]:
    """Connect to (or start) Ray, offline and without the dashboard; yield seconds taken.

    A Ray already initialised in this process is used as it is and left running. A start
    that fails is retried once; :class:`RayStartError` when the second fails too.
    """
    with start_ray(options) as seconds:
        yield seconds


def start_ray(options: RayOptions) -> AbstractContextManager[float]:
    """:func:`ray_session`, started now (``RayStartError`` raised here, before any
    ``with``); the context manager returned stops a Ray started here on exit."""
    import ray

    started = time.perf_counter()
    owned = not ray.is_initialized()
    if owned:
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"  # never phone home
        _start(ray, options)
        ray.data.DataContext.get_current().enable_progress_bars = False
    return _stopping(ray if owned else None, time.perf_counter() - started)


@contextmanager
def _stopping(ray: Any, seconds: float) -> Iterator[float]:
    try:
        yield seconds
    finally:
        if ray is not None:
            ray.shutdown()


class RayStartError(RuntimeError):
    """Ray did not start (or could not be reached) after :data:`START_ATTEMPTS` tries."""


def _start(ray: Any, options: RayOptions) -> None:
    """``ray.init`` for ``options``, tried :data:`START_ATTEMPTS` times."""
    local = {"num_cpus": options.num_cpus} if options.address is None else {}
    where = "on this machine" if options.address is None else f"at {options.address}"
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            ray.init(
                address=options.address,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.WARNING,
                **local,
            )
            return
        except Exception as exc:  # Ray raises bare Exceptions (node start-up time-outs)
            _shutdown_quietly(ray)
            if attempt == START_ATTEMPTS:
                raise RayStartError(
                    f"Ray did not start {where} after {attempt} attempts "
                    f"({type(exc).__name__}: {exc}); nothing was indexed. A loaded machine "
                    "can start Ray too slowly: run again, or index with --engine local"
                ) from exc
            logger.warning("Ray did not start %s (%s); trying once more", where, exc)


def _shutdown_quietly(ray: Any) -> None:
    """Stop what a failed ``ray.init`` left running."""
    try:
        ray.shutdown()
    except Exception as exc:  # a half-started node may fail to stop: the retry goes on
        logger.debug("ray.shutdown after a failed start: %s", exc)


@contextmanager
def ray_store_uri(uri: str, address: str | None) -> Iterator[str]:
    """A URI every Ray worker can write to: a server URI as it is; a Lite file served.

    A Lite file cannot be opened by several processes, so for a local Ray it is served
    over gRPC for the run (``indexer.stores.lite_server``). A remote cluster cannot reach
    this machine's file: that needs a Milvus server URI, and is refused.
    """
    if is_server_uri(uri):
        yield uri
        return
    if address is not None:
        raise ValueError(
            f"--engine ray with --ray-address needs a Milvus server (http://host:19530); "
            f"the cluster cannot open the Milvus Lite file {uri}"
        )
    from indexer.stores.lite_server import running_lite_server

    with running_lite_server(Path(uri)) as served:
        logger.info("serving %s at %s for the Ray workers", uri, served)
        yield served
