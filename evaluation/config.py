"""``EvalConfig``: what one evaluation runs, validated before any work starts."""

from __future__ import annotations

from dataclasses import dataclass, field

from encoders import SystemSpec, parse_system
from evaluation.bm25 import BM25Config
from indexer.stores.fusion import Fusion

BM25_NAME = "bm25"
#: Milvus's built-in BM25 (keyword mode of the one ``Retriever`` path), beside bm25s.
MILVUS_BM25_NAME = "milvus-bm25"


def fusion_tag(fusion: Fusion) -> str:
    """``rrf60`` or ``weighted0.5``: how a Milvus hybrid system's name spells its fusion."""
    if fusion.kind == "rrf":
        return f"rrf{fusion.rrf_k}"
    return f"weighted{fusion.dense_weight:g}"


def milvus_hybrid_name(system_label: str, fusion: Fusion) -> str:
    """``teacher+milvus-rrf60``: a dense system searched in hybrid mode inside Milvus."""
    return f"{system_label}+milvus-{fusion_tag(fusion)}"


@dataclass(frozen=True)
class EvalConfig:
    """What to evaluate and how; ``top_k`` hits per query feed recall@100 and MAP@100.

    ``encoders`` are system specs: ``teacher``, or ``student:teacher`` for the student's
    documents searched with the teacher's queries (:func:`encoders.parse_system`). A
    system is reported under its label (``student docs + teacher queries``).
    ``reference`` names the system the others are compared with, by spec or label.

    ``bm25``/``hybrid`` are the in-process bm25s baseline and its RRF with each dense
    system. ``milvus_bm25`` adds Milvus's own BM25 (keyword mode) on the first dense
    system's collection; ``milvus_hybrid`` adds, per dense system and per fusion, a
    hybrid search inside Milvus (``teacher+milvus-rrf60``, ``teacher+milvus-weighted0.5``).
    """

    encoders: tuple[str, ...] = ("teacher",)
    bm25: bool = False
    hybrid: bool = False
    milvus_bm25: bool = False
    milvus_hybrid: tuple[Fusion, ...] = ()
    top_k: int = 100
    max_seq_length: int = 256
    reference: str = "teacher"
    fidelity_k: int = 10
    rbo_p: float = 0.9
    fidelity_docs: int = 256
    index_batch: int = 256
    rrf_k: int = 60
    resamples: int = 10_000
    bm25_config: BM25Config = field(default_factory=BM25Config)

    def __post_init__(self) -> None:
        if not self.encoders and not self.bm25:
            raise ValueError("nothing to evaluate: name at least one encoder or pass --bm25")
        labels = [spec.label for spec in self.systems]
        if len(set(labels)) != len(labels):
            raise ValueError(f"systems are listed twice: {', '.join(labels)}")
        if any(BM25_NAME in spec.encoders for spec in self.systems):
            raise ValueError(f"{BM25_NAME!r} is a baseline, not an encoder: use --bm25")
        if self.hybrid and not (self.encoders and self.bm25):
            raise ValueError("--hybrid fuses dense and BM25 runs: it needs an encoder and --bm25")
        self._check_milvus_systems()
        if not 10 <= self.top_k <= 1000:
            raise ValueError(f"top_k must be in [10, 1000], got {self.top_k}")
        if self.fidelity_docs < 0 or self.index_batch < 1 or self.resamples < 1:
            raise ValueError("fidelity_docs must be >= 0, index_batch and resamples >= 1")
        if not 1 <= self.fidelity_k <= self.top_k or not 0 < self.rbo_p < 1:
            raise ValueError("fidelity_k must be in [1, top_k] and rbo_p in (0, 1)")

    def _check_milvus_systems(self) -> None:
        if (self.milvus_bm25 or self.milvus_hybrid) and not self.encoders:
            raise ValueError(
                "Milvus BM25 and hybrid search run on a dense system's collection: "
                "name at least one encoder"
            )
        if any(not isinstance(f, Fusion) for f in self.milvus_hybrid):
            raise ValueError("milvus_hybrid holds Fusion settings (indexer.stores.Fusion)")
        tags = [fusion_tag(f) for f in self.milvus_hybrid]
        if len(set(tags)) != len(tags):
            raise ValueError(f"Milvus fusions are listed twice: {', '.join(tags)}")

    @property
    def systems(self) -> tuple[SystemSpec, ...]:
        """The dense systems, parsed from ``encoders`` (``ValueError`` on a bad spec)."""
        return tuple(parse_system(spec) for spec in self.encoders)

    @property
    def reference_label(self) -> str:
        """The reference system's label: ``reference`` given as a spec or as a label."""
        try:
            return parse_system(self.reference).label
        except ValueError:
            return self.reference
