"""Student vs teacher on one query: the rows, overlap, rank shifts and the verdict.

Terms (both encoders searched the same query with the same ``top_k`` and filters, each
in its own collection; chunk ids are equal across collections for the same files):

* **overlap@k** = ``|top_k(candidate) ∩ top_k(reference)|`` counted by chunk id;
* **rank shift** of a chunk in both lists = candidate rank − reference rank (positive:
  the candidate ranks it lower);
* **candidate / reference score** of a chunk = cosine(query, chunk) under that encoder,
  i.e. the score its own index gives the chunk, also for chunks outside its top k
  (looked up in its collection by content hash; None when it does not hold the chunk);
* **embedding cosine** = cosine between the chunk's candidate embedding and its
  reference embedding (only when both encoders have the same dimension; a faithful
  distilled student keeps this near 1).

A side may encode its queries with another encoder than its documents (teacher-query
mode: ``student docs + teacher queries``); its scores are then cosine(teacher query,
student chunk), and against plain ``student`` both sides share the same documents.

A side may also search in keyword or hybrid mode (``dense`` against ``hybrid`` with one
encoder shows what fusing BM25 changes). Its ranking scores are then BM25 or fused
scores, so its score column is still cosine(query, chunk), looked up for every chunk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from encoders import Encoder
from indexer import Retriever
from indexer.stores import MAX_TOP_K
from indexer.types import Hit, text_hash
from usecases.results import SearchResult


@dataclass(frozen=True)
class ComparedHit:
    """One chunk retrieved by either encoder."""

    hit: Hit
    candidate_rank: int | None
    reference_rank: int | None
    candidate_score: float | None
    reference_score: float | None
    embedding_cosine: float | None = None

    @property
    def rank_shift(self) -> int | None:
        """Candidate rank − reference rank, when both retrieved the chunk."""
        if self.candidate_rank is None or self.reference_rank is None:
            return None
        return self.candidate_rank - self.reference_rank

    @property
    def where(self) -> str:
        """``both``, ``reference only`` or ``candidate only``."""
        if self.candidate_rank is not None and self.reference_rank is not None:
            return "both"
        return "reference only" if self.candidate_rank is None else "candidate only"


@dataclass(frozen=True)
class Comparison:
    """One query through two encoders, joined by chunk id."""

    query: str
    top_k: int
    candidate: SearchResult
    reference: SearchResult
    rows: tuple[ComparedHit, ...]
    embedding_note: str = ""

    @property
    def overlap(self) -> int:
        return sum(1 for row in self.rows if row.where == "both")

    @property
    def depth(self) -> int:
        """The k the overlap is out of: ``top_k``, or fewer when the index is smaller."""
        return max(len(self.candidate.hits), len(self.reference.hits))

    @property
    def same_top_hit(self) -> bool:
        c, r = self.candidate.hits, self.reference.hits
        return bool(c and r and c[0].id == r[0].id)

    @property
    def mean_abs_rank_shift(self) -> float | None:
        shifts = [abs(row.rank_shift) for row in self.rows if row.rank_shift is not None]
        return sum(shifts) / len(shifts) if shifts else None

    @property
    def verdict(self) -> str:
        """E.g. ``student agrees on 8 of 10 (same top hit)``."""
        if not self.depth:
            return "neither encoder found anything"
        top = "same top hit" if self.same_top_hit else "top hit differs"
        return f"{self.candidate.label} agrees on {self.overlap} of {self.depth} ({top})"


def embedding_cosines(
    candidate: Encoder, reference: Encoder, texts: Sequence[str], ids: Sequence[str]
) -> tuple[dict[str, float] | None, str]:
    """Per chunk id, cosine between its candidate and reference document embeddings.

    Returns ``(None, note)`` when there is nothing to measure: different dimensions,
    or the same document encoder on both sides (teacher-query mode against its student).
    """
    if candidate.fingerprint == reference.fingerprint:
        return None, "both sides search the same document embeddings"
    if candidate.dim != reference.dim:
        return None, f"embedding cosine needs equal dimensions ({candidate.dim} vs {reference.dim})"
    a, b = candidate.encode_documents(list(texts)), reference.encode_documents(list(texts))
    cosines = np.einsum("ij,ij->i", a, b).tolist()  # (n,)
    return dict(zip(ids, cosines, strict=True)), ""


def query_scores(
    query: str, retriever: Retriever, own: SearchResult, union: Mapping[str, Hit]
) -> dict[str, float]:
    """cosine(query, chunk) through ``retriever`` for every chunk in ``union``.

    A dense side's own hits carry that cosine already; the rest are looked up in its
    collection by a search restricted to their content hashes. A keyword or hybrid
    side's hit scores are BM25 or fused scores, so all of its chunks are looked up.
    """
    scores = {h.id: h.score for h in own.hits} if own.mode == "dense" else {}
    missing = [h for i, h in union.items() if i not in scores]
    if not missing:
        return scores
    hashes = sorted({text_hash(h.text) for h in missing})
    vector = retriever.query_encoder.encode_queries([query])  # (1, dim)
    limit = min(MAX_TOP_K, 4 * len(missing))
    found = retriever.store.search(retriever.collection, vector, limit, {"content_hash": hashes})
    wanted = {h.id for h in missing}
    scores.update({h.id: h.score for h in found[0] if h.id in wanted})
    return scores


def compare_results(
    query: str,
    top_k: int,
    results: tuple[SearchResult, SearchResult],
    retrievers: tuple[Retriever, Retriever],
    embeddings: bool = True,
) -> Comparison:
    """The :class:`Comparison` of a candidate's and a reference's results for ``query``,
    each side's scores looked up through its retriever (see :func:`query_scores`); with
    ``embeddings``, each chunk's two document embeddings compared too."""
    (cand, ref), (cand_retriever, ref_retriever) = results, retrievers
    union = {h.id: h for h in [*ref.hits, *cand.hits]}
    cand_scores = query_scores(query, cand_retriever, cand, union)
    ref_scores = query_scores(query, ref_retriever, ref, union)
    cosines, note = None, ""
    if embeddings and union:
        pair = cand_retriever.encoder, ref_retriever.encoder
        cosines, note = embedding_cosines(*pair, [h.text for h in union.values()], list(union))
    rows = join_hits(cand, ref, cand_scores, ref_scores, cosines)
    return Comparison(query, top_k, cand, ref, rows, note)


def join_hits(
    candidate: SearchResult,
    reference: SearchResult,
    candidate_scores: Mapping[str, float],
    reference_scores: Mapping[str, float],
    embedding_cosines: Mapping[str, float] | None = None,
) -> tuple[ComparedHit, ...]:
    """Rows in the reference's order, then the candidate-only chunks in its order.

    ``*_scores`` give cosine(query, chunk) per chunk id under each encoder; ids missing
    from a map get None.
    """
    c_rank = {hit.id: rank for rank, hit in enumerate(candidate.hits, 1)}
    r_rank = {hit.id: rank for rank, hit in enumerate(reference.hits, 1)}
    ordered = [*reference.hits, *(h for h in candidate.hits if h.id not in r_rank)]
    cosines = embedding_cosines or {}
    return tuple(
        ComparedHit(
            hit=hit,
            candidate_rank=c_rank.get(hit.id),
            reference_rank=r_rank.get(hit.id),
            candidate_score=candidate_scores.get(hit.id),
            reference_score=reference_scores.get(hit.id),
            embedding_cosine=cosines.get(hit.id),
        )
        for hit in ordered
    )
