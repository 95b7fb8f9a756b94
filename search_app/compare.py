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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from indexer.types import Hit
from search_app.results import SearchResult


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
        return f"{self.candidate.encoder} agrees on {self.overlap} of {self.depth} ({top})"


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
