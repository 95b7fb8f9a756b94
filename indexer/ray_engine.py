"""Index with Ray Data: files -> chunk and plan (actors) -> encode and upsert (actors) -> Milvus.

The driver walks nothing itself (it gets the walk's files), ensures one collection per
encoder, streams the files through :class:`~indexer.ray_stages.ChunkStage` (sniff,
partition in a worker under the per-file timeout, chunk, plan against the store) and
:class:`~indexer.ray_stages.EncodeStage` (the registry's encoders, upsert by URI), and
deletes a file's stale ids only once every new chunk of that file is acknowledged: the
local engine's order, so a killed run converges on rerun. Ids, statuses and the
:class:`~indexer.report.IndexReport` are the local engine's.

Stages run in actor pools of ``actor_cpus`` (0.5) CPUs each: at the default 1 CPU, two
actors on a 2-core machine starved the stages downstream of them. Starting Ray, its
options and the store URI for its workers: :mod:`indexer.ray_session`.
"""

from __future__ import annotations

import logging
import os
import pickle
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.settings import Settings
from encoders import Encoder
from indexer.names import display_name, source_name
from indexer.pipeline import (
    IndexOptions,
    ProgressFn,
    ensure_collections,
    failure_ledger,
    finish_report,
)
from indexer.prune import prune_missing
from indexer.ray_session import (
    INSTALL_HINT,
    RayOptions,
    RayStartError,
    ray_installed,
    ray_session,
    ray_store_uri,
    start_ray,
)
from indexer.ray_stages import STORE_ERROR, STORE_WRITE_ERROR, ChunkStage, EncodeStage, FilePlan
from indexer.report import FileResult, IndexReport
from indexer.retrieval import collection_name
from indexer.store_guard import stop_run, stops_cleanly
from indexer.stores.base import StoreUnavailableError, StoreWriteError, VectorStore
from indexer.stores.faults import check_room
from indexer.walk import SkippedPath
from indexer.workers import Task

__all__ = [
    "INSTALL_HINT",
    "RayOptions",
    "RayStartError",
    "index_files_ray",
    "ray_installed",
    "ray_session",
    "ray_store_uri",
    "start_ray",
    "unstarted_report",
]

logger = logging.getLogger(__name__)


def index_files_ray(
    files: Sequence[Path],
    encoders: Sequence[Encoder],
    store: VectorStore,
    uri: str,
    settings: Settings,
    options: IndexOptions | None = None,
    ray_options: RayOptions | None = None,
    on_file: ProgressFn | None = None,
    skipped: Sequence[SkippedPath] = (),
) -> IndexReport:
    """:func:`indexer.pipeline.index_files` on Ray: same ids, statuses, order of writes.

    ``store`` is the driver's handle on ``uri`` (a server or a served Lite file), which
    the actors open themselves; Ray must be initialised (:func:`ray_session`).
    """
    options, ray_options = options or IndexOptions(), ray_options or RayOptions()
    started = time.perf_counter()
    targets = {collection_name(settings.collection, e.name): e for e in encoders}
    report = IndexReport(collections=sorted(targets))
    unique = list(dict.fromkeys(files))
    tracker = _Tracker(unique, store, report, on_file)
    for entry in skipped:
        tracker.record(FileResult(display_name(entry.path), entry.status, reason=entry.reason))
    ledger = failure_ledger(options, store, targets)
    to_read = ledger.split(unique, tracker.record) if ledger else unique
    names = {coll: encoder.name for coll, encoder in targets.items()}
    try:
        with stops_cleanly(report, unique, tracker.record):  # the driver's or an actor's
            ensure_collections(store, targets)
            if to_read:
                plan = _dataset(unique, to_read, names, settings, uri, options, ray_options)
                for batch in plan.iter_batches(batch_size=None, batch_format="numpy"):
                    if settings.lite_path is not None:  # served to the actors: checked here
                        check_room(str(settings.lite_path))
                    tracker.take(batch)
            if options.prune_roots:
                seen = [Task(path, source_name(path), "", "") for path in unique]
                report.chunks_deleted += prune_missing(
                    store, targets, options.prune_roots, seen, report
                )
    finally:
        if ledger:
            ledger.update(report)
    return finish_report(report, unique, started)


