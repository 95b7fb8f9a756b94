"""Which index each Milvus engine gets, and the Lite engine's lifetime.

The dense index follows the engine: HNSW on a server; exact FLAT on Milvus Lite 2.5,
whose C++ engine offers only FLAT / IVF_FLAT and whose IVF_FLAT returned approximate
results that ``nprobe`` did not change (docs/results/query_latency.md). The BM25 field
gets ``SPARSE_INVERTED_INDEX`` with the ``BM25`` metric on every engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexer.stores.milvus_calls import CALL_TIMEOUT_S, NO_CLIENT_RETRIES
from indexer.stores.milvus_rows import BM25_INDEX_PARAMS, SPARSE_FIELD, VECTOR_FIELD

#: (index type, build params, search params) per engine.
IndexChoice = tuple[str, dict[str, int], dict[str, int]]
SERVER_INDEX: IndexChoice = ("HNSW", {"M": 16, "efConstruction": 200}, {"ef": 64})
LITE_INDEX: IndexChoice = ("FLAT", {}, {})


def engine_index(client: Any, is_server: bool) -> IndexChoice:
    """The dense index for this engine. Milvus Lite served over TCP looks like a server by
    URI; it is told apart by not implementing ``GetVersion``."""
    if not is_server:
        return LITE_INDEX
    import grpc

    try:
        client.get_server_version(timeout=CALL_TIMEOUT_S, retry_times=NO_CLIENT_RETRIES)
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            return LITE_INDEX
    return SERVER_INDEX


def dense_search_params(choice: IndexChoice, limit: int) -> dict[str, int]:
    """Search parameters of ``choice`` for ``limit`` results (HNSW needs ef >= limit)."""
    params = dict(choice[2])
    if "ef" in params:
        params["ef"] = max(params["ef"], limit)
    return params


def index_params(client: Any, choice: IndexChoice, full_text: bool = True) -> Any:
    """Index parameters for a new collection: ``choice`` on ``vector``, BM25 on ``sparse``
    (left out with ``full_text=False``, the schema before keyword search)."""
    index = client.prepare_index_params()
    index_type, build_params, _ = choice
    index.add_index(VECTOR_FIELD, index_type=index_type, metric_type="IP", params=build_params)
    if not full_text:
        return index
    index.add_index(
        SPARSE_FIELD,
        index_type="SPARSE_INVERTED_INDEX",
        metric_type="BM25",
        params=BM25_INDEX_PARAMS,
    )
    return index


def release_lite(uri: str) -> None:
    """Stop this process's Milvus Lite server for the file ``uri``, freeing its lock."""
    try:
        from milvus_lite.server_manager import server_manager_instance
    except ImportError:
        return
    server_manager_instance.release_server(str(Path(uri).expanduser().absolute()))
