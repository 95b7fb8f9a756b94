"""How a run meets a failing store: each write guarded, the run stopped cleanly.

Two faults stop a run (a file's own problem never does): the store unreachable
(:class:`~indexer.stores.base.StoreUnavailableError`) and the store refusing a write
(:class:`~indexer.stores.base.StoreWriteError`: a full disk, a read-only or failing one).
Either way the report says why (``IndexReport.stopped_by``, ``error``), every file not
yet written is reported failed with "not written", and what was stored stays: new chunks
go in before stale ones go out, so the rerun converges on a clean run's ids.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from indexer.names import display_name
from indexer.report import FileResult, IndexReport, StopCause
from indexer.stores.base import StoreUnavailableError, StoreWriteError, VectorStore
from indexer.stores.faults import check_room, write_failure

logger = logging.getLogger(__name__)
T = TypeVar("T")


def guarded(store: VectorStore, call: Callable[..., T], *args: Any) -> T:
    """``call(*args)``, a write to ``store``: an ``OSError`` from it (any store on a full
    disk) becomes a :class:`StoreWriteError` naming the cause and the data folder. A store
    in a local file (Milvus Lite: ``disk_bytes`` known) must have room before and after
    (:func:`~indexer.stores.faults.check_room`)."""
    local = store.disk_bytes() is not None
    if local:
        check_room(store.location)
    try:
        result = call(*args)
    except OSError as exc:
        raise write_failure(exc, store.location, store.is_server) from exc
    if local:
        check_room(store.location)
    return result


@contextmanager
def stops_cleanly(
    report: IndexReport, paths: Sequence[Path], record: Callable[[FileResult], None]
) -> Iterator[None]:
    """Run the block; a store fault inside it stops the run (see :func:`stop_run`)."""
    try:
        yield
    except StoreUnavailableError as exc:
        stop_run(report, "store_unreachable", str(exc), paths, record)
    except StoreWriteError as exc:
        stop_run(report, "store_write", str(exc), paths, record)


def stop_run(
    report: IndexReport,
    cause: StopCause,
    error: str,
    paths: Sequence[Path],
    record: Callable[[FileResult], None],
) -> None:
    """The run stops early: ``report`` says why, and every file of ``paths`` not yet
    reported is recorded as failed ("not written"), so none is silently lost."""
    report.stop(cause, error)
    logger.error("indexing stopped: %s", error)
    done = {result.path for result in report.files}
    for path in paths:
        if display_name(path) not in done:
            record(FileResult(display_name(path), "failed", reason=f"not written: {error}"))
