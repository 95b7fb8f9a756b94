"""Search modes as the product shows them: labels, and which modes a collection supports.

A query is matched by its embedding (``dense``), by its words through Milvus's BM25
(``keyword``; nothing is encoded) or by both, fused (``hybrid``, per a
:class:`~indexer.stores.Fusion`: RRF with ``k``, or a dense weight). Keyword and hybrid
need the collection's full-text field, which collections built before it existed lack:
:class:`ModeSupport` says so and names the command that rebuilds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer import MODES, Mode
from indexer.stores import Fusion
from indexer.stores.fusion import DEFAULT_FUSION

#: Where the evidence behind the default mode is written down (shown under mode pickers).
MODE_EVIDENCE = "docs/results/hybrid.md"


def check_mode(mode: str) -> Mode:
    """``mode`` if it is one of :data:`indexer.MODES`, else ``ValueError``."""
    if mode not in MODES:
        raise ValueError(f"search mode must be one of {', '.join(MODES)}, got {mode!r}")
    return mode  # type: ignore[return-value]  # checked just above


def fusion_for(mode: str, fusion: Fusion | None) -> Fusion | None:
    """The fusion a search in ``mode`` uses: ``fusion`` (default RRF k=60) for hybrid,
    None for the modes that fuse nothing."""
    return (fusion or DEFAULT_FUSION) if check_mode(mode) == "hybrid" else None


def fusion_label(fusion: Fusion) -> str:
    """``RRF k=60`` or ``weighted, dense 0.7``."""
    if fusion.kind == "rrf":
        return f"RRF k={fusion.rrf_k}"
    return f"weighted, dense {fusion.dense_weight:g}"


def mode_label(mode: str, fusion: Fusion | None = None) -> str:
    """``dense``, ``keyword`` or ``hybrid (RRF k=60)``."""
    if mode != "hybrid":
        return mode
    return f"hybrid ({fusion_label(fusion or DEFAULT_FUSION)})"


def rebuild_command(encoder: str) -> str:
    """The command that gives ``encoder``'s collection its full-text field in place."""
    return "distilsearch upgrade"


@dataclass(frozen=True)
class ModeSupport:
    """Which modes ``encoder``'s collection can serve."""

    encoder: str
    collection: str
    full_text: bool

    @property
    def modes(self) -> tuple[Mode, ...]:
        """Every mode with a full-text field; dense only without one."""
        return MODES if self.full_text else ("dense",)

    @property
    def command(self) -> str:
        """The command that rebuilds the collection with its full-text field."""
        return rebuild_command(self.encoder)

    @property
    def note(self) -> str:
        """Empty when every mode works, else what is missing (plain text: the UI escapes
        it); :attr:`command` is what to run."""
        if self.full_text:
            return ""
        return (
            f"{self.collection} was built before keyword search existed: dense search "
            "works; keyword and hybrid need it rebuilt from the folders it was indexed "
            "from (files uploaded in the UI must then be uploaded again):"
        )
