"""The ``distilsearch`` command: one parser, one subcommand module per verb."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from shell import (
    agreement_command,
    demo_command,
    distill_command,
    eval_command,
    export_command,
    index_command,
    search_command,
    serve_command,
    upgrade_command,
)
from shell.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_SOME_FILES_FAILED,
    EXIT_STORE_UNAVAILABLE,
    EXIT_USAGE,
    LOG_FORMAT,
    Handler,
    settings_from_args,
)

__all__ = [
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_SOME_FILES_FAILED",
    "EXIT_STORE_UNAVAILABLE",
    "EXIT_USAGE",
    "build_parser",
    "main",
]

COMMANDS = (
    index_command,
    search_command,
    demo_command,
    serve_command,
    eval_command,
    distill_command,
    export_command,
    agreement_command,
    upgrade_command,
)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    """The top-level parser and each subcommand's handler."""
    parser = argparse.ArgumentParser(
        prog="distilsearch",
        description="Semantic search with distilled encoders: index documents into Milvus, "
        "search them, compare a distilled student with its BERT teacher, evaluate retrieval.",
        epilog="Environment: DISTILSEARCH_DATA_DIR, DISTILSEARCH_MODELS_DIR, MILVUS_URI, "
        "MILVUS_TOKEN, DISTILSEARCH_COLLECTION, DISTILSEARCH_ENCODER, DISTILSEARCH_SEARCH_MODE, "
        "DISTILSEARCH_THREADS.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    handlers: dict[str, Handler] = {}
    for command in COMMANDS:
        command.register(sub, handlers)
    return parser, handlers


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the subcommand, and turn expected errors into one line."""
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format=LOG_FORMAT,
    )
    try:
        settings = settings_from_args(args)
        return handlers[args.command](args, settings)
    except (ValueError, FileNotFoundError, KeyError, RuntimeError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"distilsearch {args.command}: error: {message}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
