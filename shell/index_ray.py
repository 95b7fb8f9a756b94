"""``distilsearch index --engine ray``: the flags of the Ray engine
(:mod:`usecases.indexing_ray` runs it)."""

from __future__ import annotations

import argparse

from indexer.ray_engine import INSTALL_HINT, RayOptions, ray_installed


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
