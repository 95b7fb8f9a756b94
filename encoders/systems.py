"""Search systems by name: one encoder, or a document encoder with another query encoder.

A system spec is ``documents`` or ``documents:queries``: ``student`` searches the
student's vectors with student queries; ``student:teacher`` searches the student's
vectors with the teacher's queries (teacher-query mode, allowed only when the student
was distilled from that teacher: :mod:`encoders.pairing`). :func:`system_label` is the
one way a system is named in the UI, the CLI and evaluation reports.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Separates the document encoder from the query encoder in a system spec.
SPEC_SEPARATOR = ":"


def system_label(encoder: str, query_encoder: str | None = None) -> str:
    """A search system's name: ``student``, or ``student docs + teacher queries`` when
    another encoder encodes the queries (teacher-query mode)."""
    if query_encoder is None or query_encoder == encoder:
        return encoder
    return f"{encoder} docs + {query_encoder} queries"


@dataclass(frozen=True)
class SystemSpec:
    """A search system: ``documents`` built the collection, ``queries`` encodes queries."""

    documents: str
    queries: str

    @property
    def paired(self) -> bool:
        """Whether another encoder encodes the queries (teacher-query mode)."""
        return self.queries != self.documents

    @property
    def label(self) -> str:
        """The system's name, e.g. ``student`` or ``student docs + teacher queries``."""
        return system_label(self.documents, self.queries)

    @property
    def encoders(self) -> tuple[str, ...]:
        """The encoder names this system needs, documents' first, each once."""
        return (self.documents, self.queries) if self.paired else (self.documents,)

    def __str__(self) -> str:
        """The spec as written: ``student`` or ``student:teacher``."""
        if not self.paired:
            return self.documents
        return f"{self.documents}{SPEC_SEPARATOR}{self.queries}"


def parse_system(spec: str) -> SystemSpec:
    """``"student"`` -> ``SystemSpec("student", "student")``; ``"student:teacher"`` ->
    ``SystemSpec("student", "teacher")`` (documents : queries).

    ``ValueError`` for an empty spec, an empty side (``"student:"``) or more than one
    separator (``"a:b:c"``). ``"x:x"`` is the plain system ``x``.
    """
    parts = [part.strip() for part in str(spec).split(SPEC_SEPARATOR)]
    if len(parts) > 2:
        raise ValueError(
            f"bad system {spec!r}: use ENCODER or DOCUMENT_ENCODER:QUERY_ENCODER "
            "(e.g. student:teacher), with one ':' at most"
        )
    if not all(parts):
        raise ValueError(
            f"bad system {spec!r}: an encoder name is missing; use ENCODER or "
            "DOCUMENT_ENCODER:QUERY_ENCODER (e.g. student:teacher)"
        )
    documents = parts[0]
    return SystemSpec(documents, parts[1] if len(parts) == 2 else documents)
