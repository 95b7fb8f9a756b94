"""Give a collection built before full text its BM25 field, keeping every row and vector.

Milvus cannot add a function field to an existing collection and Milvus Lite cannot
rename one, so the rows (ids, text, metadata and vectors: nothing is re-encoded) are
copied through a staging collection, in an order where a crash at any point leaves a
complete copy that the next run finishes from:

1. copy ``name`` into ``name__upgrade`` (new schema) and check the count;
2. drop ``name`` and create it again with the new schema;
3. copy ``name__upgrade`` back into ``name``, check the count, drop the staging copy.

A rerun after a crash finds one of: ``name`` still old (and perhaps a partial staging
copy, dropped and made again), ``name`` missing (step 2 onwards from the complete
staging copy), or ``name`` new beside the staging copy (step 3; upserts are idempotent
by id). This module is part of the Milvus store and uses its own calls.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from indexer.stores.milvus_calls import CALL_TIMEOUT_S
from indexer.stores.milvus_rows import SCALAR_FIELDS, VECTOR_FIELD

if TYPE_CHECKING:
    from indexer.stores.base import CollectionInfo
    from indexer.stores.milvus import MilvusStore

logger = logging.getLogger(__name__)

STAGING_SUFFIX = "__upgrade"
COPY_FIELDS = ["id", *SCALAR_FIELDS, VECTOR_FIELD]
COPY_BATCH = 512


def upgrade_full_text(store: MilvusStore, name: str) -> int:
    """Rows copied into ``name``'s new full-text schema (0 when it already had one)."""
    staging = name + STAGING_SUFFIX
    current, staged = store.collection_info(name), store.collection_info(staging)
    if current is None and staged is None:
        raise KeyError(f"collection {name!r} does not exist at {store.location}")
    if current is not None and store.has_full_text(name) and staged is None:
        return 0
    if current is not None and not store.has_full_text(name):
        if staged is not None:
            store.drop(staging)  # an interrupted first copy: start it again
        _create(store, staging, current)
        _copy(store, name, staging)
        store.drop(name)
        current = None
    if current is None:
        _create(store, name, store.collection_info(staging))
    copied = _copy(store, staging, name)
    store.drop(staging)
    logger.info("gave %s its full-text field (%d rows kept)", name, copied)
    return copied


def _create(store: MilvusStore, name: str, info: CollectionInfo | None) -> None:
    if info is None:
        raise KeyError(f"collection {name!r} lost its encoder record")
    store._create(name, info)  # today's schema, with the BM25 field
    store._ensure_loaded(name)


def _copy(store: MilvusStore, source: str, target: str) -> int:
    """Upsert every row of ``source`` into ``target``; fails unless the counts match."""
    rows = store._scan(source, None, COPY_FIELDS)  # vectors included: nothing re-encoded
    for start in range(0, len(rows), COPY_BATCH):
        batch = rows[start : start + COPY_BATCH]
        store._retrying(store._client.upsert, target, batch, timeout=CALL_TIMEOUT_S)
    copied, expected = store.count(target), store.count(source)
    if copied != expected:
        raise RuntimeError(
            f"copying {source} into {target} gave {copied} rows, not {expected}; "
            "nothing was dropped: run the upgrade again"
        )
    return copied
