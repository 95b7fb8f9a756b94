"""The store fixtures of the contract suites: every store, one fresh collection each.

``store`` runs a test against the in-memory store, Milvus Lite by file, Milvus Lite
served over gRPC by ``http://`` URI, and a real server when ``MILVUS_URI`` names one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.stores import VectorStore
from indexer.stores.memory import InMemoryStore


def _store(kind: str, tmp_path: Path) -> VectorStore:
    if kind == "memory":
        return InMemoryStore()
    from indexer.stores.milvus import MilvusStore

    if kind == "lite":
        return MilvusStore(str(tmp_path / "contract.db"))
    uri = os.environ.get("MILVUS_URI", "")
    if not uri.startswith("http"):
        pytest.skip("MILVUS_URI does not point at a Milvus server")
    return MilvusStore(uri, token=os.environ.get("MILVUS_TOKEN", ""))


@pytest.fixture(scope="session")
def lite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Milvus Lite server process: the store reached by http URI, as in server mode."""
    from indexer.stores.lite_server import running_lite_server

    with running_lite_server(tmp_path_factory.mktemp("served") / "milvus.db") as uri:
        yield uri


@pytest.fixture(
    params=[
        "memory",
        "lite",
        "lite-server",
        pytest.param("server", marks=pytest.mark.milvus_server),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    if request.param == "lite-server":
        from indexer.stores.milvus import MilvusStore

        opened: VectorStore = MilvusStore(request.getfixturevalue("lite_server"))
    else:
        opened = _store(request.param, tmp_path)
    yield opened
    opened.close()  # a Lite store runs a server process per file until closed


@pytest.fixture
def name(store: VectorStore) -> Iterator[str]:
    coll = f"contract_{uuid.uuid4().hex[:8]}"
    yield coll
    store.drop(coll)
