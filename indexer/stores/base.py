"""The ``VectorStore`` protocol, collection metadata, and filter and query validation."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from indexer.stores.fusion import DEFAULT_FUSION, Fusion
from indexer.types import FILTERABLE_FIELDS, Chunk, Hit

#: Field -> one value or a list of values (OR). Only ``FILTERABLE_FIELDS`` are allowed.
Filters = Mapping[str, "str | int | Sequence[str] | Sequence[int]"]

INT_FIELDS = frozenset({"page"})
MAX_FILTER_VALUES = 256
MAX_FILTER_VALUE_CHARS = 4096
MAX_TOP_K = 1000
#: The longest keyword query a store accepts (UTF-8 bytes; Milvus's VARCHAR limit).
MAX_QUERY_TEXT_BYTES = 65535


class StoreUnavailableError(RuntimeError):
    """The store cannot be opened or reached (locked file, server down)."""


class StoreWriteError(RuntimeError):
    """The store refused a write: its disk is full, read-only or failing. The message names
    the cause and the folder that holds the data (:mod:`indexer.stores.faults`)."""


class CollectionMismatchError(RuntimeError):
    """A collection was built with another encoder than the one querying it."""


class FullTextUnavailableError(RuntimeError):
    """Keyword or hybrid search on a collection built before it had a BM25 field."""

    def __init__(self, collection: str, location: str) -> None:
        super().__init__(
            f"collection {collection!r} at {location} was built before keyword search "
            "existed: it has no full-text (BM25) field, so keyword and hybrid search cannot "
            "run on it (dense search still works). Run `distilsearch upgrade` (or index "
            "again): the field is added in place, keeping every chunk and vector, with "
            "nothing re-encoded."
        )
        self.collection = collection


@dataclass(frozen=True)
class CollectionInfo:
    """What a collection records about the encoder that filled it."""

    encoder: str
    dim: int
    fingerprint: str

    def __post_init__(self) -> None:
        if self.dim < 1:
            raise ValueError(f"dim must be >= 1, got {self.dim}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> CollectionInfo:
        data = json.loads(raw)
        return cls(
            encoder=str(data["encoder"]), dim=int(data["dim"]), fingerprint=data["fingerprint"]
        )

    def check_compatible(self, other: CollectionInfo, collection: str) -> None:
        """Raise :class:`CollectionMismatchError` unless ``other`` encodes like ``self``."""
        if self.dim != other.dim or self.fingerprint != other.fingerprint:
            raise CollectionMismatchError(
                f"collection {collection!r} was built with encoder {self.encoder!r} "
                f"(dim {self.dim}, fingerprint {self.fingerprint}); it cannot be used with "
                f"{other.encoder!r} (dim {other.dim}, fingerprint {other.fingerprint}). "
                "Index again with that encoder, or pick the matching collection."
            )


@runtime_checkable
class VectorStore(Protocol):
    """Chunk records with one vector each, grouped in named collections."""

    #: True when the data lives in a Milvus server rather than a local file or memory.
    is_server: bool

    @property
    def location(self) -> str:
        """Where the data lives (a server URI, a file path, ``memory``), for messages."""
        ...

    def disk_bytes(self) -> int | None:
        """Bytes the store's local file takes; None when its storage is not a local file."""
        ...

    def collection_bytes(self, name: str) -> int | None:
        """Bytes collection ``name`` takes in the store's local file (its own table and
        indexes, and its share of tables collections share); None when not measurable (a
        server, memory, no such collection)."""
        ...

    def texts(self, name: str) -> Iterator[tuple[str, str]]:
        """Every stored ``(id, text)`` of ``name`` (training text for distillation)."""
        ...

    def close(self) -> None:
        """Release the connection (and, for a Lite file, its lock)."""
        ...

    def ensure_collection(self, name: str, info: CollectionInfo) -> None:
        """Create ``name`` for ``info``'s encoder, or check an existing one matches it."""
        ...

    def collection_info(self, name: str) -> CollectionInfo | None:
        """The encoder record of ``name``; None when it does not exist."""
        ...

    def list_collections(self) -> list[str]: ...

    def upsert(self, name: str, chunks: Sequence[Chunk], vectors: np.ndarray) -> int:
        """Insert or replace ``chunks`` (by id) with ``vectors`` ``(n, dim)``; returns n."""
        ...

    def delete(self, name: str, ids: Sequence[str]) -> int:
        """Delete chunks by id; returns how many ids were asked for."""
        ...

    def search(
        self, name: str, vectors: np.ndarray, top_k: int, filters: Filters | None = None
    ) -> list[list[Hit]]:
        """Nearest chunks for each query row of ``vectors`` ``(q, dim)``, best first."""
        ...

    def has_full_text(self, name: str) -> bool:
        """True when ``name`` can answer keyword and hybrid searches (it has a BM25 field);
        False for a collection built before that field existed (``KeyError`` if missing)."""
        ...

    def upgrade_full_text(self, name: str) -> int:
        """Give an older collection its BM25 field, keeping every row and vector; returns
        the rows copied (0 when the collection already had the field)."""
        ...

    def search_text(
        self, name: str, queries: Sequence[str], top_k: int, filters: Filters | None = None
    ) -> list[list[Hit]]:
        """BM25 keyword search, best first, ``Hit.score`` = BM25 score. Only chunks sharing
        an analysed term with the query are returned, so a list may be short or empty.
        Raises :class:`FullTextUnavailableError` on a collection without a BM25 field."""
        ...

    def search_hybrid(
        self,
        name: str,
        vectors: np.ndarray,
        queries: Sequence[str],
        top_k: int,
        filters: Filters | None = None,
        fusion: Fusion = DEFAULT_FUSION,
    ) -> list[list[Hit]]:
        """Dense rows of ``vectors`` ``(q, dim)`` and keyword ``queries`` (one each), fused
        per :class:`Fusion` over each side's best ``candidate_depth(top_k)``; ``Hit.score``
        is the fused score. Raises :class:`FullTextUnavailableError` like ``search_text``."""
        ...

    def ids(self, name: str, filters: Filters | None = None) -> set[str]:
        """Ids of the chunks that match ``filters`` (all when None)."""
        ...

    def count(self, name: str, filters: Filters | None = None) -> int: ...

    def sources(self, name: str) -> dict[str, int]:
        """Source path -> number of chunks."""
        ...

    def drop(self, name: str) -> None: ...


