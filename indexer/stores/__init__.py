"""Vector stores behind one protocol: Milvus (Lite file or server URI) and in-memory."""

from indexer.stores.base import (
    CollectionInfo,
    CollectionMismatchError,
    Filters,
    StoreUnavailableError,
    VectorStore,
)

__all__ = [
    "CollectionInfo",
    "CollectionMismatchError",
    "Filters",
    "StoreUnavailableError",
    "VectorStore",
    "open_store",
]


def open_store(uri: str, token: str = "") -> VectorStore:
    """The Milvus store for ``uri`` (a ``.db`` file path or ``http://host:19530``)."""
    from indexer.stores.milvus import MilvusStore

    return MilvusStore(uri, token=token)
