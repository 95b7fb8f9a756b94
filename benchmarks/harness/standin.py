"""A student of the right shape when no trained one is at hand: the teacher cut to half
its layers (0, 2, 4), untrained. It has the student's speed, not its vectors: timings
only, and labelled so in every result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LAYERS = (0, 2, 4)
LABEL = "stand-in: teacher layers 0,2,4, untrained (speed only)"


def standin_student(teacher: Any, folder: Path, paired: bool = False) -> Any:
    """An encoder named ``student`` over ``folder``, written from ``teacher``'s model folder
    on first use. ``paired``: its ``distill_meta.json`` names the teacher's weights, so
    teacher-query mode accepts it (it is the teacher's own layers)."""
    from encoders import SentenceTransformerEncoder

    if not (folder / "modules.json").is_file():
        _cut_teacher(Path(teacher.model_dir), folder)
    if paired:
        _pair_with(folder, teacher.fingerprint)
    return SentenceTransformerEncoder("student", folder)


def _cut_teacher(teacher_dir: Path, folder: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(teacher_dir), device="cpu")
    bert = model[0].auto_model
    bert.encoder.layer = torch.nn.ModuleList([bert.encoder.layer[i] for i in LAYERS])
    bert.config.num_hidden_layers = len(LAYERS)
    model.save(str(folder))


def _pair_with(folder: Path, teacher_fingerprint: str) -> None:
    """Metadata naming the teacher, as an export writes it."""
    from encoders import DEFAULT_TEACHER_MODEL
    from encoders.pairing import DISTILL_META, TEACHER_FINGERPRINT

    meta = {"teacher": DEFAULT_TEACHER_MODEL, TEACHER_FINGERPRINT: teacher_fingerprint}
    (folder / DISTILL_META).write_text(json.dumps(meta, indent=1) + "\n")
