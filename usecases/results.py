"""The plain dataclasses the UI receives from ``SearchService`` (no pymilvus, no tensors)."""

from __future__ import annotations

from dataclasses import dataclass, field

from encoders.systems import system_label
from indexer import Mode
from indexer.stores import Fusion
from indexer.types import Hit
from usecases.highlight import Highlight
from usecases.search_modes import mode_label

#: ``system_label`` lives in :mod:`encoders.systems` (evaluation names systems the same
#: way); it stays importable from here for the UI.
__all__ = [
    "CollectionStats",
    "IndexOverview",
    "SearchResult",
    "UploadOutcome",
    "UploadReport",
    "system_label",
]


@dataclass(frozen=True)
class SearchResult:
    """Ranked hits for one query through one encoder, with timings in milliseconds.

    ``encoder`` built the collection's vectors; ``query_encoder`` encoded the query
    (None: the same encoder). ``highlights`` maps a hit id to its sentences with the
    best-matching ones marked (filled when highlighting was asked for; ``highlight_ms``
    is its cost, ``highlighted_by`` what scored the sentences). ``mode`` is how the query
    was matched (dense, keyword, hybrid) and ``fusion`` how a hybrid search fused its two
    rankings (None for the other modes).
    """

    query: str
    encoder: str
    collection: str
    hits: list[Hit]
    encode_ms: float
    search_ms: float
    highlights: dict[str, Highlight] = field(default_factory=dict)
    highlight_ms: float = 0.0
    highlighted_by: str = ""
    query_encoder: str | None = None
    mode: Mode = "dense"
    fusion: Fusion | None = None

    @property
    def total_ms(self) -> float:
        """Query latency: encode + search (with the fetch of the hits' fields)."""
        return self.encode_ms + self.search_ms

    @property
    def queries_encoded_by(self) -> str:
        """The encoder that encoded the query."""
        return self.query_encoder or self.encoder

    @property
    def system(self) -> str:
        """The encoders' name for display, e.g. ``student docs + teacher queries``."""
        return system_label(self.encoder, self.query_encoder)

    @property
    def mode_label(self) -> str:
        """``dense``, ``keyword`` or e.g. ``hybrid (RRF k=60)``."""
        return mode_label(self.mode, self.fusion)

    @property
    def label(self) -> str:
        """The system and, unless dense, the mode: ``student · hybrid (RRF k=60)``."""
        return self.system if self.mode == "dense" else f"{self.system} · {self.mode_label}"

    @property
    def full_label(self) -> str:
        """The system and the mode, dense included: ``teacher · dense``."""
        return f"{self.system} · {self.mode_label}"


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
