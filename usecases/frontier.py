"""The speed-quality frontier on the user's own documents, without labels.

After ``distill``, every encoder the user could index with (the teacher and its exports,
the student and its exports with the teacher's queries) is timed on a sample of the
user's passages and its agreement with the teacher estimated on pseudo-queries drawn
from them (:class:`evaluation.agreement.AgreementProbe`: overlap of its top 10 with the
teacher's). The recommendation is the fastest encoder whose estimate clears
:data:`RECOMMEND_AT`, a threshold set on the dev suite, where every encoder above it kept
at least 95% of the teacher's nDCG@10 (the label-free estimate topic of
docs/results/README.md). The table goes into the student's ``distill_meta.json``.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.settings import Settings
from encoders import TEACHER, Encoder, EncoderConfig, build_encoder
from encoders.variants import VARIANTS, variant_dir, variant_name

logger = logging.getLogger(__name__)

#: The estimate an encoder needs to be recommended (see the module docstring).
RECOMMEND_AT = 0.88  # agreement_vs_retention.md's threshold, two decimals, rounded down
#: Passages timed per encoder, in two interleaved rounds.
TIMED_PASSAGES = 256
ROUNDS = 2


@dataclass(frozen=True)
class FrontierRow:
    """One encoder on the user's documents: who encodes documents and queries, how fast,
    and how well it agrees with the teacher."""

    encoder: str
    queries: str
    docs_per_s: float
    speed_ratio: float
    agreement: float
    recommended: bool = False


def candidates(settings: Settings, student_dir: Path) -> list[tuple[str, str]]:
    """``(document encoder, query encoder)`` of every encoder on disk worth a row: the
    teacher and its exports (own queries), the student and its exports (teacher queries,
    the default pairing; int8 variants only pair through the fp32 teacher)."""
    rows = [(TEACHER, TEACHER)]
    for suffix in VARIANTS:
        name = variant_name(TEACHER, suffix)
        if (settings.models_dir / name).is_dir():
            rows.append((name, name))
    students = [student_dir, student_dir.with_name(student_dir.name + "-int8")]
    students += [variant_dir(student_dir, suffix) for suffix in VARIANTS]
    rows += [(str(folder), TEACHER) for folder in students if folder.is_dir()]
    return rows


def time_documents(encoders: dict[str, Encoder], texts: list[str]) -> dict[str, float]:
    """Documents per second of each encoder on ``texts``, rounds interleaved (median)."""
    rates: dict[str, list[float]] = {name: [] for name in encoders}
    for _ in range(ROUNDS):
        for name, encoder in encoders.items():
            started = time.perf_counter()
            encoder.encode_documents(texts)
            rates[name].append(len(texts) / (time.perf_counter() - started))
    return {name: statistics.median(r) for name, r in rates.items()}


def measure_frontier(
    settings: Settings,
    student_dir: Path,
    probe: Any,
    timed: list[str],
    config: EncoderConfig,
    short_name: Callable[[str], str] = lambda name: name,
) -> dict[str, Any]:
    """The frontier block of ``distill_meta.json`` for the student at ``student_dir``:
    rows (slowest first), the threshold and the recommended encoder (None when no
    encoder clears it). ``probe`` (:class:`evaluation.agreement.AgreementProbe`) holds the
    passages, pseudo-queries and the teacher's rankings; ``timed`` are the documents each
    encoder is timed on, at ``config`` (the index's settings)."""
    pairs = candidates(settings, student_dir)
    built = {doc: build_encoder(doc, settings, config) for doc, _ in pairs if doc != TEACHER}
    built[TEACHER] = build_encoder(str(probe.teacher.model_dir), settings, config)
    rates = time_documents(built, timed[:TIMED_PASSAGES])
    teacher_dir = str(probe.teacher.model_dir)
    agreements: dict[tuple[str, bool], float] = {}
    rows = []
    for documents, queries in pairs:
        paired = queries == TEACHER and documents != TEACHER
        weights = computes_vectors_of(documents) or documents
        key = (weights, paired)
        if key not in agreements:  # an fp32 export agrees as its source does
            same_as_teacher = documents == TEACHER or weights == teacher_dir
            encoder = probe.teacher if same_as_teacher else built[documents]
            agreements[key] = probe.overlap(encoder, teacher_queries=paired)
        speed = rates[documents] / rates[TEACHER]
        row = FrontierRow(
            short_name(documents), short_name(queries), rates[documents], speed, agreements[key]
        )
        rows.append(row)
    return frontier_block(rows)


def computes_vectors_of(name: str) -> str | None:
    """The source folder whose vectors an fp32 variant folder computes (up to float
    rounding); None for any other encoder."""
    from encoders.variants import FP32_SUFFIXES, read_variant

    folder = Path(name)
    marker = read_variant(folder) if folder.is_dir() else None
    if not marker or marker.get("variant") not in FP32_SUFFIXES:
        return None
    return marker.get("source")


def frontier_block(rows: Sequence[FrontierRow]) -> dict[str, Any]:
    """Rows by speed, the fastest that clears :data:`RECOMMEND_AT` marked recommended."""
    ordered = sorted(rows, key=lambda r: r.speed_ratio)
    clearing = [r for r in ordered if r.agreement >= RECOMMEND_AT]
    best = clearing[-1].encoder if clearing else None
    marked = [FrontierRow(**{**asdict(r), "recommended": r.encoder == best}) for r in ordered]
    return {
        "rows": [asdict(r) for r in marked],
        "threshold": RECOMMEND_AT,
        "recommended": best,
        "passages": TIMED_PASSAGES,
    }


def registry_names(student_dir: Path, models_dir: Path) -> Callable[[str], str]:
    """For a student at ``models_dir/student``: its folders by registry name
    (``student-openvino-int8``); for a student elsewhere, folders by path."""
    default = student_dir == models_dir / "student"

    def name(folder: str) -> str:
        path = Path(folder)
        return path.name if default and path.parent == models_dir else folder

    return name


def recommended_encoder(settings: Settings) -> str | None:
    """The registry name the default student's frontier recommends, when its model folder
    is on disk (``distill`` writes the table; None before any student)."""
    from encoders import STUDENT
    from encoders.student_meta import StudentMeta

    meta = StudentMeta.read_optional(settings.models_dir / STUDENT)
    best = (meta.frontier or {}).get("recommended") if meta else None
    if not isinstance(best, str) or "/" in best:
        return None
    return best if best == TEACHER or (settings.models_dir / best).is_dir() else None
