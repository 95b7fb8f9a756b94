"""Milvus behind the ``VectorStore`` protocol: Milvus Lite (file URI) or a server (http URI).

One class serves both; only the URI differs. Each collection holds one encoder's
vectors (``vector`` field, inner product on unit vectors = cosine), the chunk's scalar
fields, and ``sparse``: BM25 term weights that Milvus computes from the analysed
``text`` (keyword and hybrid search; :mod:`indexer.stores.milvus_text`). Collections
built before ``sparse`` existed still serve dense search; ``has_full_text`` tells them
apart and keyword search on them raises ``FullTextUnavailableError``. The encoder record
lives in the collection description. The vector index follows the engine
(:mod:`indexer.stores.milvus_engine`): HNSW on a server, exact FLAT on Milvus Lite 2.5.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from core.settings import hide_lite_uri_from_pymilvus, is_server_uri
from indexer.stores import milvus_engine as engine
from indexer.stores.base import (
    CollectionInfo,
    Filters,
    FullTextUnavailableError,
    check_hybrid_request,
    check_query_texts,
    check_top_k,
    check_vectors,
)
from indexer.stores.fusion import DEFAULT_FUSION, Fusion, candidate_depth
from indexer.stores.lite_server import record_holder
from indexer.stores.lite_size import collection_bytes
from indexer.stores.milvus_calls import (
    CALL_TIMEOUT_S,
    QUERY_BATCH,
    RETRY_DELAYS_S,
    call_with_retries,
    open_client,
    quiet_client_logs,
    scan_rows,
)
from indexer.stores.milvus_expr import build_expression, ids_expression
from indexer.stores.milvus_rows import (
    check_lite_path,
    collection_schema,
    has_bm25_field,
    row_batches,
)
from indexer.stores.milvus_text import SearchTarget
from indexer.types import Chunk, Hit

logger = logging.getLogger(__name__)

#: The encoder record rides in the collection description (Milvus Lite 2.5 cannot alter
#: collection properties).
META_PREFIX = "distilsearch.encoder="
WRITE_BATCH = 512
T = TypeVar("T")


class MilvusStore:
    """A :class:`~indexer.stores.base.VectorStore` over ``pymilvus.MilvusClient``."""

    def __init__(
        self, uri: str, token: str = "", retry_delays: Sequence[float] = RETRY_DELAYS_S
    ) -> None:
        hide_lite_uri_from_pymilvus()
        if not logging.getLogger("distilsearch").isEnabledFor(logging.DEBUG):
            quiet_client_logs()
        self.uri = uri
        self.retry_delays = tuple(retry_delays)
        self.is_server = is_server_uri(uri)
        self._loaded: set[str] = set()
        self._known: dict[str, CollectionInfo] = {}
        self._full_text: set[str] = set()
        self._lock = threading.Lock()
        if not self.is_server:
            check_lite_path(Path(uri).expanduser())
        self._client = open_client(uri, token, self.is_server, self.retry_delays)
        if not self.is_server:
            record_holder(Path(uri).expanduser())

    # -- collections -------------------------------------------------------------------

    def ensure_collection(self, name: str, info: CollectionInfo) -> None:
        existing = self.collection_info(name)
        if existing is not None:
            existing.check_compatible(info, name)
            self._ensure_loaded(name)
            if not self.has_full_text(name):
                logger.warning("%s", FullTextUnavailableError(name, self.location))
            return
        if self._retrying(self._client.has_collection, name):
            raise ValueError(
                f"collection {name!r} at {self.uri} was not created by distilsearch "
                "(it has no encoder record); pick another collection name"
            )
        self._create(name, info)
        self._ensure_loaded(name)

    def upgrade_full_text(self, name: str) -> int:
        """Add the BM25 field to an older collection, keeping every row and vector
        (:mod:`indexer.stores.milvus_upgrade`); rows copied, 0 when none was needed."""
        from indexer.stores.milvus_upgrade import upgrade_full_text

        return upgrade_full_text(self, name)

    def _create(self, name: str, info: CollectionInfo) -> None:
        schema = collection_schema(info.dim, META_PREFIX + info.to_json())
        index = engine.index_params(self._client, self._engine_index)
        create = self._client.create_collection
        self._writing(create, name, schema=schema, index_params=index, consistency_level="Strong")
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
        described = self._describe(name)
        description = described.get("description", "") if described else ""
        if not description.startswith(META_PREFIX):
            return None
        return CollectionInfo.from_json(description.removeprefix(META_PREFIX))

    def has_full_text(self, name: str) -> bool:
        """True when ``name`` has the BM25 field. Only a True answer is remembered: a
        collection rebuilt by another process then works without reopening the store."""
        if name in self._full_text:
            return True
        self._require(name)
        if not has_bm25_field(self._describe(name) or {}):
            return False
        self._full_text.add(name)
        return True

    def _describe(self, name: str) -> dict[str, Any] | None:
        if not self._retrying(self._client.has_collection, name):
            return None
        return self._retrying(self._client.describe_collection, name)

    def list_collections(self) -> list[str]:
        return sorted(self._retrying(self._client.list_collections))

    def drop(self, name: str) -> None:
        self._retrying(self._client.drop_collection, name)
        self._loaded.discard(name)
        self._known.pop(name, None)
        self._full_text.discard(name)

    # -- data --------------------------------------------------------------------------

    def upsert(self, name: str, chunks: Sequence[Chunk], vectors: np.ndarray) -> int:
        info = self._require(name)
        array = check_vectors(vectors, info.dim, "vectors")
        if len(chunks) != len(array):
            raise ValueError(f"{len(chunks)} chunks but {len(array)} vectors")
        for rows in row_batches(chunks, array, WRITE_BATCH):  # no ``sparse``: Milvus fills it
            self._writing(self._client.upsert, name, rows, timeout=CALL_TIMEOUT_S)
        return len(chunks)

    def delete(self, name: str, ids: Sequence[str]) -> int:
        self._require(name)
        ids = list(ids)
        for start in range(0, len(ids), WRITE_BATCH):
            expr = ids_expression(ids[start : start + WRITE_BATCH])
            self._writing(self._client.delete, name, filter=expr, timeout=CALL_TIMEOUT_S)
        return len(ids)

    def search(
        self, name: str, vectors: np.ndarray, top_k: int, filters: Filters | None = None
    ) -> list[list[Hit]]:
        info = self._require(name)
        check_top_k(top_k)
        queries = check_vectors(vectors, info.dim, "query vectors")
        return self._target(name, filters, top_k).dense(queries, top_k)

    def search_text(
        self, name: str, queries: Sequence[str], top_k: int, filters: Filters | None = None
    ) -> list[list[Hit]]:
        self._require(name)
        check_top_k(top_k)
        texts = check_query_texts(queries)
        return self._full_text_target(name, filters, top_k).keyword(texts, top_k)

    def search_hybrid(
        self,
        name: str,
        vectors: np.ndarray,
        queries: Sequence[str],
        top_k: int,
        filters: Filters | None = None,
        fusion: Fusion = DEFAULT_FUSION,
    ) -> list[list[Hit]]:
        info = self._require(name)
        dense, texts = check_hybrid_request(vectors, info.dim, queries, top_k)
        target = self._full_text_target(name, filters, candidate_depth(top_k))
        return target.hybrid(dense, texts, top_k, fusion)

    def _target(self, name: str, filters: Filters | None, limit: int) -> SearchTarget:
        """``name`` with ``filters`` as an expression and dense parameters for ``limit``."""
        params = self._search_params_for(limit)
        return SearchTarget(self._client, self._retrying, name, build_expression(filters), params)

    def _full_text_target(self, name: str, filters: Filters | None, limit: int) -> SearchTarget:
        if not self.has_full_text(name):
            raise FullTextUnavailableError(name, self.location)
        return self._target(name, filters, limit)

    @functools.cached_property
    def _engine_index(self) -> engine.IndexChoice:
        return engine.engine_index(self._client, self.is_server)

    def _search_params_for(self, limit: int) -> dict[str, int]:
        return engine.dense_search_params(self._engine_index, limit)

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

    def texts(self, name: str, batch: int = QUERY_BATCH) -> Iterator[tuple[str, str]]:
        """Every stored ``(id, text)`` of ``name``, read in batches (for distillation)."""
        for row in self._scan(name, None, ["id", "text"]):
            yield str(row["id"]), str(row.get("text", ""))

    @property
    def location(self) -> str:
        """Where the data lives: the server URI or the Lite file's path."""
        return self.uri if self.is_server else str(Path(self.uri).expanduser())

    def disk_bytes(self) -> int | None:
        """Bytes the Lite file takes on disk; None for a server (its storage is its own)."""
        path = Path(self.uri).expanduser()
        return path.stat().st_size if not self.is_server and path.is_file() else None

    def collection_bytes(self, name: str) -> int | None:
        """``name``'s bytes in the Lite file (:mod:`.lite_size`); None for a server."""
        return None if self.is_server else collection_bytes(self.uri, name)

    def _scan(self, name: str, filters: Filters | None, fields: list[str]) -> list[dict[str, Any]]:
        """All rows matching ``filters``: one plain query when they fit, else an iterator."""
        self._require(name)
        return scan_rows(self._client, self._retrying, name, build_expression(filters), fields)

    def _retrying(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A client call under the retry policy of :func:`call_with_retries`."""
        return call_with_retries(call, args, kwargs, uri=self.uri, delays=self.retry_delays)

    def _writing(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """:meth:`_retrying` for a write: a refused one raises ``StoreWriteError`` in words."""
        delays, where = self.retry_delays, self.location
        return call_with_retries(call, args, kwargs, uri=self.uri, delays=delays, writes_to=where)

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
            engine.release_lite(self.uri)
