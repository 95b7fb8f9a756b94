"""The agreement verdict shown beside a student, read from its ``distill_meta.json``.

``distilsearch distill`` (and ``distilsearch agreement --write``) record a label-free
estimate of how well the student agrees with its teacher on the user's documents
(:mod:`evaluation.agreement`) under ``"agreement"``. The sentence is rebuilt here from
the recorded figures, never taken from the file as text; the pages still escape it.
"""

from __future__ import annotations

import logging

from encoders import Encoder
from encoders.int8 import is_int8_export
from encoders.pairing import model_dir_of
from encoders.student_meta import StudentMeta
from evaluation.agreement import AgreementEstimate

logger = logging.getLogger(__name__)


def agreement_note(encoder: Encoder) -> str | None:
    """The verdict recorded for ``encoder``'s model folder, e.g. "On your documents the
    student agrees with the teacher on 8 of 10 results ..."; None when the encoder has
    no folder, the folder no metadata, or the metadata no well-formed estimate."""
    folder = model_dir_of(encoder)
    meta = StudentMeta.read_optional(folder)
    if folder is None or meta is None or meta.agreement is None:
        return None
    try:
        estimate = AgreementEstimate.from_dict(meta.agreement)
    except ValueError as exc:
        logger.info("no agreement note from %s: %s", StudentMeta.path(folder), exc)
        return None
    return estimate.verdict("the int8 student" if is_int8_export(folder) else "the student")
