"""``distilsearch index --engine ray``: the Ray Data engine behind the index command.

The walk, ``--rebuild``, the report, its table and the exit codes are the index
command's; only the run differs (:mod:`indexer.ray_engine`). A Milvus Lite file is
served over gRPC for the run when Ray is local (a file cannot be opened by several
processes); with ``--ray-address`` it needs a Milvus server URI.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from core.settings import Settings
from indexer.pipeline import IndexOptions
from indexer.ray_engine import INSTALL_HINT, RayOptions, ray_installed
from indexer.report import IndexReport
from indexer.retrieval import collection_name
from indexer.walk import Walk


def add_ray_options(parser: argparse.ArgumentParser) -> None:
    """``--engine``, ``--ray-address`` and ``--ray-encoders``."""
    parser.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="local (default): this process and --workers partitioning "
        "processes; ray: Ray Data actor pools, locally or on a cluster "
        "(pip install 'distilsearch[ray]')",
    )
    parser.add_argument(
        "--ray-address",
        help="with --engine ray: a running cluster (ray://host:10001 or "
        "auto; default: start Ray on this machine); needs an http:// "
        "Milvus URI",
    )
    parser.add_argument(
        "--ray-encoders",
        type=int,
        default=1,
        help="with --engine ray: encoding actors (default 1); --workers sets the chunking actors",
    )


def ray_options_from_args(args: argparse.Namespace) -> RayOptions | None:
    """Ray's options for ``--engine ray`` (``ValueError`` naming the install when Ray is
    missing); None for the local engine."""
    if args.engine != "ray":
        return None
    if not ray_installed():
        raise ValueError(INSTALL_HINT)
    return RayOptions(
        address=args.ray_address, chunk_actors=max(1, args.workers), encode_actors=args.ray_encoders
    )


def index_on_ray(
    settings: Settings,
    walk: Walk,
    encoder_names: Sequence[str],
    options: IndexOptions,
    rebuild: bool,
    ray_options: RayOptions,
) -> tuple[IndexReport, dict[str, int]]:
    """Run the Ray engine under a progress bar; ``(report, chunks per collection)``."""
    from tqdm import tqdm

    from encoders import build_encoder
    from indexer.ray_engine import (
        RayStartError,
        index_files_ray,
        ray_store_uri,
        start_ray,
        unstarted_report,
    )
    from indexer.stores import open_store
    from shell.index_command import _prepare_collections

    encoders = [build_encoder(name, settings) for name in encoder_names]
    with ray_store_uri(settings.milvus_uri, ray_options.address) as uri:
        store = open_store(uri, settings.milvus_token)
        try:
            _prepare_collections(store, settings, encoders, rebuild)
            total = len(walk.files) + len(walk.skipped)
            try:
                session = start_ray(ray_options)
            except RayStartError as exc:  # tried twice: the report says so, exit code 6
                names = [collection_name(settings.collection, e.name) for e in encoders]
                return unstarted_report(walk.files, walk.skipped, names, str(exc)), {}
            with (
                session,
                tqdm(total=total, unit="file", desc="indexing (ray)", dynamic_ncols=True) as bar,
            ):
                started = time.perf_counter()

                def progress(_result: object, chunks_written: int) -> None:
                    bar.update()
                    rate = chunks_written / max(time.perf_counter() - started, 1e-9)
                    bar.set_postfix(chunks=chunks_written, chunks_per_s=f"{rate:.1f}")

                report = index_files_ray(
                    walk.files,
                    encoders,
                    store,
                    uri,
                    settings,
                    options,
                    ray_options,
                    progress,
                    walk.skipped,
                )
            counts = {} if report.error else {n: store.count(n) for n in report.collections}
        finally:
            store.close()
    return report, counts
