"""Milvus calls beneath the store, for timing what the store itself adds (fetching every
field, one query for ids then another for fields) and for building the schema before
full-text search. Only pymilvus's public client, on a connection of its own (``alias``),
so it never shares, or closes, the store's; never a store's private members."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.settings import hide_lite_uri_from_pymilvus, is_server_uri
from indexer.stores import milvus_engine
from indexer.stores.base import CollectionInfo
from indexer.stores.milvus import META_PREFIX
from indexer.stores.milvus_expr import ids_expression
from indexer.stores.milvus_rows import SCALAR_FIELDS, VECTOR_FIELD, collection_schema

#: Every field a hit carries back (what ``VectorStore.search`` fetches).
FIELDS = SCALAR_FIELDS


def raw_client(uri: str) -> Any:
    """A ``pymilvus.MilvusClient`` on ``uri`` (a Lite file or a server) with its own
    connection alias. Close it with ``.close()``; a Lite file stays served until the last
    store on it closes."""
    hide_lite_uri_from_pymilvus()
    from pymilvus import MilvusClient

    return MilvusClient(uri=uri, alias=f"distilsearch-bench-{uuid.uuid4().hex}")


def search_params(client: Any, uri: str, top_k: int) -> dict[str, Any]:
    """The dense search parameters the store would use on this engine for ``top_k``."""
    choice = milvus_engine.engine_index(client, is_server_uri(uri))
    return {"metric_type": "IP", "params": milvus_engine.dense_search_params(choice, top_k)}


def search(
    client: Any,
    collection: str,
    vectors: np.ndarray,
    top_k: int,
    params: dict[str, Any],
    fields: Sequence[str] = (),
) -> list[list[dict[str, Any]]]:
    """Dense search of ``(n, dim)`` query vectors returning ``fields`` (none: ids and
    distances only)."""
    return client.search(
        collection,
        data=np.asarray(vectors).tolist(),
        anns_field=VECTOR_FIELD,
        limit=top_k,
        output_fields=list(fields),
        search_params=params,
    )


def fetch(client: Any, collection: str, ids: Sequence[str], fields: Sequence[str] = FIELDS):
    """Rows of ``ids`` with ``fields``, one query by id."""
    return client.query(collection, filter=ids_expression(list(ids)), output_fields=list(fields))


def create_dense_only(client: Any, name: str, info: CollectionInfo) -> None:
    """A collection with the schema before full-text search (no BM25 field), made the way
    the store once made it, on the Lite engine's index."""
    schema = collection_schema(info.dim, META_PREFIX + info.to_json(), full_text=False)
    index = milvus_engine.index_params(client, milvus_engine.LITE_INDEX, full_text=False)
    client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
