"""Vector stores behind one protocol: Milvus (Lite file or server URI) and in-memory."""

from core.settings import Settings
from indexer.stores.base import (
    MAX_TOP_K,
    CollectionInfo,
    CollectionMismatchError,
    Filters,
    FullTextUnavailableError,
    StoreUnavailableError,
    StoreWriteError,
    VectorStore,
)
from indexer.stores.fusion import Fusion
from indexer.stores.lite_server import die_with_parent, running_lite_server, server_command
from indexer.stores.memory import InMemoryStore

__all__ = [
    "MAX_TOP_K",
    "CollectionInfo",
    "CollectionMismatchError",
    "Filters",
    "FullTextUnavailableError",
    "Fusion",
    "InMemoryStore",
    "StoreUnavailableError",
    "StoreWriteError",
    "VectorStore",
    "die_with_parent",
    "open_store",
    "running_lite_server",
    "server_command",
    "store_for",
]


def open_store(uri: str, token: str = "", retry_s: float | None = None) -> VectorStore:
    """The Milvus store for ``uri`` (a ``.db`` file path or ``http://host:19530``), retrying
    an unreachable server for ``retry_s`` seconds per call (None: the default budget)."""
    from indexer.stores.milvus import MilvusStore
    from indexer.stores.milvus_calls import RETRY_DELAYS_S, retry_delays

    delays = RETRY_DELAYS_S if retry_s is None else retry_delays(retry_s)
    return MilvusStore(uri, token=token, retry_delays=delays)


def store_for(settings: Settings, uri: str | None = None) -> VectorStore:
    """:func:`open_store` on ``uri`` (default: the settings' ``MILVUS_URI``) with the
    settings' token and retry budget."""
    return open_store(uri or settings.milvus_uri, settings.milvus_token, settings.milvus_retry_s)
