"""How the Milvus store calls its client: opening, retries, reading every row, quiet logs.

The store does the retrying itself (pymilvus is told not to), so a vanished server costs
the retry budget (``DISTILSEARCH_MILVUS_RETRY_S``, :func:`retry_delays`) and then one
clear :class:`StoreUnavailableError`.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from core.settings import DEFAULT_MILVUS_RETRY_S, is_server_uri
from indexer.stores.base import StoreUnavailableError
from indexer.stores.faults import write_failure
from indexer.stores.lite_server import holder_file
from indexer.stores.milvus_rows import is_unavailable

#: The store's own logger: retry warnings read as the store's, as they always have.
logger = logging.getLogger("indexer.stores.milvus")

CALL_TIMEOUT_S = 60.0
#: The least time a server gets to accept the connection, however short the retry budget.
MIN_CONNECT_S = 2.0
FIRST_RETRY_S = 0.5
#: pymilvus 2.5 retries an unreachable server many times per call on its own (minutes)
#: unless told otherwise; the store does the retrying itself, with :func:`retry_delays`.
NO_CLIENT_RETRIES = 0
QUERY_BATCH = 4096
#: Milvus caps offset + limit of a plain query at 16384 rows.
QUERY_WINDOW = 16384
T = TypeVar("T")


#: milvus-lite 2.5.1 imports pkg_resources, which warns on every start.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
#: gRPC's C core logs keepalive chatter between pymilvus and Milvus Lite's server thread.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")
#: pymilvus logs every failed RPC with a traceback on its own handler; this store turns
#: failures into clear exceptions instead. ``distilsearch -v`` turns them back on.
NOISY_LOGGERS = ("pymilvus", "pymilvus.milvus_client", "milvus_lite", "grpc._server")


def quiet_client_logs(level: int = logging.CRITICAL) -> None:
    """Set the level of the Milvus client's own loggers."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(level)


def retry_delays(budget_s: float) -> tuple[float, ...]:
    """Waits between attempts, doubling from half a second, that add up to ``budget_s``
    (the last one shortened to fit): 15 -> (0.5, 1, 2, 4, 7.5); 0 -> no retry."""
    delays: list[float] = []
    delay, left = FIRST_RETRY_S, budget_s
    while left > 1e-9:
        delays.append(min(delay, left))
        left -= delays[-1]
        delay *= 2
    return tuple(delays)


RETRY_DELAYS_S = retry_delays(DEFAULT_MILVUS_RETRY_S)


def connect_timeout(is_server: bool, delays: Sequence[float]) -> float:
    """How long opening the client waits for Milvus: a server, the retry budget (gRPC
    keeps reconnecting meanwhile); a Lite file, :data:`CALL_TIMEOUT_S` (its own start)."""
    return max(MIN_CONNECT_S, sum(delays)) if is_server else CALL_TIMEOUT_S


def open_client(uri: str, token: str, is_server: bool, delays: Sequence[float]) -> Any:
    """A ``MilvusClient`` on ``uri``; :class:`StoreUnavailableError` saying why it could not
    connect within :func:`connect_timeout`."""
    from pymilvus import MilvusClient
    from pymilvus.exceptions import MilvusException

    try:
        return MilvusClient(uri=uri, token=token, timeout=connect_timeout(is_server, delays))
    except MilvusException as exc:
        raise StoreUnavailableError(open_failure(uri, is_server, exc)) from exc


def open_failure(uri: str, is_server: bool, exc: Exception) -> str:
    """Why the client could not open ``uri``: an unreachable server, or a Lite file that
    another process holds (named from its holder file when there is one)."""
    if is_server:
        return f"cannot reach the Milvus server at {uri}: {exc}"
    holder = holder_file(Path(uri).expanduser())
    who = holder.read_text().strip() if holder.is_file() else "another process"
    return (
        f"the Milvus Lite file {uri} is open in another process (pid and command: "
        f"{who}). Milvus Lite allows one process per file: stop that process, or serve "
        "the file once with `distilsearch milvus-server` and point every process at it "
        "with MILVUS_URI=http://127.0.0.1:19530."
    )


def call_with_retries(
    call: Callable[..., T],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    uri: str,
    delays: Sequence[float],
    writes_to: str = "",
) -> T:
    """Run a client call, retrying after each of ``delays`` while the server is unreachable.

    Raises :class:`StoreUnavailableError` once the delays are used up; other errors
    (bad expressions, schema mismatches) are raised at once, except that a write
    (``writes_to``: the store's location) refused for another reason (a full disk) raises
    :class:`~indexer.stores.base.StoreWriteError` naming the cause and the data folder.
    """
    from pymilvus.exceptions import MilvusException

    kwargs.setdefault("retry_times", NO_CLIENT_RETRIES)
    for attempt, delay in enumerate((*delays, None), 1):
        try:
            return call(*args, **kwargs)
        except (MilvusException, OSError) as exc:
            if not isinstance(exc, MilvusException) or not is_unavailable(exc):
                if writes_to:
                    raise write_failure(exc, writes_to, is_server_uri(uri)) from exc
                raise
            if delay is None:
                raise StoreUnavailableError(
                    f"Milvus at {uri} is unreachable after {attempt} attempts "
                    f"over {sum(delays):.0f}s: {exc.message}"
                ) from exc
            logger.warning("Milvus unreachable (%s); retrying in %.1fs", exc, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


def scan_rows(
    client: Any,
    retrying: Callable[..., Any],
    name: str,
    expr: str,
    fields: list[str],
) -> list[dict[str, Any]]:
    """All rows of ``name`` matching ``expr``: one plain query when they fit, else an iterator.

    ``retrying(call, *args, **kwargs)`` runs the plain query with the store's retry policy.
    """
    rows = retrying(
        client.query,
        name,
        filter=expr,
        output_fields=fields,
        limit=QUERY_WINDOW,
        timeout=CALL_TIMEOUT_S,
    )
    if len(rows) < QUERY_WINDOW:
        return list(rows)
    iterator = client.query_iterator(
        name,
        batch_size=QUERY_BATCH,
        filter=expr,
        output_fields=fields,
        timeout=CALL_TIMEOUT_S,
    )
    rows = []
    try:
        while batch := iterator.next():
            rows.extend(batch)
    finally:
        iterator.close()
    return rows
