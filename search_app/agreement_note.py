"""The agreement verdict shown beside a student, read from its ``distill_meta.json``.

``distilsearch distill`` (and ``distilsearch agreement --write``) record a label-free
estimate of how well the student agrees with its teacher on the user's documents
(:mod:`evaluation.agreement`) under ``"agreement"``. The sentence is rebuilt here from
the recorded figures, never taken from the file as text; the pages still escape it.
"""

from __future__ import annotations

import json
import logging

from encoders import Encoder
from encoders.int8 import is_int8_export
from encoders.pairing import DISTILL_META, model_dir_of
from evaluation.agreement import AgreementEstimate

logger = logging.getLogger(__name__)

KEY = "agreement"
#: A metadata file larger than this is not read (an export's is a few KB).
MAX_META_BYTES = 1 << 20


def agreement_note(encoder: Encoder) -> str | None:
    """The verdict recorded for ``encoder``'s model folder, e.g. "On your documents the
    student agrees with the teacher on 8 of 10 results ..."; None when the encoder has
    no folder, the folder no metadata, or the metadata no well-formed estimate."""
    folder = model_dir_of(encoder)
    if folder is None or not (folder / DISTILL_META).is_file():
        return None
    path = folder / DISTILL_META
    try:
        if path.stat().st_size > MAX_META_BYTES:
            raise ValueError(f"larger than {MAX_META_BYTES} bytes")
        meta = json.loads(path.read_text(encoding="utf-8"))
        block = meta.get(KEY) if isinstance(meta, dict) else None
        if not isinstance(block, dict):
            return None
        estimate = AgreementEstimate.from_dict(block)
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        logger.info("no agreement note from %s: %s", path, exc)
        return None
    return estimate.verdict("the int8 student" if is_int8_export(folder) else "the student")
