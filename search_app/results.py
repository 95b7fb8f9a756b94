"""The plain dataclasses the UI receives from ``SearchService`` (no pymilvus, no tensors)."""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.types import Hit
from search_app.text import Highlight


@dataclass(frozen=True)
class SearchResult:
    """Ranked hits for one query through one encoder, with timings in milliseconds.

    ``highlights`` maps a hit id to its sentences with the best-matching ones marked
    (filled when highlighting was asked for; ``highlight_ms`` is its cost).
    """

    query: str
    encoder: str
    collection: str
    hits: list[Hit]
    encode_ms: float
    search_ms: float
    highlights: dict[str, Highlight] = field(default_factory=dict)
    highlight_ms: float = 0.0

    @property
    def total_ms(self) -> float:
        """Query latency: encode + search (with the fetch of the hits' fields)."""
        return self.encode_ms + self.search_ms


@dataclass(frozen=True)
class CollectionStats:
    """What one encoder's collection holds; None where unknown (server disk, files not
    listed yet)."""

    encoder: str
    collection: str
    chunks: int
    files: int | None = 0
    disk_bytes: int | None = None


@dataclass(frozen=True)
class IndexOverview:
    """Every encoder collection under the base name, and the sources across them."""

    uri: str
    collections: list[CollectionStats]
    #: source path -> encoder -> chunk count
    sources: dict[str, dict[str, int]]
    disk_bytes: int | None

    @property
    def chunks(self) -> int:
        return sum(c.chunks for c in self.collections)


@dataclass(frozen=True)
class UploadOutcome:
    """What happened to one uploaded file, per encoder it was indexed with."""

    name: str
    status: str  # "indexed" | "unchanged" | "skipped" | "failed" | "rejected"
    chunks: int = 0
    reason: str = ""
    encoders: tuple[str, ...] = ()


@dataclass(frozen=True)
class UploadReport:
    """All uploads of one request; the temporary files are gone when this exists."""

    outcomes: list[UploadOutcome]
    seconds: float

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)
