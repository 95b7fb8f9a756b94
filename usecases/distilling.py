"""The distillation use case: train and export a student, write the teacher's exports for
teacher-query mode, and record the student's agreement with its teacher."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.settings import Settings
from distill.config import DistillConfig
from encoders.student_meta import StudentMeta

if TYPE_CHECKING:
    from distill.run import RunOutput

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistillRun:
    """How one distillation runs, beside the recipe in :class:`DistillConfig`."""

    reuse: bool = False
    resume: bool = False
    int8: bool = True
    int8_ffn_fp32: bool = False
    backends: tuple[str, ...] = ()
    teacher_backends: tuple[str, ...] = ()  # teacher exports (fp32 for teacher-query mode)
    agreement: bool = True
    threads: int | None = None
    device: str | None = None
    milvus_uri: str | None = None


@dataclass(frozen=True)
class DistillOutcome:
    """The run (None when an existing student was reused), what else was written, and
    the agreement verdicts; ``notes`` are warnings the front end should show."""

    out: Path
    result: RunOutput | None
    teacher_exports: dict[str, Path] = field(default_factory=dict)
    verdicts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    frontier: dict | None = None  # usecases.frontier's table on the user's documents
    main_process: bool = True  # False on the other ranks of a torchrun run


def distill_student(
    config: DistillConfig, data: str, out: Path, settings: Settings, run: DistillRun
) -> DistillOutcome:
    """Train and export a student at ``out`` (kept as it is when ``run.reuse`` finds one)."""
    notes: list[str] = []
    if run.reuse and StudentMeta.exists(out):
        exports = export_teacher(config.teacher, out.parent, run.teacher_backends, notes)
        return DistillOutcome(out, None, exports, (), tuple(notes))
    import torch

    from distill import distributed
    from distill.run import run_distillation
    from encoders.int8 import FFN_OUTPUT

    torch.set_num_threads(int(run.threads or settings.threads))
    ctx = distributed.setup(run.device)
    try:
        result = run_distillation(
            config,
            data,
            out,
            resume=run.resume,
            int8=run.int8,
            int8_skip=(FFN_OUTPUT,) if run.int8_ffn_fp32 else (),
            backends=run.backends,
            milvus_uri=run.milvus_uri or settings.milvus_uri,
            milvus_token=settings.milvus_token,
            ctx=ctx,
        )
    finally:
        distributed.cleanup(ctx)
    if not ctx.is_main:
        return DistillOutcome(out, result, main_process=False)
    exports = export_teacher(
        config.teacher, out.parent, run.teacher_backends, notes, result.documents
    )
    verdicts, frontier = [], None
    if run.agreement:
        tuned = settings.with_overrides(threads=run.threads)
        verdicts, frontier = _agreement(result, tuned, ctx, notes)
    return DistillOutcome(out, result, exports, tuple(verdicts), tuple(notes), frontier)


def _agreement(
    result: RunOutput, settings: Settings, ctx, notes: list[str]
) -> tuple[list[str], dict | None]:
    """The agreement estimate and the frontier; a failure is a note, not a failed
    ``distill`` (the student is trained and exported either way)."""
    from usecases.agreement import record_agreement

    seed = result.meta["config"]["seed"]
    try:
        return record_agreement(result, settings, ctx.device.type, seed)
    except (ValueError, OSError, RuntimeError) as exc:
        logger.warning("agreement estimate failed", exc_info=True)
        notes.append(f"agreement estimate skipped: {exc}")
        return [], None


def export_teacher(
    teacher: str,
    models_dir: Path,
    suffixes: tuple[str, ...],
    notes: list[str],
    documents: tuple[str, ...] = (),
) -> dict[str, Path]:
    """Write ``models_dir/teacher-<suffix>`` for each ``suffix`` not already exported from
    these teacher weights (the marker's source fingerprint says which); suffix -> folder.

    The fp32 exports compute the teacher's own query vectors faster than PyTorch and
    pair with the student (their markers carry the teacher's weight fingerprint); static
    int8 is calibrated on ``documents`` (a reused student has none: it is then skipped
    with a note naming the command that exports it).
    """
    from encoders import resolve_model
    from encoders.backend_export import export_variants
    from encoders.registry import TEACHER
    from encoders.resolve import fingerprint
    from encoders.variants import SOURCE_FINGERPRINT, read_variant, variant_dir

    if not suffixes:
        return {}
    teacher_dir = resolve_model(teacher)
    weights, base = fingerprint(teacher_dir), models_dir / TEACHER
    todo = []
    for suffix in suffixes:
        try:
            marker = read_variant(variant_dir(base, suffix)) or {}
        except ValueError:
            marker = {}  # unreadable: export it again
        if marker.get(SOURCE_FINGERPRINT) != weights:
            todo.append(suffix)
    if "openvino-int8" in todo and not documents:
        todo.remove("openvino-int8")
        notes.append(
            "teacher-openvino-int8 needs your passages to calibrate on: "
            "distilsearch export --model teacher --backends openvino-int8 --data PATH"
        )
    if not todo:
        return {}
    try:
        return export_variants(teacher_dir, list(documents), todo, out_base=base)
    except (RuntimeError, ValueError, OSError) as exc:  # the student is saved; this is extra
        notes.append(f"no teacher export {todo} ({exc}); teacher-query mode uses the teacher")
        return {}
