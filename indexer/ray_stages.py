"""The two actor stages of the Ray engine: chunk and plan files; encode and upsert chunks.

Rows are dicts of numpy arrays with three columns: ``file`` (the file's index in the
driver's list), ``collection`` (``""`` on a file's plan row) and ``payload`` (a pickled
:class:`FilePlan` or :class:`~indexer.types.Chunk`). Pickled, because file names and
texts may hold surrogates that Arrow refuses, and so the local engine's dataclasses
travel unchanged. The stages reuse the local engine's detection (``detect_tasks``), planning
(``checked_plan``: limits, then ids already stored), partitioning pool and encoding
(``encode_texts``: each distinct text once, longest first in slices).
"""

from __future__ import annotations

import logging
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.settings import Settings
from indexer.encode_batches import encode_texts
from indexer.names import display_name
from indexer.pipeline import IndexOptions, checked_plan, detect_tasks
from indexer.report import FileResult
from indexer.store_guard import guarded
from indexer.stores import open_store
from indexer.stores.base import StoreUnavailableError, StoreWriteError, VectorStore
from indexer.types import Chunk
from indexer.workers import Outcome, Partitioner

logger = logging.getLogger(__name__)

Batch = dict[str, np.ndarray]

#: ``file`` of the row that says the store became unreachable (payload: the message), and
#: of the row that says it refused a write (a full disk). Sent as data: Ray Data's task
#: errors do not keep the exception's type.
STORE_ERROR = -1
STORE_WRITE_ERROR = -2


@dataclass(frozen=True)
class FilePlan:
    """The chunk stage's decision for one file.

    ``result`` is final (skipped, failed, unchanged) when there is nothing to write;
    otherwise ``new`` counts the chunks sent to the encoders per collection and
    ``stale`` lists the ids to delete once all of them are written.
    """

    result: FileResult | None = None
    chunks: int = 0
    new: dict[str, int] = field(default_factory=dict)
    stale: dict[str, list[str]] = field(default_factory=dict)


class _Rows:
    """Output rows of a stage; chunk rows sorted by collection, then text length."""

    def __init__(self) -> None:
        self.plans: list[tuple[int, FilePlan]] = []
        self.chunks: list[tuple[int, str, Chunk]] = []

    def batch(self) -> Batch:
        self.chunks.sort(key=lambda row: (row[1], len(row[2].text)))
        rows = [(f, "", pickle.dumps(p)) for f, p in self.plans]
        rows += [(f, c, pickle.dumps(chunk)) for f, c, chunk in self.chunks]
        return {
            "file": np.array([r[0] for r in rows], dtype=np.int64),
            "collection": np.array([r[1] for r in rows], dtype=object),
            "payload": np.array([r[2] for r in rows], dtype=object),
        }


def store_error(exc: StoreUnavailableError | StoreWriteError) -> Batch:
    """The one row a stage returns once the store is unreachable or refuses a write."""
    file = STORE_WRITE_ERROR if isinstance(exc, StoreWriteError) else STORE_ERROR
    return {
        "file": np.array([file], dtype=np.int64),
        "collection": np.array([""], dtype=object),
        "payload": np.array([str(exc).encode("utf-8", "replace")], dtype=object),
    }


class _Stage:
    """Opens the store on first use, inside a call, so that failing to reach it
    becomes a :data:`STORE_ERROR` row rather than a failed actor."""

    def __init__(self, uri: str, token: str, retry_s: float | None) -> None:
        self._uri, self._token, self._retry_s = uri, token, retry_s
        self._opened: VectorStore | None = None

    def _store(self) -> VectorStore:
        if self._opened is None:
            self._opened = open_store(self._uri, self._token, self._retry_s)
        return self._opened


class ChunkStage(_Stage):
    """Ray Data callable class: paths -> sniff, partition (own worker, per-file timeout),
    chunk, and plan against the store (ids already stored for each source)."""

    def __init__(
        self,
        options: IndexOptions,
        collections: list[str],
        uri: str,
        token: str = "",
        retry_s: float | None = None,
    ) -> None:
        super().__init__(uri, token, retry_s)
        self._options = options
        self._collections = dict.fromkeys(collections)
        workers = 1 if options.workers else 0
        self._partitioner = Partitioner(workers, options.timeout_s, options.chunking, wait=True)

    def __call__(self, batch: Batch) -> Batch:
        try:
            return self._chunk(batch)
        except (StoreUnavailableError, StoreWriteError) as exc:
            return store_error(exc)

    def _chunk(self, batch: Batch) -> Batch:
        paths = {
            Path(os.fsdecode(raw)): int(i)
            for raw, i in zip(batch["path"], batch["file"], strict=True)
        }
        by_name = {display_name(path): i for path, i in paths.items()}
        rows = _Rows()
        results: list[FileResult] = []
        tasks = detect_tasks(list(paths), self._options, results.append)
        for result in results:
            file = by_name[result.path]
            rows.plans.append((file, FilePlan(result)))
        for outcome in self._partitioner.partition(tasks):
            self._plan_file(paths[outcome.task.path], outcome, rows)
        return rows.batch()

    def _plan_file(self, file: int, outcome: Outcome, rows: _Rows) -> None:
        results: list[FileResult] = []
        item = checked_plan(
            outcome, self._collections, self._store(), self._options, results.append
        )
        rows.plans += [(file, FilePlan(result)) for result in results]
        if item is not None:
            new = {coll: len(chunks) for coll, chunks in item.new.items()}
            stale = {coll: sorted(ids) for coll, ids in item.stale.items()}
            rows.plans.append((file, FilePlan(None, item.chunks, new, stale)))
            rows.chunks += [(file, coll, c) for coll, chunks in item.new.items() for c in chunks]

    def __del__(self) -> None:
        partitioner = getattr(self, "_partitioner", None)  # absent if its workers never started
        if partitioner is not None:
            partitioner.close()


class EncodeStage(_Stage):
    """Ray Data callable class: chunk rows -> encode per collection -> upsert by URI.

    Plan rows pass through; each chunk row comes back with an empty payload, as the
    acknowledgement that it is stored.
    """

    def __init__(
        self,
        targets: dict[str, str],
        settings: Settings,
        uri: str,
        slice_size: int,
        token: str = "",
        retry_s: float | None = None,
    ) -> None:
        from encoders import build_encoder

        super().__init__(uri, token, retry_s)
        self._slice_size = slice_size
        self._encoders = {coll: build_encoder(name, settings) for coll, name in targets.items()}

    def __call__(self, batch: Batch) -> Batch:
        collections = batch["collection"]
        try:
            self._write(collections, batch["payload"])
        except (StoreUnavailableError, StoreWriteError) as exc:
            return store_error(exc)  # no acknowledgement: no stale id is deleted
        payload = [b"" if c else p for c, p in zip(collections, batch["payload"], strict=True)]
        return {**batch, "payload": np.array(payload, dtype=object)}

    def _write(self, collections: np.ndarray, payloads: np.ndarray) -> None:
        for coll, encoder in self._encoders.items():
            rows = [k for k, c in enumerate(collections) if c == coll]
            if rows:
                chunks = [pickle.loads(payloads[k]) for k in rows]
                texts = [c.text for c in chunks]
                vectors = encode_texts(encoder, texts, slice_size=self._slice_size)  # (n, dim)
                store = self._store()
                guarded(store, store.upsert, coll, chunks, vectors)