def validate_filters(filters: Filters | None) -> dict[str, list[str] | list[int]]:
    """Check field names against the allow-list and value types; normalise to lists.

    Raises ``ValueError`` naming the offending field.
    """
    if not filters:
        return {}
    clean: dict[str, list[str] | list[int]] = {}
    for field, raw in filters.items():
        if field not in FILTERABLE_FIELDS:
            raise ValueError(
                f"filter field {field!r} is not allowed; use one of {', '.join(FILTERABLE_FIELDS)}"
            )
        values = list(raw) if isinstance(raw, list | tuple | set | frozenset) else [raw]
        if not values:
            raise ValueError(f"filter field {field!r} has no values")
        if len(values) > MAX_FILTER_VALUES:
            raise ValueError(f"filter field {field!r} has more than {MAX_FILTER_VALUES} values")
        if field in INT_FIELDS:
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                raise ValueError(f"filter field {field!r} takes integers")
            clean[field] = [int(v) for v in values]
        else:
            if not all(isinstance(v, str) for v in values):
                raise ValueError(f"filter field {field!r} takes strings")
            for value in values:
                if len(value) > MAX_FILTER_VALUE_CHARS:
                    raise ValueError(f"filter value for {field!r} is too long")
                if any(ord(ch) < 32 for ch in value):
                    raise ValueError(f"filter value for {field!r} contains control characters")
            clean[field] = [str(v) for v in values]
    return clean


def check_top_k(top_k: int) -> int:
    """Bound ``top_k`` to ``[1, MAX_TOP_K]``; raise ``ValueError`` outside it."""
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise ValueError(f"top_k must be an integer in [1, {MAX_TOP_K}], got {top_k!r}")
    return top_k


def check_vectors(vectors: np.ndarray, dim: int, what: str) -> np.ndarray:
    """Return ``vectors`` as contiguous float32 ``(n, dim)``; raise on shape or NaN."""
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2 or array.shape[1] != dim:
        raise ValueError(f"{what} must have shape (n, {dim}), got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{what} contain NaN or infinite values")
    return np.ascontiguousarray(array)


def check_query_texts(queries: Sequence[str], expected: int | None = None) -> list[str]:
    """``queries`` as a list of non-blank strings within :data:`MAX_QUERY_TEXT_BYTES`;
    ``ValueError`` otherwise, or when there are not ``expected`` of them."""
    if isinstance(queries, str) or not all(isinstance(q, str) for q in queries):
        raise ValueError("keyword queries must be a list of strings")
    texts = list(queries)
    if expected is not None and len(texts) != expected:
        raise ValueError(f"{len(texts)} keyword queries for {expected} query vectors")
    for text in texts:
        if not text.strip():
            raise ValueError("keyword query is empty")
        if len(text.encode("utf-8", errors="replace")) > MAX_QUERY_TEXT_BYTES:
            raise ValueError(f"keyword query is longer than {MAX_QUERY_TEXT_BYTES} bytes")
    return texts


def check_hybrid_request(
    vectors: np.ndarray, dim: int, queries: Sequence[str], top_k: int
) -> tuple[np.ndarray, list[str]]:
    """A hybrid search's inputs checked as every store checks them: ``top_k``, the dense
    query rows ``(q, dim)``, and one keyword query per row."""
    check_top_k(top_k)
    dense = check_vectors(vectors, dim, "query vectors")
    return dense, check_query_texts(queries, expected=len(dense))
