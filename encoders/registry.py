"""The encoder registry: ``teacher``, ``student``, ``student-int8``, their backend variants
(``student-onnx``, ``student-onnx-int8``, ``student-openvino``, ``student-openvino-int8``
and the same for ``teacher``), or any model id or path."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from core.settings import Settings
from encoders.protocol import Encoder, EncoderConfig
from encoders.resolve import MINILM, ModelNotFoundError, resolve_model
from encoders.variants import VARIANTS, is_backend_variant, split_variant_name, variant_name

logger = logging.getLogger(__name__)

#: Registry names and what they resolve to; anything else is a model id or path.
TEACHER = "teacher"
STUDENT = "student"
STUDENT_INT8 = "student-int8"
DEFAULT_TEACHER_MODEL = MINILM
#: Every backend variant name: ``student-onnx`` ... ``teacher-openvino-int8``.
VARIANT_NAMES = tuple(variant_name(b, s) for b in (STUDENT, TEACHER) for s in VARIANTS)


def model_location(name: str, models_dir: Path) -> str:
    """Map a registry name to a model id or directory (other names pass through)."""
    if name == TEACHER:
        return DEFAULT_TEACHER_MODEL
    if name in (STUDENT, STUDENT_INT8) or split_variant_name(name) is not None:
        folder = models_dir / name
        if not folder.is_dir():
            kind = "model" if name.startswith(TEACHER) else "distilled model"
            raise ModelNotFoundError(f"encoder {name!r} needs a {kind} at {folder}; {_hint(name)}")
        return str(folder)
    return name


def _hint(name: str) -> str:
    """The command that writes the folder a registry name needs."""
    split = split_variant_name(name)
    if split is not None and split[0] == TEACHER:
        return (
            "`distilsearch distill --teacher-backends onnx,openvino` writes the fp32 ones; "
            "any of them: encoders.backend_export.export_variants (out_base models/teacher)"
        )
    return "run `distilsearch distill --out models/student` first"


def build_encoder(name: str, settings: Settings, config: EncoderConfig | None = None) -> Encoder:
    """Load the encoder registered as ``name`` (``teacher``, ``student``, ...) or by id/path.

    A backend variant folder (ONNX / OpenVINO) runs on its runtime at ``settings.threads``
    threads; any other folder runs on sentence-transformers' PyTorch backend.
    """
    import torch

    torch.set_num_threads(settings.threads)
    model_dir = resolve_model(model_location(name, settings.models_dir))
    logger.info("loading encoder %s from %s", name, model_dir)
    if is_backend_variant(model_dir):
        from encoders.backend_encoder import BackendEncoder

        check_fresh(name, model_dir)
        return BackendEncoder(name, model_dir, config, threads=settings.threads)
    from encoders.sentence_transformer import SentenceTransformerEncoder

    return SentenceTransformerEncoder(name, model_dir, config)


class StaleExportError(ValueError):
    """A variant folder was exported from weights its source folder no longer holds."""


def check_fresh(name: str, model_dir: Path) -> None:
    """:class:`StaleExportError` when ``model_dir`` (a variant) was exported from its source
    folder's earlier weights: its numbers no longer match the model it stands for."""
    from encoders.resolve import fingerprint
    from encoders.variants import SOURCE_FINGERPRINT, read_variant

    marker = read_variant(model_dir) or {}
    source, recorded = marker.get("source"), marker.get(SOURCE_FINGERPRINT)
    if not source or not recorded or not Path(source).is_dir():
        return
    current = fingerprint.__wrapped__(Path(source))  # uncached: the weights may have changed
    if current == recorded:
        return
    base = split_variant_name(name)
    model = base[0] if base else source
    raise StaleExportError(
        f"{model_dir} was exported from {source}, whose weights changed since "
        f"({recorded} -> {current}), so it no longer encodes like that model; export it "
        f"again: distilsearch export --model {model} --backends {marker.get('variant')} "
        "--data PATH (or run distilsearch distill again for a student)"
    )


def encoder_slug(name: str) -> str:
    """A collection-name-safe form of an encoder name: ``student-int8`` -> ``student_int8``."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", Path(name).name if "/" in name else name).strip("_")
    return slug.lower() or "encoder"
