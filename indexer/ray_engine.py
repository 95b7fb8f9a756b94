"""Index with Ray Data: files -> chunk and plan (actors) -> encode and upsert (actors) -> Milvus.

The driver walks nothing itself (it gets the walk's files), ensures one collection per
encoder, streams the files through :class:`~indexer.ray_stages.ChunkStage` (sniff,
partition in a worker under the per-file timeout, chunk, plan against the store) and
:class:`~indexer.ray_stages.EncodeStage` (the registry's encoders, upsert by URI), and
deletes a file's stale ids only once every new chunk of that file is acknowledged: the
local engine's order, so a killed run converges on rerun. Ids, statuses and the
:class:`~indexer.report.IndexReport` are the local engine's.

Stages run in actor pools of ``actor_cpus`` (0.5) CPUs each: at the default 1 CPU, two
actors on a 2-core machine starved the stages downstream of them.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pickle
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import Settings, is_server_uri
from encoders import Encoder
from indexer.names import display_name, source_name
from indexer.pipeline import (
    IndexOptions,
    ProgressFn,
    fail_unwritten,
    finish_report,
    prune_missing,
)
from indexer.ray_stages import STORE_ERROR, ChunkStage, EncodeStage, FilePlan
from indexer.report import FileResult, IndexReport
from indexer.retrieval import collection_name
from indexer.stores.base import CollectionInfo, StoreUnavailableError, VectorStore
from indexer.walk import SkippedPath
from indexer.workers import Task

logger = logging.getLogger(__name__)

INSTALL_HINT = "--engine ray needs Ray: pip install 'distilsearch[ray]' (ray[data] 2.60)"


@dataclass(frozen=True)
class RayOptions:
    """Where Ray runs and how its actor pools are sized."""

    address: str | None = None  # None: start a local Ray on this machine
    num_cpus: int | None = None  # a local Ray's CPUs (None: all of them)
    chunk_actors: int = 1  # each with one partitioning process
    encode_actors: int = 1
    actor_cpus: float = 0.5
    files_per_batch: int = 4

    def __post_init__(self) -> None:
        if self.chunk_actors < 1 or self.encode_actors < 1:
            raise ValueError("Ray actor pools need at least one actor each")
        if self.actor_cpus <= 0 or self.files_per_batch < 1:
            raise ValueError("actor_cpus must be > 0 and files_per_batch >= 1")


def ray_installed() -> bool:
    """True when ``ray`` can be imported (the ``ray`` extra)."""
    return importlib.util.find_spec("ray") is not None


@contextmanager
def ray_session(options: RayOptions) -> Iterator[float]:
    """Connect to (or start) Ray, offline and without the dashboard; yield seconds taken.

    A Ray already initialised in this process is used as it is and left running.
    """
    import ray

    started = time.perf_counter()
    owned = not ray.is_initialized()
    if owned:
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"  # never phone home
        local = {"num_cpus": options.num_cpus} if options.address is None else {}
        ray.init(
            address=options.address,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
            **local,
        )
        ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield time.perf_counter() - started
    finally:
        if owned:
            ray.shutdown()


@contextmanager
def ray_store_uri(uri: str, address: str | None) -> Iterator[str]:
    """A URI every Ray worker can write to: a server URI as it is; a Lite file served.

    A Lite file cannot be opened by several processes, so for a local Ray it is served
    over gRPC for the run (``indexer.stores.lite_server``). A remote cluster cannot reach
    this machine's file: that needs a Milvus server URI, and is refused.
    """
    if is_server_uri(uri):
        yield uri
        return
    if address is not None:
        raise ValueError(
            f"--engine ray with --ray-address needs a Milvus server (http://host:19530); "
            f"the cluster cannot open the Milvus Lite file {uri}"
        )
    from indexer.stores.lite_server import running_lite_server

    with running_lite_server(Path(uri)) as served:
        logger.info("serving %s at %s for the Ray workers", uri, served)
        yield served


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
    for name, encoder in targets.items():
        store.ensure_collection(
            name, CollectionInfo(encoder.name, encoder.dim, encoder.fingerprint)
        )
    report = IndexReport(collections=sorted(targets))
    unique = list(dict.fromkeys(files))
    tracker = _Tracker(unique, store, report, on_file)
    for entry in skipped:
        tracker.record(FileResult(display_name(entry.path), "skipped", reason=entry.reason))
    names = {coll: encoder.name for coll, encoder in targets.items()}
    try:
        if unique:
            for batch in _dataset(unique, names, settings, uri, options, ray_options).iter_batches(
                batch_size=None, batch_format="numpy"
            ):
                tracker.take(batch)
        if options.prune_roots:
            seen = [Task(path, source_name(path), "", "") for path in unique]
            report.chunks_deleted += prune_missing(
                store, targets, options.prune_roots, seen, report
            )
    except StoreUnavailableError as exc:  # from the driver's deletes or an actor's row
        tracker.stop(str(exc))
    return finish_report(report, unique, started)


def _dataset(
    files: list[Path],
    targets: dict[str, str],
    settings: Settings,
    uri: str,
    options: IndexOptions,
    ray_options: RayOptions,
) -> Any:
    """The Ray Data plan: file rows -> ChunkStage actors -> EncodeStage actors."""
    import ray

    items = [{"file": i, "path": os.fsencode(path)} for i, path in enumerate(files)]
    blocks = max(1, min(len(items), -(-len(items) // ray_options.files_per_batch)))
    token = settings.milvus_token
    chunked = ray.data.from_items(items, override_num_blocks=blocks).map_batches(
        ChunkStage,
        fn_constructor_kwargs={
            "options": options,
            "collections": sorted(targets),
            "uri": uri,
            "token": token,
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

    def stop(self, error: str) -> None:
        """The store became unreachable: every file not reported fails, nothing lost."""
        fail_unwritten(self._report, self._files, error, self.record)
