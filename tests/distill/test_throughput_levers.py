"""Throughput levers: precision chosen from the hardware, frozen embeddings, upfront targets,
length buckets. Each keeps the loss of a step what it was, or changes only what it says."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from distill import distributed
from distill.config import DistillConfig
from distill.data import load_examples
from distill.student import build_student, load_teacher
from distill.trainer import set_embeddings_trainable, train

CPU = torch.device("cpu")


def _run(teacher_dir: Path, corpus: Path, **kw):
    config = DistillConfig(
        teacher=str(teacher_dir),
        steps=3,
        max_minutes=None,
        batch_size=8,
        max_seq_length=24,
        lr=1e-3,
        **{"precision": "fp32", **kw},
    ).with_layers(4)
    teacher = load_teacher(teacher_dir)
    student = build_student(teacher.model.encoder, config.layer_map, seed=config.seed)
    examples = load_examples(str(corpus), config.max_seq_length)
    return train(config, teacher, student, examples, progress=False), student, teacher


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_is_bf16_only_where_the_cpu_computes_it(monkeypatch, native) -> None:
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: native)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    expected = torch.bfloat16 if native else None
    assert distributed.autocast_dtype(CPU, "auto") == expected
    assert distributed.autocast_dtype(CPU, "bf16") == torch.bfloat16
    assert distributed.autocast_dtype(CPU, "fp32") is None
    with distributed.autocast(CPU, "auto"):
        product = torch.ones(2, 2) @ torch.ones(2, 2)
    assert product.dtype == (torch.bfloat16 if native else torch.float32)
    assert distributed.grad_scaler(CPU, "auto") is None


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_training_runs_on_both_precision_paths(teacher_dir, corpus, precision) -> None:
    result, _, _ = _run(teacher_dir, corpus, precision=precision)
    assert result.steps == 3
    assert all(torch.isfinite(torch.tensor(v)) for v in result.last_losses.values())


def test_precision_must_be_known() -> None:
    with pytest.raises(ValueError, match="precision"):
        DistillConfig(precision="fp8")
    with pytest.raises(ValueError, match="frozen_embeddings"):
        DistillConfig(frozen_embeddings=1.5)


def test_frozen_embeddings_stay_the_teachers_and_the_layers_still_learn(teacher_dir, corpus):
    _, student, teacher = _run(teacher_dir, corpus, frozen_embeddings=1.0)
    words = student.encoder.embeddings.word_embeddings.weight
    assert torch.equal(words, teacher.model.encoder.embeddings.word_embeddings.weight)
    first = build_student(teacher.model.encoder, (0, 1, 2, 3))
    changed = student.encoder.encoder.layer[0].attention.self.query.weight
    assert not torch.equal(changed, first.encoder.encoder.layer[0].attention.self.query.weight)


def test_embeddings_unfreeze_for_the_last_part_of_the_run(teacher_dir, corpus) -> None:
    _, student, teacher = _run(teacher_dir, corpus, frozen_embeddings=0.5)
    words = student.encoder.embeddings.word_embeddings.weight
    assert words.requires_grad
    assert not torch.equal(words, teacher.model.encoder.embeddings.word_embeddings.weight)


def test_set_embeddings_trainable_switches_every_embedding_matrix(teacher_dir) -> None:
    teacher = load_teacher(teacher_dir)
    student = build_student(teacher.model.encoder, (0, 3))
    set_embeddings_trainable(student, False)
    frozen = {n for n, p in student.named_parameters() if not p.requires_grad}
    assert {
        "encoder.embeddings.word_embeddings.weight",
        "encoder.embeddings.position_embeddings.weight",
        "encoder.embeddings.token_type_embeddings.weight",
    } <= frozen
    assert not any("layer." in n for n in frozen)
    set_embeddings_trainable(student, True)
    assert all(p.requires_grad for p in student.parameters())


def test_upfront_targets_and_unbucketed_batches_keep_the_losses(teacher_dir, corpus) -> None:
    lazy, _, _ = _run(teacher_dir, corpus, cache_teacher="always")
    upfront, _, _ = _run(teacher_dir, corpus, cache_teacher="always", targets_upfront=True)
    assert upfront.teacher_cached and upfront.targets_seconds > 0
    assert lazy.targets_seconds == 0
    for key, value in lazy.last_losses.items():
        assert upfront.last_losses[key] == pytest.approx(value, rel=1e-4, abs=1e-6)
    plain, _, _ = _run(teacher_dir, corpus, bucket_batches=False)
    assert plain.steps == 3


def test_frozen_share_cannot_change_under_ddp(teacher_dir) -> None:
    config = replace(DistillConfig(teacher=str(teacher_dir)), frozen_embeddings=0.5)
    ctx = distributed.DistContext(rank=0, world=2)
    teacher = load_teacher(teacher_dir)
    config = config.with_layers(4)
    student = build_student(teacher.model.encoder, config.layer_map)
    with pytest.raises(ValueError, match="torchrun"):
        train(config, teacher, student, [], ctx=ctx, progress=False)


@pytest.mark.parametrize(("bf16", "expected"), [(True, torch.bfloat16), (False, torch.float16)])
def test_a_gpu_trains_in_bf16_or_fp16_with_a_scaler_for_fp16(monkeypatch, bf16, expected) -> None:
    """The GPU path's choices, checked without a GPU (the device object is all they read)."""
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    gpu = torch.device("cuda", 0)
    assert distributed.autocast_dtype(gpu, "auto") == expected
    assert distributed.autocast_dtype(gpu, "fp32") is None
    monkeypatch.setattr(torch.amp, "GradScaler", lambda device: f"scaler on {device}")
    assert distributed.grad_scaler(gpu, "auto") == (None if bf16 else "scaler on cuda")
