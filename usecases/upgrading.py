"""The upgrade use case: give every collection built before full text its BM25 field."""

from __future__ import annotations

from core.settings import Settings
from indexer.stores import store_for
from indexer.stores.milvus_upgrade import STAGING_SUFFIX
from usecases.indexing import IndexEvents, QuietEvents, upgrade_collection


def upgrade_all(settings: Settings, events: IndexEvents | None = None) -> dict[str, str]:
    """Upgrade each collection under ``settings.collection`` that needs it (or was left half
    done); collection -> ``"upgraded"`` or ``"current"``. Empty when there are none."""
    events = events or QuietEvents()
    store = store_for(settings)
    done: dict[str, str] = {}
    try:
        prefix = f"{settings.collection}_"
        names = [n for n in store.list_collections() if n.startswith(prefix)]
        for target in dict.fromkeys(n.removesuffix(STAGING_SUFFIX) for n in names):
            half_done = target + STAGING_SUFFIX in names  # an upgrade stopped half way
            missing = store.collection_info(target) is None
            if half_done or missing or not store.has_full_text(target):
                upgrade_collection(store, target, events)
                done[target] = "upgraded"
            else:
                done[target] = "current"
    finally:
        store.close()
    return done
