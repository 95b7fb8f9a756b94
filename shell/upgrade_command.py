"""``distilsearch upgrade``: give collections built before full text their BM25 field."""

from __future__ import annotations

import argparse

from core.settings import Settings
from shell.common import EXIT_OK, Handler, Subparsers, add_store_options
from shell.index_command import upgrade_collection


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
    from indexer.stores import open_store
    from indexer.stores.milvus_upgrade import STAGING_SUFFIX

    store = open_store(settings.milvus_uri, settings.milvus_token)
    try:
        prefix = f"{settings.collection}_"
        names = [n for n in store.list_collections() if n.startswith(prefix)]
        for target in dict.fromkeys(n.removesuffix(STAGING_SUFFIX) for n in names):
            half_done = target + STAGING_SUFFIX in names  # an upgrade stopped half way
            if (
                half_done
                or store.collection_info(target) is None
                or not store.has_full_text(target)
            ):
                upgrade_collection(store, target)
            else:
                print(f"collection {target}: already has full text")
        if not names:
            print(f"no collections under {settings.collection!r} at {settings.milvus_uri}")
    finally:
        store.close()
    return EXIT_OK
