"""``distilsearch upgrade``: give collections built before full text their BM25 field."""

from __future__ import annotations

import argparse

from core.settings import Settings
from shell.common import EXIT_OK, Handler, Subparsers, add_store_options


def register(sub: Subparsers, handlers: dict[str, Handler]) -> None:
    """Add the ``upgrade`` subcommand."""
    p = sub.add_parser(
        "upgrade",
        help="add the full-text field to collections indexed before it existed",
        description="Keyword and hybrid search need a BM25 field that collections indexed by "
        "earlier versions lack. This adds it in place to every collection under the base "
        "name: rows and vectors are copied through a staging collection (nothing is "
        "re-encoded, nothing is lost; a run stopped half way finishes on the next one).",
    )
    add_store_options(p)
    handlers["upgrade"] = run_upgrade


def run_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Handler: upgrade each collection that needs it; say which were already current."""
    from shell.index_progress import BarEvents
    from usecases.upgrading import upgrade_all

    done = upgrade_all(settings, BarEvents())
    for name, state in done.items():
        if state == "current":
            print(f"collection {name}: already has full text")
    if not done:
        print(f"no collections under {settings.collection!r} at {settings.milvus_uri}")
    return EXIT_OK
