"""The demo use case: the Django docs, a student distilled on them, and what to index.

Each step is one call the ``demo`` command makes in turn. The student is the default one
(its depth and step budget: the same work on any machine, under a wall-clock ceiling),
exported with its ONNX / OpenVINO variants beside the teacher's; an existing student is
reused. The demo indexes with the teacher (the reference every page compares with) and
with the encoder the student's frontier recommends.
"""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from distill.config import DistillConfig
from encoders import DEFAULT_TEACHER_MODEL, STUDENT, TEACHER
from indexer.demo_corpus import fetch_django_docs
from usecases.distilling import DistillOutcome, DistillRun, distill_student
from usecases.frontier import recommended_encoder
from usecases.indexing import IndexRequest

#: The demo corpus's files (Sphinx pages named .txt).
DEMO_FILES = ("*.txt",)
#: The teacher's exports the demo writes: the fast query encoder for teacher-query mode,
#: and its static int8 (calibrated on the demo's documents) for the frontier.
TEACHER_EXPORTS = ("onnx", "openvino-int8")


def demo_docs(settings: Settings) -> Path:
    """The Django documentation tree, fetched with ``pip download`` once."""
    return fetch_django_docs(settings.data_dir / "demo")


def demo_student(
    settings: Settings, docs: Path, steps: int, max_minutes: float | None
) -> DistillOutcome:
    """The default student distilled on ``docs`` for ``steps`` (an existing one reused)."""
    run = DistillRun(reuse=True, teacher_backends=TEACHER_EXPORTS, backends=BACKENDS)
    config = DistillConfig(teacher=DEFAULT_TEACHER_MODEL, steps=steps, max_minutes=max_minutes)
    return distill_student(config, str(docs), settings.models_dir / STUDENT, settings, run)


#: The student's variants the demo exports (every one the frontier may recommend).
BACKENDS = ("onnx", "onnx-int8", "openvino", "openvino-int8")


def demo_request(settings: Settings, docs: Path, with_student: bool) -> IndexRequest:
    """Index ``docs`` with the teacher and, after distilling, the recommended encoder (the
    student when its record recommends none)."""
    encoders = [TEACHER]
    if with_student:
        best = recommended_encoder(settings)
        if best is None and (settings.models_dir / STUDENT).is_dir():
            best = STUDENT
        if best and best not in encoders:
            encoders.append(best)
    return IndexRequest((docs,), tuple(encoders), include=DEMO_FILES)
