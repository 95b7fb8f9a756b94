"""The indexing use case on the Ray engine (:mod:`indexer.ray_engine`).

The walk, the preparation of collections, the report and its rules are the local
engine's (:mod:`usecases.indexing`); only the run differs. A Milvus Lite file is served
over gRPC for the run when Ray is local (a file cannot be opened by several processes);
a cluster needs a Milvus server URI.
"""

from __future__ import annotations

from core.settings import Settings
from encoders import Encoder
from indexer.ray_engine import (
    RayStartError,
    index_files_ray,
    ray_store_uri,
    start_ray,
    unstarted_report,
)
from indexer.report import IndexReport
from indexer.retrieval import collection_name
from indexer.stores import store_for
from indexer.walk import Walk
from usecases.indexing import IndexEvents, IndexRequest, collection_counts, prepare_collections
from usecases.progress import file_bytes


def run_on_ray(
    settings: Settings,
    walk: Walk,
    encoders: list[Encoder],
    request: IndexRequest,
    events: IndexEvents,
) -> tuple[IndexReport, dict[str, int]]:
    """``(report, chunks per collection)`` of a Ray run."""
    ray_options = request.ray
    assert ray_options is not None
    with ray_store_uri(settings.milvus_uri, ray_options.address) as uri:
        store = store_for(settings, uri)
        try:
            prepare_collections(store, settings, encoders, request.rebuild, events)
            try:
                session = start_ray(ray_options)
            except RayStartError as exc:  # tried twice: the report says so
                names = [collection_name(settings.collection, e.name) for e in encoders]
                return unstarted_report(walk.files, walk.skipped, names, str(exc)), {}
            events.started(len(walk.files) + len(walk.skipped), "ray", file_bytes(walk.files))
            with session:
                report = index_files_ray(
                    walk.files,
                    encoders,
                    store,
                    uri,
                    settings,
                    request.options,
                    ray_options,
                    events.file_done,
                    walk.skipped,
                )
            return report, collection_counts(store, report)
        finally:
            store.close()
