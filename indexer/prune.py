"""``--prune``: delete the chunks of files no longer under the folders indexed."""

from __future__ import annotations

from pathlib import Path

from encoders import Encoder
from indexer.names import path_of_source, source_name
from indexer.report import IndexReport
from indexer.store_guard import guarded
from indexer.stores.base import VectorStore
from indexer.workers import Task


def prune_missing(
    store: VectorStore,
    targets: dict[str, Encoder],
    roots: tuple[Path, ...],
    tasks: list[Task],
    report: IndexReport,
) -> int:
    """Delete chunks whose source lies under ``roots`` but is no longer a file there (or is
    stored under a name escaped before bidi and invisible characters were: the file
    itself is indexed under its escaped name now)."""
    prefixes = tuple(source_name(root).rstrip("/") + "/" for root in roots)
    seen = {task.source for task in tasks}
    deleted = 0
    for name in targets:
        for source in store.sources(name):
            path = path_of_source(source)
            gone = not path.exists() or source_name(path) != source
            if source.startswith(prefixes) and source not in seen and gone:
                ids = store.ids(name, {"source": source})
                guarded(store, store.delete, name, sorted(ids))
                deleted += len(ids)
                report.pruned.append(source)
    return deleted
