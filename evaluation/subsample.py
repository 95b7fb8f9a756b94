"""A small slice of a BEIR dataset, for an evaluation that finishes in seconds."""

from __future__ import annotations

import logging

from evaluation.beir import BeirDataset

logger = logging.getLogger(__name__)


def subsample(dataset: BeirDataset, max_queries: int, max_docs: int) -> BeirDataset:
    """The first ``max_queries`` judged queries and a corpus of their judged documents,
    topped up with other documents (corpus order) to ``max_docs``.

    Every judged document of a kept query stays, even past ``max_docs``, so each query
    can still find what it should. The slice is named ``<name>-small``.
    """
    if max_queries < 1 or max_docs < 1:
        raise ValueError("max_queries and max_docs must be >= 1")
    query_ids = dataset.query_ids[:max_queries]
    relevant = {doc for q in query_ids for doc in dataset.qrels[q]}
    keep = [i for i, doc in enumerate(dataset.doc_ids) if doc in relevant]
    room = max(0, max_docs - len(keep))
    keep += [i for i, doc in enumerate(dataset.doc_ids) if doc not in relevant][:room]
    keep.sort()
    small = BeirDataset(
        name=f"{dataset.name}-small",
        split=dataset.split,
        doc_ids=[dataset.doc_ids[i] for i in keep],
        titles=[dataset.titles[i] for i in keep],
        texts=[dataset.texts[i] for i in keep],
        queries={q: dataset.queries[q] for q in query_ids},
        qrels={q: dataset.qrels[q] for q in query_ids},
    )
    logger.info(
        "subsampled %s: %d of %d docs, %d of %d queries",
        dataset.name,
        len(keep),
        len(dataset.doc_ids),
        len(query_ids),
        len(dataset.queries),
    )
    return small
