"""The demo use case: the Django docs, a student distilled on them, and what to index.

Each step is one call the ``demo`` command makes in turn; the student is reused when one
is already in the models folder, and every encoder that exists afterwards is indexed, so
the UI offers none it cannot search.
"""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from distill.config import DistillConfig
from encoders import DEFAULT_TEACHER_MODEL, STUDENT, STUDENT_INT8, TEACHER
from indexer.demo_corpus import fetch_django_docs
from usecases.distilling import DistillOutcome, DistillRun, distill_student
from usecases.indexing import IndexRequest

#: The demo corpus's files (Sphinx pages named .txt).
DEMO_FILES = ("*.txt",)


def demo_docs(settings: Settings) -> Path:
    """The Django documentation tree, fetched with ``pip download`` once."""
    return fetch_django_docs(settings.data_dir / "demo")


def demo_student(settings: Settings, docs: Path, config: DistillConfig) -> DistillOutcome:
    """A student distilled on ``docs`` (an existing one is reused)."""
    run = DistillRun(reuse=True, teacher_backends=("onnx",))
    config = DistillConfig(**{**config.to_dict(), "teacher": DEFAULT_TEACHER_MODEL})
    return distill_student(config, str(docs), settings.models_dir / STUDENT, settings, run)


def demo_request(settings: Settings, docs: Path, with_student: bool) -> IndexRequest:
    """Index ``docs`` with the teacher, and with the student and its int8 export when they
    are on disk."""
    encoders = [TEACHER]
    if with_student:
        encoders += [n for n in (STUDENT, STUDENT_INT8) if (settings.models_dir / n).is_dir()]
    return IndexRequest((docs,), tuple(encoders), include=DEMO_FILES)
