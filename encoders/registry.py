"""The encoder registry: ``teacher``, ``student``, ``student-int8``, or any model id or path."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from core.settings import Settings
from encoders.protocol import EncoderConfig
from encoders.resolve import MINILM, ModelNotFoundError, resolve_model
from encoders.sentence_transformer import SentenceTransformerEncoder

logger = logging.getLogger(__name__)

#: Registry names and what they resolve to; anything else is a model id or path.
TEACHER = "teacher"
STUDENT = "student"
STUDENT_INT8 = "student-int8"
DEFAULT_TEACHER_MODEL = MINILM


def model_location(name: str, models_dir: Path) -> str:
    """Map a registry name to a model id or directory (other names pass through)."""
    if name == TEACHER:
        return DEFAULT_TEACHER_MODEL
    if name in (STUDENT, STUDENT_INT8):
        folder = models_dir / name
        if not folder.is_dir():
            raise ModelNotFoundError(
                f"encoder {name!r} needs a distilled model at {folder}; "
                f"run `distilsearch distill --out {models_dir / STUDENT}` first"
            )
        return str(folder)
    return name


def build_encoder(
    name: str, settings: Settings, config: EncoderConfig | None = None
) -> SentenceTransformerEncoder:
    """Load the encoder registered as ``name`` (``teacher``, ``student``, ...) or by id/path."""
    import torch

    torch.set_num_threads(settings.threads)
    model_dir = resolve_model(model_location(name, settings.models_dir))
    logger.info("loading encoder %s from %s", name, model_dir)
    return SentenceTransformerEncoder(name, model_dir, config)


def encoder_slug(name: str) -> str:
    """A collection-name-safe form of an encoder name: ``student-int8`` -> ``student_int8``."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", Path(name).name if "/" in name else name).strip("_")
    return slug.lower() or "encoder"
