"""Milvus plumbing the store needs but callers never see: rows, hits, errors, Lite paths."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.stores.base import StoreUnavailableError
from indexer.stores.lite_server import check_db_name
from indexer.types import Chunk, Hit

VECTOR_FIELD = "vector"
#: BM25 term weights, filled by Milvus from ``text`` (never sent by the store).
SPARSE_FIELD = "sparse"
BM25_FUNCTION = "text_bm25"
#: Tokenise, lower-case, Snowball-stem, drop English stop words (mirrored in bm25.py).
ANALYZER = {"type": "english"}
#: Okapi BM25 parameters, the same as the in-memory store's.
BM25_INDEX_PARAMS = {"inverted_index_algo": "DAAT_MAXSCORE", "bm25_k1": 1.2, "bm25_b": 0.75}
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


def collection_schema(dim: int, description: str, full_text: bool = True) -> Any:
    """The ``pymilvus`` schema of a collection: primary ``id``, the scalar fields, a
    ``dim``-wide float ``vector``, and ``sparse``, which a BM25 function fills from the
    analysed ``text``; ``description`` carries the encoder record. ``full_text=False``
    gives the schema collections had before keyword search (for cost comparisons)."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    schema = MilvusClient.create_schema(
        auto_id=False, enable_dynamic_field=False, description=description
    )
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=MAX_BYTES["id"])
    analysed = {"enable_analyzer": True, "analyzer_params": ANALYZER} if full_text else {}
    schema.add_field("text", DataType.VARCHAR, max_length=MAX_BYTES["text"], **analysed)
    for field in ("source", "file_type", "section", "content_hash"):
        schema.add_field(field, DataType.VARCHAR, max_length=MAX_BYTES[field])
    schema.add_field("page", DataType.INT64)
    schema.add_field("chunk_index", DataType.INT64)
    schema.add_field(VECTOR_FIELD, DataType.FLOAT_VECTOR, dim=dim)
    if not full_text:
        return schema
    schema.add_field(SPARSE_FIELD, DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(
        Function(
            name=BM25_FUNCTION,
            function_type=FunctionType.BM25,
            input_field_names=["text"],
            output_field_names=[SPARSE_FIELD],
        )
    )
    return schema


def has_bm25_field(described: dict[str, Any]) -> bool:
    """True when a ``describe_collection`` answer has the BM25 output field.

    Collections created before keyword search have only ``vector``. (Milvus Lite 2.5.1
    lists no ``functions`` but marks the field ``is_function_output``.)
    """
    from pymilvus import DataType

    return any(
        field.get("name") == SPARSE_FIELD and field.get("type") == DataType.SPARSE_FLOAT_VECTOR
        for field in described.get("fields", [])
    )


def check_lite_path(db_file: Path) -> None:
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


def is_unavailable(exc: Exception) -> bool:
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


def clip_bytes(value: str, limit: int) -> str:
    """Cut ``value`` to at most ``limit`` UTF-8 bytes without splitting a character."""
    raw = value.encode("utf-8", errors="replace")
    if len(raw) <= limit:
        return value.encode("utf-8", errors="replace").decode("utf-8")
    return raw[:limit].decode("utf-8", errors="ignore")


def chunk_row(chunk: Chunk, vector: np.ndarray) -> dict[str, Any]:
    """The insert row of ``chunk``. NUL characters in the text become spaces: Milvus's
    analyzer stops at the first NUL (measured), which would hide the words after it from
    keyword search. ``sparse`` is left out: the BM25 function fills it."""
    if len(chunk.source.encode("utf-8", errors="replace")) > MAX_BYTES["source"]:
        raise ValueError(
            f"source path longer than {MAX_BYTES['source']} bytes: {chunk.source[:80]}…"
        )
    return {
        "id": chunk.id,
        "text": clip_bytes(chunk.text.replace("\x00", " "), MAX_BYTES["text"]),
        "source": chunk.source,
        "file_type": clip_bytes(chunk.file_type, MAX_BYTES["file_type"]),
        "section": clip_bytes(chunk.section, MAX_BYTES["section"]),
        "page": int(chunk.page),
        "chunk_index": int(chunk.chunk_index),
        "content_hash": chunk.content_hash,
        VECTOR_FIELD: vector.tolist(),
    }


def row_batches(
    chunks: Sequence[Chunk], vectors: np.ndarray, size: int
) -> Iterator[list[dict[str, Any]]]:
    """Insert rows of ``chunks`` with their ``vectors`` ``(n, dim)``, ``size`` at a time."""
    for start in range(0, len(chunks), size):
        pairs = zip(chunks[start : start + size], vectors[start : start + size], strict=True)
        yield [chunk_row(chunk, vector) for chunk, vector in pairs]


def hit_from_result(raw: dict[str, Any]) -> Hit:
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
