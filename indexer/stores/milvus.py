"""Milvus behind the ``VectorStore`` protocol: Milvus Lite (file URI) or a server (http URI).

One class serves both; only the URI differs. Each collection holds one encoder's
vectors (``vector`` field, inner product on unit vectors = cosine) plus the chunk's
scalar fields; the encoder record lives in the collection description. The vector index
follows the engine: HNSW on a server; exact FLAT on Milvus Lite 2.5, whose C++ engine
offers only FLAT / IVF_FLAT and whose IVF_FLAT returned approximate results that
``nprobe`` did not change (docs/results/query_latency.md).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from indexer.lite_server import check_db_name, holder_file, record_holder
from indexer.stores.base import (
    CollectionInfo,
    Filters,
    StoreUnavailableError,
    check_top_k,
    check_vectors,
)
from indexer.stores.milvus_expr import build_expression, ids_expression
from indexer.types import Chunk, Hit

logger = logging.getLogger(__name__)

#: The encoder record rides in the collection description (Milvus Lite 2.5 cannot alter
#: collection properties).
META_PREFIX = "distilsearch.encoder="
VECTOR_FIELD = "vector"
SCALAR_FIELDS = ("text", "source", "file_type", "section", "page", "chunk_index", "content_hash")
#: VARCHAR limits are bytes of UTF-8.
MAX_BYTES = {
    "id": 64,
    "text": 65535,
    "source": 4096,
    "file_type": 32,
    "section": 1024,
    "content_hash": 64,
}
WRITE_BATCH = 512
QUERY_BATCH = 4096
#: Milvus caps offset + limit of a plain query at 16384 rows.
QUERY_WINDOW = 16384
#: (index type, build params, search params) per engine.
SERVER_INDEX: tuple[str, dict[str, int], dict[str, int]] = (
    "HNSW",
    {"M": 16, "efConstruction": 200},
    {"ef": 64},
)
LITE_INDEX: tuple[str, dict[str, int], dict[str, int]] = ("FLAT", {}, {})
CALL_TIMEOUT_S = 60.0
RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)
#: pymilvus 2.5 retries an unreachable server 75 times per call on its own (~3.5 min)
#: unless told otherwise; the store does the retrying itself, with RETRY_DELAYS_S.
NO_CLIENT_RETRIES = 0
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


def _hide_file_uri_from_pymilvus() -> None:
    """pymilvus reads ``MILVUS_URI`` itself at import and rejects a file path ("Illegal
    uri"); settings have already taken it, so a Lite file path is removed from the
    environment (server URIs stay)."""
    if not _is_server(os.environ.get("MILVUS_URI", "http://")):
        os.environ.pop("MILVUS_URI", None)


def _is_server(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "tcp://", "unix:"))


class MilvusStore:
    """A :class:`~indexer.stores.base.VectorStore` over ``pymilvus.MilvusClient``."""

    def __init__(
        self, uri: str, token: str = "", retry_delays: Sequence[float] = RETRY_DELAYS_S
    ) -> None:
        _hide_file_uri_from_pymilvus()
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        if not logging.getLogger("distilsearch").isEnabledFor(logging.DEBUG):
            quiet_client_logs()
        self.uri = uri
        self.retry_delays = tuple(retry_delays)
        self.is_server = _is_server(uri)
        self._loaded: set[str] = set()
        self._known: dict[str, CollectionInfo] = {}
        self._lock = threading.Lock()
        if not self.is_server:
            _check_lite_path(Path(uri).expanduser())
        try:
            self._client = MilvusClient(uri=uri, token=token, timeout=CALL_TIMEOUT_S)
        except MilvusException as exc:
            raise StoreUnavailableError(self._open_failure(exc)) from exc
        if not self.is_server:
            record_holder(Path(uri).expanduser())

    def _open_failure(self, exc: Exception) -> str:
        if self.is_server:
            return f"cannot reach the Milvus server at {self.uri}: {exc}"
        holder = holder_file(Path(self.uri).expanduser())
        who = holder.read_text().strip() if holder.is_file() else "another process"
        return (
            f"the Milvus Lite file {self.uri} is open in another process (pid and command: "
            f"{who}). Milvus Lite allows one process per file: stop that process, or serve "
            "the file once with `distilsearch milvus-server` and point every process at it "
            "with MILVUS_URI=http://127.0.0.1:19530."
        )

    # -- collections -------------------------------------------------------------------

    def ensure_collection(self, name: str, info: CollectionInfo) -> None:
        existing = self.collection_info(name)
        if existing is not None:
            existing.check_compatible(info, name)
            self._ensure_loaded(name)
            return
        if self._retrying(self._client.has_collection, name):
            raise ValueError(
                f"collection {name!r} at {self.uri} was not created by distilsearch "
                "(it has no encoder record); pick another collection name"
            )
        self._create(name, info)
        self._ensure_loaded(name)

    def _create(self, name: str, info: CollectionInfo) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(
            auto_id=False, enable_dynamic_field=False, description=META_PREFIX + info.to_json()
        )
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=MAX_BYTES["id"])
        for field in ("text", "source", "file_type", "section", "content_hash"):
            schema.add_field(field, DataType.VARCHAR, max_length=MAX_BYTES[field])
        schema.add_field("page", DataType.INT64)
        schema.add_field("chunk_index", DataType.INT64)
        schema.add_field(VECTOR_FIELD, DataType.FLOAT_VECTOR, dim=info.dim)
        index = self._client.prepare_index_params()
        index_type, build_params, _ = self._engine_index
        index.add_index(VECTOR_FIELD, index_type=index_type, metric_type="IP", params=build_params)
        self._client.create_collection(
            name, schema=schema, index_params=index, consistency_level="Strong"
        )
        logger.info("created collection %s (dim %d) at %s", name, info.dim, self.uri)

    def _ensure_loaded(self, name: str) -> None:
        if name in self._loaded:
            return
        with self._lock:
            state = str(self._retrying(self._client.get_load_state, name).get("state", ""))
            if "Loaded" not in state or "NotLoad" in state:
                self._retrying(self._client.load_collection, name)
            self._loaded.add(name)

    def collection_info(self, name: str) -> CollectionInfo | None:
        if not self._retrying(self._client.has_collection, name):
            return None
        description = self._retrying(self._client.describe_collection, name).get("description", "")
        if not description.startswith(META_PREFIX):
            return None
        return CollectionInfo.from_json(description.removeprefix(META_PREFIX))

    def list_collections(self) -> list[str]:
        return sorted(self._retrying(self._client.list_collections))

    def drop(self, name: str) -> None:
        self._retrying(self._client.drop_collection, name)
        self._loaded.discard(name)
        self._known.pop(name, None)

    # -- data --------------------------------------------------------------------------

    def upsert(self, name: str, chunks: Sequence[Chunk], vectors: np.ndarray) -> int:
        info = self._require(name)
        array = check_vectors(vectors, info.dim, "vectors")
        if len(chunks) != len(array):
            raise ValueError(f"{len(chunks)} chunks but {len(array)} vectors")
        for start in range(0, len(chunks), WRITE_BATCH):
            rows = [
                _row(chunk, vector)
                for chunk, vector in zip(
                    chunks[start : start + WRITE_BATCH],
                    array[start : start + WRITE_BATCH],
                    strict=True,
                )
            ]
            self._retrying(self._client.upsert, name, rows, timeout=CALL_TIMEOUT_S)
        return len(chunks)

    def delete(self, name: str, ids: Sequence[str]) -> int:
        self._require(name)
        ids = list(ids)
        for start in range(0, len(ids), WRITE_BATCH):
            expr = ids_expression(ids[start : start + WRITE_BATCH])
            self._retrying(self._client.delete, name, filter=expr, timeout=CALL_TIMEOUT_S)
        return len(ids)

    def search(
        self, name: str, vectors: np.ndarray, top_k: int, filters: Filters | None = None
    ) -> list[list[Hit]]:
        info = self._require(name)
        check_top_k(top_k)
        queries = check_vectors(vectors, info.dim, "query vectors")
        results = self._retrying(
            self._client.search,
            name,
            data=queries.tolist(),
            anns_field=VECTOR_FIELD,
            filter=build_expression(filters),
            limit=top_k,
            output_fields=list(SCALAR_FIELDS),
            search_params={"metric_type": "IP", "params": self._search_params_for(top_k)},
            timeout=CALL_TIMEOUT_S,
        )
        return [[_hit(raw) for raw in per_query] for per_query in results]

    @functools.cached_property
    def _engine_index(self) -> tuple[str, dict[str, int], dict[str, int]]:
        """The index for this engine. Milvus Lite served over TCP looks like a server by
        URI; it is told apart by not implementing ``GetVersion``."""
        if not self.is_server:
            return LITE_INDEX
        import grpc

        try:
            self._client.get_server_version(timeout=CALL_TIMEOUT_S, retry_times=NO_CLIENT_RETRIES)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                return LITE_INDEX
        return SERVER_INDEX

    def _search_params_for(self, top_k: int) -> dict[str, int]:
        params = dict(self._engine_index[2])
        if "ef" in params:  # HNSW needs ef >= top_k
            params["ef"] = max(params["ef"], top_k)
        return params

    def ids(self, name: str, filters: Filters | None = None) -> set[str]:
        return {row["id"] for row in self._scan(name, filters, ["id"])}

    def count(self, name: str, filters: Filters | None = None) -> int:
        self._require(name)
        rows = self._retrying(
            self._client.query,
            name,
            filter=build_expression(filters),
            output_fields=["count(*)"],
            timeout=CALL_TIMEOUT_S,
        )
        return int(rows[0]["count(*)"]) if rows else 0

    def sources(self, name: str) -> dict[str, int]:
        return dict(Counter(row["source"] for row in self._scan(name, None, ["source"])))

    def _scan(self, name: str, filters: Filters | None, fields: list[str]) -> list[dict[str, Any]]:
        """All rows matching ``filters``: one plain query when they fit, else an iterator."""
        self._require(name)
        expr = build_expression(filters)
        rows = self._retrying(
            self._client.query,
            name,
            filter=expr,
            output_fields=fields,
            limit=QUERY_WINDOW,
            timeout=CALL_TIMEOUT_S,
        )
        if len(rows) < QUERY_WINDOW:
            return list(rows)
        iterator = self._client.query_iterator(
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

    def _retrying(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a client call, retrying with backoff while the server is unreachable.

        Raises :class:`StoreUnavailableError` once the delays are used up; other errors
        (bad expressions, schema mismatches) are raised at once.
        """
        from pymilvus.exceptions import MilvusException

        kwargs.setdefault("retry_times", NO_CLIENT_RETRIES)
        for attempt, delay in enumerate((*self.retry_delays, None), 1):
            try:
                return call(*args, **kwargs)
            except MilvusException as exc:
                if not _is_unavailable(exc):
                    raise
                if delay is None:
                    raise StoreUnavailableError(
                        f"Milvus at {self.uri} is unreachable after {attempt} attempts "
                        f"over {sum(self.retry_delays):.0f}s: {exc.message}"
                    ) from exc
                logger.warning("Milvus unreachable (%s); retrying in %.1fs", exc.message, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _require(self, name: str) -> CollectionInfo:
        """The collection's record, looked up once per store (saves two RPCs per call)."""
        info = self._known.get(name)
        if info is None:
            info = self.collection_info(name)
            if info is None:
                raise KeyError(f"collection {name!r} does not exist at {self.uri}; index first")
            self._ensure_loaded(name)
            self._known[name] = info
        return info

    def close(self) -> None:
        """Close the client; for Milvus Lite also stop its server so the file lock is freed."""
        self._client.close()
        if not self.is_server:
            try:
                from milvus_lite.server_manager import server_manager_instance
            except ImportError:
                return
            server_manager_instance.release_server(str(Path(self.uri).expanduser().absolute()))


def _check_lite_path(db_file: Path) -> None:
    """Fail early, naming the file, on what Milvus Lite would refuse obscurely."""
    try:
        check_db_name(db_file)
    except ValueError as exc:
        raise StoreUnavailableError(str(exc)) from None
    if db_file.is_dir():
        raise StoreUnavailableError(
            f"{db_file} is a folder, not a Milvus Lite file: it was probably written by "
            "milvus-lite 3.x, which this version does not read. Move it away and index again."
        )
    db_file.parent.mkdir(parents=True, exist_ok=True)


def _is_unavailable(exc: Exception) -> bool:
    """True for connection failures (worth retrying), False for request errors.

    pymilvus wraps gRPC errors inconsistently: the ``grpc.RpcError`` may be the cause, or
    the exception's ``code`` may be the RpcError's bound ``code`` method (seen when a
    server dies mid-call: "Stream removed (Socket closed)").
    """
    import grpc

    retryable = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    code = getattr(exc, "code", None)
    if callable(code) and isinstance(getattr(code, "__self__", None), grpc.RpcError):
        return code() in retryable
    cause = exc.__cause__
    if isinstance(cause, grpc.RpcError) and cause.code() in retryable:
        return True
    text = str(getattr(exc, "message", exc)).lower()
    return code == 2 or any(
        word in text for word in ("unavailable", "connect", "deadline exceeded", "timed out")
    )


def _clip_bytes(value: str, limit: int) -> str:
    """Cut ``value`` to at most ``limit`` UTF-8 bytes without splitting a character."""
    raw = value.encode("utf-8", errors="replace")
    if len(raw) <= limit:
        return value.encode("utf-8", errors="replace").decode("utf-8")
    return raw[:limit].decode("utf-8", errors="ignore")


def _row(chunk: Chunk, vector: np.ndarray) -> dict[str, Any]:
    if len(chunk.source.encode("utf-8", errors="replace")) > MAX_BYTES["source"]:
        raise ValueError(
            f"source path longer than {MAX_BYTES['source']} bytes: {chunk.source[:80]}…"
        )
    return {
        "id": chunk.id,
        "text": _clip_bytes(chunk.text, MAX_BYTES["text"]),
        "source": chunk.source,
        "file_type": _clip_bytes(chunk.file_type, MAX_BYTES["file_type"]),
        "section": _clip_bytes(chunk.section, MAX_BYTES["section"]),
        "page": int(chunk.page),
        "chunk_index": int(chunk.chunk_index),
        "content_hash": chunk.content_hash,
        VECTOR_FIELD: vector.tolist(),
    }


def _hit(raw: dict[str, Any]) -> Hit:
    entity = raw.get("entity", {})
    return Hit(
        id=str(raw["id"]),
        score=float(raw["distance"]),
        text=entity.get("text", ""),
        source=entity.get("source", ""),
        file_type=entity.get("file_type", ""),
        section=entity.get("section", ""),
        page=int(entity.get("page", -1)),
        chunk_index=int(entity.get("chunk_index", 0)),
    )
