"""End to end: teacher + data -> trained student -> fp32 and int8 exports with metadata."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distill import distributed
from distill.config import DistillConfig
from distill.data import Example, load_examples, split_holdout, vary_queries, whole_documents

if TYPE_CHECKING:
    from distill.student import SentenceEncoder, Teacher

logger = logging.getLogger(__name__)

FIDELITY_MAX_TEXTS = 256


@dataclass(frozen=True)
class RunOutput:
    """The exports, their metadata, and every passage of the data (trained on or held out;
    in load order; empty on processes other than the main one)."""

    out: Path
    int8_out: Path | None
    meta: dict[str, Any]
    passages: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()  # the passages rejoined per document (int8 calibration)
    variants: dict[str, Path] = field(default_factory=dict)  # backend suffix -> folder


def undertrained(stopped_by: str, steps: int, target: int | None) -> bool:
    """Whether the run ended on its clock before its step budget."""
    return stopped_by == "time" and target is not None and steps < target


def int8_dir_for(out: Path) -> Path:
    """``models/student`` -> ``models/student-int8`` (the encoder registry's name)."""
    return out.with_name(out.name + "-int8")


def run_distillation(
    config: DistillConfig,
    data: str,
    out: Path,
    *,
    resume: bool = False,
    int8: bool = True,
    int8_skip: tuple[str, ...] = (),
    backends: tuple[str, ...] = (),
    milvus_uri: str = "",
    milvus_token: str = "",
    ctx: distributed.DistContext | None = None,
    progress: bool = True,
    on_step: Callable | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> RunOutput:
    """Distil ``config.teacher`` on ``data`` into ``out`` (checkpoints in ``out``.ckpt).

    ``backends`` names the ONNX / OpenVINO variants to export beside ``out``
    (:mod:`encoders.variants`); static int8 calibrates on whole training documents.
    """
    from distill import trainer

    ctx = ctx or distributed.DistContext()
    started = time.perf_counter()
    config, teacher_dir, teacher, student = _load_models(config)
    examples = load_examples(data, config.max_seq_length, milvus_uri, milvus_token)
    train_set, held_out = split_holdout(examples, config.holdout_fraction, config.seed)
    train_set = vary_queries(train_set, config.query_kinds, config.seed)
    checkpoint_dir = out.with_name(out.name + ".ckpt")
    result = trainer.train(
        config,
        teacher,
        student,
        train_set,
        checkpoint_dir=checkpoint_dir,
        resume=resume,
        ctx=ctx,
        progress=progress,
        on_step=on_step,
        clock=clock,
    )
    training = _training_record(result, config, ctx)
    meta = _metadata(config, data, teacher_dir, teacher, student, train_set, held_out, training)
    if not ctx.is_main:
        return RunOutput(out, None, meta)
    student.to("cpu")
    teacher.model.to("cpu")
    if held_out:
        meta["fidelity"] = _fidelity(config, teacher, student, held_out)
    meta["wall_seconds"] = time.perf_counter() - started
    int8_out = _export(teacher, student, out, meta, int8, int8_skip)
    variants = _export_backends(out, backends, train_set, teacher.max_seq_length, config.seed)
    texts = tuple(e.text for e in examples)
    documents = tuple(whole_documents(examples))
    return RunOutput(out, int8_out, meta, texts, documents=documents, variants=variants)


def _training_record(result, config: DistillConfig, ctx: distributed.DistContext) -> dict:
    """What ``distill_meta.json`` says about the run: steps, time, where, whether cut short."""
    return {
        **result.to_dict(),
        "world_size": ctx.world,
        "device": str(ctx.device),
        "target_steps": config.steps,
        "undertrained": undertrained(result.stopped_by, result.steps, config.steps),
    }


def _load_models(config: DistillConfig) -> tuple[DistillConfig, Path, Teacher, SentenceEncoder]:
    """Resolve and load the teacher; build the student from its layers.

    Returns the config with ``layer_map`` resolved against the teacher's depth.
    """
    from distill.student import build_student, load_teacher
    from encoders import resolve_model

    teacher_dir = resolve_model(config.teacher)
    teacher = load_teacher(teacher_dir)
    config = config.with_layers(teacher.num_layers)
    student = build_student(
        teacher.model.encoder,
        config.layer_map,
        init=config.init,
        dropout=config.dropout,
        pooling_mode=teacher.model.pooling_mode,
        seed=config.seed,
    )
    return config, teacher_dir, teacher, student


def _metadata(
    config: DistillConfig,
    data: str,
    teacher_dir: Path,
    teacher: Teacher,
    student: SentenceEncoder,
    train_set: Sequence[Example],
    held_out: Sequence[Example],
    training: dict[str, Any],
) -> dict[str, Any]:
    """What ``distill_meta.json`` records about the teacher, the student, data and training."""
    import torch

    from encoders import fingerprint

    return {
        "teacher": config.teacher,
        "teacher_dir": str(teacher_dir),
        "teacher_fingerprint": fingerprint(teacher_dir),
        "teacher_layers": teacher.num_layers,
        "layer_map": list(config.layer_map),
        "student_layers": len(config.layer_map),
        "params": sum(p.numel() for p in student.encoder.parameters()),
        "loss_weights": config.weights(),
        "temperature": config.temperature,
        "kd_target": "vocabulary logits" if teacher.has_mlm_head else "in-batch similarities",
        "config": config.to_dict(),
        "data": {
            "source": data,
            "passages": len(train_set),
            "held_out_passages": len(held_out),
            "documents": len({e.doc for e in train_set}),
        },
        "training": training,
        "torch": torch.__version__,
    }


def _fidelity(
    config: DistillConfig, teacher: Teacher, student: SentenceEncoder, held_out: Sequence[Example]
) -> dict[str, float]:
    """How closely the student's embeddings follow the teacher's on held-out passages."""
    from distill import fidelity

    texts = [e.text for e in held_out[:FIDELITY_MAX_TEXTS]]
    return fidelity.fidelity(
        student.eval(), teacher.model, teacher.tokenizer, texts, config.max_seq_length
    )


def _export(
    teacher: Teacher,
    student: SentenceEncoder,
    out: Path,
    meta: dict[str, Any],
    int8: bool,
    int8_skip: tuple[str, ...],
) -> Path | None:
    """Write the fp32 student to ``out`` and, with ``int8``, its int8 copy; the int8 folder."""
    from distill import export

    export.export_student(student, teacher.tokenizer, out, teacher.max_seq_length, meta)
    if not int8:
        return None
    return export.export_int8(out, int8_dir_for(out), skip=int8_skip)


def _export_backends(
    out: Path,
    backends: tuple[str, ...],
    train_set: Sequence[Example],
    max_seq_length: int,
    seed: int,
) -> dict[str, Path]:
    """The ONNX / OpenVINO variants of the fp32 export at ``out``; suffix -> folder.

    Static int8 calibrates on whole training documents at the export's own
    ``max_seq_length`` (the length the indexer encodes at), not on the shorter training
    windows: activation ranges are then measured on the inputs the variant will serve.
    """
    if not backends:
        return {}
    from encoders.backend_export import export_variants

    return export_variants(out, whole_documents(train_set), backends, max_seq_length, seed)
