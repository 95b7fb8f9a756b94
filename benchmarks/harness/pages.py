"""Results pages as the product shows them, built from a dev-suite set: each judged query
with the teacher's top 10 documents as product ``Hit`` s (exact search over the cached
corpus vectors), for benchmarks of what a page does with its hits (cleaning, highlighting,
answering)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.scoring import corpus_vectors, top_documents

from encoders import Encoder
from evaluation import BeirDataset
from indexer.types import Hit


@dataclass(frozen=True)
class Page:
    """One query's results page: ``hits`` best first; ``relevant`` the judged documents."""

    set_name: str
    query_id: str
    query: str
    hits: tuple[Hit, ...]
    relevant: frozenset[str]


def result_pages(data: BeirDataset, encoder: Encoder, k: int = 10) -> list[Page]:
    """A :class:`Page` per judged query of ``data``: ``encoder``'s top ``k`` documents
    (``title + text``, as the set is scored), each a ``Hit`` shaped like a chunk (its
    title, a blank line, its text) whose ``source`` is its id and ``section`` its title."""
    vectors = corpus_vectors(encoder, data)
    queries = [data.queries[q] for q in data.query_ids]
    ranked = top_documents(data, vectors, encoder.encode_queries(queries), k)
    title = dict(zip(data.doc_ids, data.titles, strict=True))
    text = {
        d: f"{t}\n\n{x}" if t else x
        for d, t, x in zip(data.doc_ids, data.titles, data.texts, strict=True)
    }
    pages = []
    for qid in data.query_ids:
        docs = enumerate(ranked[qid])
        hits = tuple(Hit(d, 0.0, text[d], d, section=title[d], chunk_index=i) for i, d in docs)
        relevant = frozenset(d for d, grade in data.qrels.get(qid, {}).items() if grade > 0)
        pages.append(Page(data.name, qid, data.queries[qid], hits, relevant))
    return pages
