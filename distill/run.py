"""End to end: teacher + data -> trained student -> fp32 and int8 exports with metadata."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distill import distributed
from distill.config import DistillConfig
from distill.data import load_examples, split_holdout

logger = logging.getLogger(__name__)

FIDELITY_MAX_TEXTS = 256


@dataclass(frozen=True)
class RunOutput:
    out: Path
    int8_out: Path | None
    meta: dict[str, Any]


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
    milvus_uri: str = "",
    milvus_token: str = "",
    ctx: distributed.DistContext | None = None,
    progress: bool = True,
    on_step: Callable | None = None,
) -> RunOutput:
    """Distil ``config.teacher`` on ``data`` into ``out`` (checkpoints in ``out``.ckpt)."""
    import torch

    from distill import export, fidelity, trainer
    from distill.resolve import fingerprint, resolve_model
    from distill.student import build_student, load_teacher

    ctx = ctx or distributed.DistContext()
    started = time.perf_counter()
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
    examples = load_examples(data, config.max_seq_length, milvus_uri, milvus_token)
    train_set, held_out = split_holdout(examples, config.holdout_fraction, config.seed)
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
    )
    meta: dict[str, Any] = {
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
        "training": {**result.to_dict(), "world_size": ctx.world, "device": str(ctx.device)},
        "torch": torch.__version__,
    }
    if not ctx.is_main:
        return RunOutput(out, None, meta)
    student.to("cpu")
    teacher.model.to("cpu")
    if held_out:
        texts = [e.text for e in held_out[:FIDELITY_MAX_TEXTS]]
        meta["fidelity"] = fidelity.fidelity(
            student.eval(), teacher.model, teacher.tokenizer, texts, config.max_seq_length
        )
    meta["wall_seconds"] = time.perf_counter() - started
    export.export_student(student, teacher.tokenizer, out, teacher.max_seq_length, meta)
    int8_out = None
    if int8:
        int8_out = export.export_int8(out, int8_dir_for(out), skip=int8_skip)
    return RunOutput(out, int8_out, meta)
