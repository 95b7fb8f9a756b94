"""Teacher-query mode: which encoder may encode queries for another encoder's documents.

A distilled student's cosine loss keeps its document vectors in its teacher's space, so
the teacher's query vectors can search the student's collection ("student docs +
teacher queries"). That holds only for the teacher the student was distilled from:
the student's model folder has ``distill_meta.json`` (written by ``distill/export.py``,
copied into the int8 export) whose ``teacher_fingerprint`` names the teacher's weight
fingerprint (:func:`encoders.resolve.fingerprint`), and the query encoder must carry
those weights: its own fingerprint equals it, or it is an fp32 ONNX / OpenVINO export of
that teacher (``source_fingerprint``, see :func:`encoders.variants.fp32_source`), which
computes the same vectors faster. An int8 variant of the teacher does not pair.
"""

from __future__ import annotations

import logging
from pathlib import Path

from encoders.protocol import Encoder
from encoders.student_meta import META_NAME, TEACHER_FINGERPRINT, StudentMeta, StudentMetaError

logger = logging.getLogger(__name__)

#: The export's metadata file and the key naming the teacher's weight fingerprint.
DISTILL_META = META_NAME


class QueryEncoderMismatchError(ValueError):
    """The query encoder is not the teacher the document encoder was distilled from."""


def model_dir_of(encoder: Encoder) -> Path | None:
    """The model folder ``encoder`` was loaded from, if it has one.

    Not part of the :class:`Encoder` protocol: :class:`~encoders.SentenceTransformerEncoder`
    has ``model_dir``; encoders without a folder cannot be paired with a teacher.
    """
    folder = getattr(encoder, "model_dir", None)
    return Path(folder) if folder is not None else None


def distilled_from(encoder: Encoder) -> str | None:
    """The teacher fingerprint that ``encoder``'s ``distill_meta.json`` names, or None.

    None when it has no model folder, the folder has no metadata, it cannot be read,
    or it names no teacher.
    """
    folder = model_dir_of(encoder)
    if folder is None:
        return None
    try:
        return _teacher_fingerprint(folder)
    except QueryEncoderMismatchError:
        return None


def _teacher_fingerprint(model_dir: Path) -> str:
    """The teacher fingerprint in ``model_dir``'s metadata; the error says what is wrong."""
    try:
        meta = StudentMeta.read(model_dir)
    except StudentMetaError as exc:
        raise QueryEncoderMismatchError(
            f"{exc}; only such a student can be searched with its teacher's queries"
        ) from exc
    if meta.teacher_fingerprint is None:
        raise QueryEncoderMismatchError(
            f"{StudentMeta.path(model_dir)} names no {TEACHER_FINGERPRINT}"
        )
    return meta.teacher_fingerprint


def carried_weights(encoder: Encoder) -> set[str]:
    """The weight fingerprints whose vectors ``encoder`` computes: its own, and for an
    fp32 backend variant the fingerprint of the folder it was exported from."""
    source = getattr(encoder, "source_fingerprint", None)
    return {encoder.fingerprint, source} - {None}


def check_query_encoder(document_encoder_dir: Path, query_encoder: Encoder) -> None:
    """Raise :class:`QueryEncoderMismatchError` unless ``query_encoder`` carries the
    weights of the teacher that the model at ``document_encoder_dir`` was distilled from.
    """
    expected = _teacher_fingerprint(Path(document_encoder_dir))
    if expected not in carried_weights(query_encoder):
        raise QueryEncoderMismatchError(
            f"query encoder {query_encoder.name!r} (fingerprint {query_encoder.fingerprint}) "
            f"is not the teacher that {document_encoder_dir} was distilled from (teacher "
            f"fingerprint {expected} in its {DISTILL_META}); its queries would not share "
            "the documents' vector space"
        )


def check_pairing(document_encoder: Encoder, query_encoder: Encoder) -> None:
    """Raise :class:`QueryEncoderMismatchError` unless ``query_encoder`` may encode
    queries against vectors built by ``document_encoder``.

    The same weights always may. Otherwise the document encoder needs a model folder
    (``model_dir``, as :class:`~encoders.SentenceTransformerEncoder` has) whose metadata
    names ``query_encoder`` as its teacher, and both must have the same dimension.
    """
    if query_encoder.fingerprint == document_encoder.fingerprint:
        return
    model_dir = model_dir_of(document_encoder)
    if model_dir is None:
        raise QueryEncoderMismatchError(
            f"document encoder {document_encoder.name!r} has no model folder, so nothing "
            f"says {query_encoder.name!r} may encode its queries"
        )
    check_query_encoder(model_dir, query_encoder)
    if query_encoder.dim != document_encoder.dim:
        raise QueryEncoderMismatchError(
            f"query encoder {query_encoder.name!r} has dimension {query_encoder.dim}, "
            f"the documents' encoder {document_encoder.name!r} {document_encoder.dim}"
        )
    logger.info(
        "queries for %s (distilled from %s) will be encoded by %s",
        document_encoder.name,
        query_encoder.fingerprint,
        query_encoder.name,
    )


def pairs_with(document_encoder: Encoder, query_encoder: Encoder) -> bool:
    """:func:`check_pairing` as a yes or no; a no is logged with its reason."""
    try:
        check_pairing(document_encoder, query_encoder)
    except QueryEncoderMismatchError as exc:
        logger.info("no teacher-query mode for %s: %s", document_encoder.name, exc)
        return False
    return True
