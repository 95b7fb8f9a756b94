"""The export use case: ONNX / OpenVINO variants of the teacher (or of a student) as
encoders of their own, static int8 calibrated on the user's own passages.

``teacher`` writes ``<models>/teacher-onnx-int8``, ``teacher-openvino-int8``...; they are
then indexed, searched, compared and evaluated by those names like any encoder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings
from encoders import STUDENT, TEACHER, model_location, resolve_model
from encoders.variants import VARIANTS

logger = logging.getLogger(__name__)

#: Passages at most read for calibration (the export samples its own few hundred).
MAX_CALIBRATION_DOCUMENTS = 5000


@dataclass(frozen=True)
class ExportRequest:
    """Which model, which variants, and the passages static int8 is calibrated on."""

    backends: tuple[str, ...]
    model: str = TEACHER  # teacher, student, or a model folder
    data: str | None = None  # a folder, a BEIR corpus or collection:NAME (openvino-int8)
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [b for b in self.backends if b not in VARIANTS]
        if not self.backends or unknown:
            raise ValueError(f"backends must be some of {', '.join(VARIANTS)}, got {unknown}")
        if "openvino-int8" in self.backends and not self.data:
            raise ValueError(
                "openvino-int8 is calibrated on your own passages: give --data (the folder "
                "you index, a BEIR corpus.jsonl, or collection:NAME)"
            )


def export_model(settings: Settings, request: ExportRequest) -> dict[str, Path]:
    """Export the variants; suffix -> folder (next to the model: ``models/teacher-...``)."""
    from encoders.backend_export import export_variants

    source = resolve_model(model_location(request.model, settings.models_dir))
    if request.model in (TEACHER, STUDENT):
        out_base = settings.models_dir / request.model
    else:
        out_base = Path(request.model)
    texts = calibration_texts(settings, request.data) if request.data else []
    max_seq = _max_seq_length(source)
    return export_variants(source, texts, request.backends, max_seq, request.seed, out_base)


def calibration_texts(settings: Settings, data: str) -> list[str]:
    """Whole documents of ``data`` as ``distill`` reads them (the text the index encodes)."""
    from distill.data import load_examples, whole_documents

    examples = load_examples(data, 256, settings.milvus_uri, settings.milvus_token)
    return whole_documents(examples)[:MAX_CALIBRATION_DOCUMENTS]


def _max_seq_length(source: Path) -> int:
    """The model's own ``max_seq_length`` (what the index encodes at)."""
    import json

    config = source / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length") or 256)
    return 256