def unstarted_report(
    files: Sequence[Path],
    skipped: Sequence[SkippedPath],
    collections: Sequence[str],
    error: str,
) -> IndexReport:
    """The report of a run whose engine never started (:class:`RayStartError`): the walk's
    skips, and every file failed "not written" with ``error``."""
    report = IndexReport(collections=sorted(collections))
    for entry in skipped:
        report.files.append(FileResult(display_name(entry.path), entry.status, entry.reason))
    stop_run(report, "engine_start", error, list(dict.fromkeys(files)), report.files.append)
    return report


def _dataset(
    files: list[Path],
    to_read: list[Path],
    targets: dict[str, str],
    settings: Settings,
    uri: str,
    options: IndexOptions,
    ray_options: RayOptions,
) -> Any:
    """The Ray Data plan: rows of ``to_read`` (numbered by their place in ``files``) ->
    ChunkStage actors -> EncodeStage actors."""
    import ray

    wanted = set(to_read)
    items = [{"file": i, "path": os.fsencode(p)} for i, p in enumerate(files) if p in wanted]
    blocks = max(1, min(len(items), -(-len(items) // ray_options.files_per_batch)))
    token = settings.milvus_token
    chunked = ray.data.from_items(items, override_num_blocks=blocks).map_batches(
        ChunkStage,
        fn_constructor_kwargs={
            "options": options,
            "collections": sorted(targets),
            "uri": uri,
            "token": token,
            "retry_s": settings.milvus_retry_s,
        },
        batch_size=ray_options.files_per_batch,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=ray_options.chunk_actors),
        num_cpus=ray_options.actor_cpus,
    )
    return chunked.map_batches(
        EncodeStage,
        fn_constructor_kwargs={
            "targets": targets,
            "settings": settings,
            "uri": uri,
            "slice_size": options.batch_chunks,
            "token": token,
            "retry_s": settings.milvus_retry_s,
        },
        batch_size=options.batch_chunks,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=ray_options.encode_actors),
        num_cpus=ray_options.actor_cpus,
    )


class _Tracker:
    """The driver's side: plans and acknowledgements in, stale deletes and results out."""

    def __init__(
        self,
        files: list[Path],
        store: VectorStore,
        report: IndexReport,
        on_file: ProgressFn | None,
    ) -> None:
        self._files, self._store, self._report, self._on_file = files, store, report, on_file
        self._plans: dict[int, FilePlan] = {}
        self._acks: Counter[int] = Counter()

    def record(self, result: FileResult) -> None:
        self._report.files.append(result)
        if self._on_file is not None:
            self._on_file(result, self._report.chunks_written)

    def take(self, batch: dict[str, Any]) -> None:
        """One batch of the EncodeStage's output rows."""
        for file, coll, payload in zip(
            batch["file"], batch["collection"], batch["payload"], strict=True
        ):
            file = int(file)
            if file == STORE_ERROR:
                raise StoreUnavailableError(payload.decode("utf-8"))
            if file == STORE_WRITE_ERROR:
                raise StoreWriteError(payload.decode("utf-8"))
            if coll:
                self._acks[file] += 1
                self._report.chunks_written += 1
            else:
                plan: FilePlan = pickle.loads(payload)
                if plan.result is not None:
                    self.record(plan.result)
                    continue
                self._plans[file] = plan
            self._finish(file)

    def _finish(self, file: int) -> None:
        """Delete a file's stale ids once all its new chunks are stored; report it."""
        plan = self._plans.get(file)
        if plan is None or self._acks[file] < sum(plan.new.values()):
            return
        for name, ids in plan.stale.items():
            if ids:
                self._store.delete(name, ids)
                self._report.chunks_deleted += len(ids)
        del self._plans[file]
        self.record(FileResult(display_name(self._files[file]), "indexed", plan.chunks))
