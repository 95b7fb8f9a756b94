"""What every ``distilsearch`` subcommand shares: log format, exit codes, handler type, store
options."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from core.settings import Settings, load_settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_SOME_FILES_FAILED = 3
EXIT_STORE_UNAVAILABLE = 4
EXIT_STORE_WRITE_FAILED = 5  # the store refused a write: disk full, read-only, I/O error
EXIT_ENGINE_FAILED = 6  # --engine ray: Ray did not start (tried twice)
#: ``IndexReport.stopped_by`` -> the exit code of a run that stopped early
STOP_EXIT_CODES = {
    "store_unreachable": EXIT_STORE_UNAVAILABLE,
    "store_write": EXIT_STORE_WRITE_FAILED,
    "engine_start": EXIT_ENGINE_FAILED,
}

Handler = Callable[[argparse.Namespace, Settings], int]
Subparsers = argparse._SubParsersAction


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """``--encoder``, ``--collection`` and ``--milvus-uri``, overriding the environment."""
    parser.add_argument(
        "--encoder",
        help="teacher | student | student-openvino-int8 | teacher-openvino-int8 | ... | "
        "model id or path (default: $DISTILSEARCH_ENCODER; else the encoder distill "
        "recommended on your documents, once it exists; else teacher)",
    )
    parser.add_argument("--collection", help="base collection name (default: docs)")
    parser.add_argument(
        "--milvus-uri",
        help="Milvus Lite file or http://host:19530 (default: $MILVUS_URI or <data dir>/milvus.db)",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Environment settings with the command line's store options on top."""
    return load_settings().with_overrides(
        encoder=getattr(args, "encoder", None),
        collection=getattr(args, "collection", None),
        milvus_uri=getattr(args, "milvus_uri", None),
    )
