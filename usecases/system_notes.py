"""What a page says about the encoders it searches with (no Streamlit here).

* :func:`default_system`: the system a page starts with (the operator's
  ``DISTILSEARCH_ENCODER`` when indexed; a distilled student with its default pairing);
* :func:`system_reason`: which encoder and pairing a result used, and why;
* :func:`student_statuses`: every indexed distilled student's recorded agreement with
  its teacher (or that none is recorded), whether its training was cut short
  (under-trained), and the speed/agreement frontier ``distill`` measured, as table rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from encoders import TEACHER
from encoders.systems import system_label

if TYPE_CHECKING:
    from usecases.search import SearchService

#: A search system: (document encoder, query encoder; the same name for its own queries).
System = tuple[str, str]
NO_AGREEMENT = (
    "no agreement with its teacher is recorded yet "
    "(distilsearch agreement --data FOLDER --student {name} --write measures it)"
)
UNDERTRAINED = (
    "under-trained: its training stopped at the time ceiling before its step budget, so "
    "expect it to disagree with the teacher more than a fully trained student; distil "
    "again with more time (distilsearch distill)"
)


def default_system(service: SearchService, encoders: Sequence[str]) -> System:
    """The system a page starts with: the operator's default encoder
    (``DISTILSEARCH_ENCODER``) when it is indexed, else the first indexed one; a
    distilled student with its default query encoder (its teacher's fastest form)."""
    preferred = service.settings.encoder
    encoder = preferred if preferred in encoders else encoders[0]
    return encoder, service.default_query_encoder(encoder) or encoder


def system_reason(service: SearchService, encoder: str, query_encoder: str | None) -> str:
    """One sentence: which index and query encoder a result used, and why.

    E.g. ``student docs + teacher-onnx queries: the default for a distilled student (its
    index, queries encoded by the teacher it learned from, in its fastest form on disk);
    its own queries are one choice away in the picker``.
    """
    queries = query_encoder or encoder
    label = system_label(encoder, None if queries == encoder else queries)
    default_queries = service.default_query_encoder(encoder)
    is_default = encoder == service.settings.encoder
    if queries != encoder and queries == default_queries:
        why = (
            "the default for a distilled student (its index, queries encoded by the "
            "teacher it learned from, in its fastest form on disk); its own queries are "
            "one choice away in the picker"
        )
    elif queries != encoder:
        why = f"chosen: the student's index with {queries} queries"
        if default_queries:
            why += f" (the default pairs it with {default_queries} queries)"
    elif default_queries:
        why = (
            f"chosen: the student with its own queries (by default its index is searched "
            f"with {default_queries} queries)"
        )
    elif is_default:
        role = "the teacher every student is distilled from, and " if encoder == TEACHER else ""
        why = f"{role}the operator's default encoder (DISTILSEARCH_ENCODER)"
    else:
        why = f"chosen (the default is {service.settings.encoder})"
    return f"{label}: {why}."


@dataclass(frozen=True)
class StudentStatus:
    """What a page says about one distilled student."""

    encoder: str
    agreement: str
    undertrained: bool
    frontier: tuple[dict[str, str], ...] = ()
    recommended: str = ""
    threshold: str = ""

    @property
    def lines(self) -> list[str]:
        """The agreement sentence, then the under-trained warning when it applies."""
        lines = [f"{self.encoder}: {self.agreement}"]
        if self.undertrained:
            lines.append(f"{self.encoder} is {UNDERTRAINED}.")
        return lines


def student_statuses(service: SearchService, encoders: Sequence[str]) -> list[StudentStatus]:
    """A :class:`StudentStatus` for each of ``encoders`` that is a distilled student (its
    folder holds ``distill_meta.json``), in order."""
    statuses = []
    for name in encoders:
        record = service.student_record(name)
        if record is None:
            continue
        note = service.agreement(name) or NO_AGREEMENT.format(name=name)
        frontier = record.frontier or {}
        rows = tuple(frontier_row(row) for row in frontier.get("rows", []) if isinstance(row, dict))
        recommended = str(frontier.get("recommended") or "")
        threshold = _figure(frontier.get("threshold"), "{:.2f}") if rows else ""
        status = StudentStatus(name, note, record.undertrained, rows, recommended, threshold)
        statuses.append(status)
    return statuses


def frontier_row(row: Mapping[str, Any]) -> dict[str, str]:
    """One frontier row as display strings (``—`` for a missing figure, never None)."""
    return {
        "encoder": str(row.get("encoder") or "—"),
        "queries": str(row.get("queries") or "—"),
        "docs/s": _figure(row.get("docs_per_s"), "{:.1f}"),
        "speed × teacher": _figure(row.get("speed_ratio"), "{:.2f}×"),
        "agreement": _figure(row.get("agreement"), "{:.2f}"),
        "recommended": "yes" if row.get("recommended") else "",
    }


def _figure(value: object, pattern: str) -> str:
    return pattern.format(value) if isinstance(value, int | float) else "—"
