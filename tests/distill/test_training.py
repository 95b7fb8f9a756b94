"""The loop on a tiny teacher: it learns, checkpoints, resumes, stops on NaN; exports load."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from distill.config import DistillConfig
from distill.data import load_examples
from distill.student import build_student, load_teacher
from distill.trainer import TrainingDivergedError, lr_factor, train
from tests.support.tiny_models import tiny_teacher


def _config(teacher_dir: Path, **kw) -> DistillConfig:
    base = DistillConfig(
        teacher=str(teacher_dir),
        steps=4,
        max_minutes=None,
        batch_size=8,
        max_seq_length=24,
        lr=1e-3,
        alpha_ce=1.0,
        alpha_mlm=0.5,
        checkpoint_every=2,
    )
    return replace(base, **kw).with_layers(4)


def _setup(teacher_dir: Path, corpus: Path, config: DistillConfig):
    teacher = load_teacher(teacher_dir)
    student = build_student(teacher.model.encoder, config.layer_map, seed=config.seed)
    return teacher, student, load_examples(str(corpus), config.max_seq_length)


def test_lr_schedule() -> None:
    assert lr_factor(0.0, 0.1) == 0.0
    assert lr_factor(0.05, 0.1) == pytest.approx(0.5)
    assert lr_factor(0.1, 0.1) == pytest.approx(1.0)
    assert lr_factor(0.55, 0.1) == pytest.approx(0.5)
    assert lr_factor(1.0, 0.1) == 0.0


def test_training_reduces_the_loss_and_reports_every_term(teacher_dir, corpus) -> None:
    config = _config(teacher_dir, steps=25, warmup_fraction=0.0)
    teacher, student, examples = _setup(teacher_dir, corpus, config)
    seen: list[float] = []

    def record(step: int, seconds: float, model) -> None:
        seen.append(step)

    result = train(config, teacher, student, examples, progress=False, on_step=record)
    assert result.steps == 25 and seen == list(range(1, 26))
    assert set(result.last_losses) == {"ce", "mlm", "cos_token", "cos_sentence", "total"}
    first = build_student(teacher.model.encoder, config.layer_map)
    from distill.fidelity import fidelity

    texts = [e.text for e in examples[:32]]
    before = fidelity(first, teacher.model, teacher.tokenizer, texts, 24)["cosine_mean"]
    after = fidelity(student, teacher.model, teacher.tokenizer, texts, 24)["cosine_mean"]
    assert after > before


def test_teacher_cache_gives_the_same_losses(teacher_dir, corpus) -> None:
    runs = []
    for cache in ("always", "never"):
        config = _config(teacher_dir, steps=3, cache_teacher=cache, alpha_mlm=0.0)
        teacher, student, examples = _setup(teacher_dir, corpus, config)
        runs.append(train(config, teacher, student, examples, progress=False))
    assert runs[0].teacher_cached and not runs[1].teacher_cached
    for key, value in runs[0].last_losses.items():
        assert value == pytest.approx(runs[1].last_losses[key], rel=1e-3, abs=1e-5)


def test_checkpoint_and_resume_match_an_uninterrupted_run(teacher_dir, corpus, tmp_path) -> None:
    config = _config(teacher_dir, steps=4, cache_teacher="never")
    teacher, straight, examples = _setup(teacher_dir, corpus, config)
    train(config, teacher, straight, examples, progress=False)

    half = replace(config, steps=2)
    _, first, _ = _setup(teacher_dir, corpus, config)
    train(half, teacher, first, examples, checkpoint_dir=tmp_path, progress=False)
    _, resumed, _ = _setup(teacher_dir, corpus, config)
    result = train(
        config, teacher, resumed, examples, checkpoint_dir=tmp_path, resume=True, progress=False
    )
    assert result.steps == 4
    # step 2's LR differs (the schedule of a 2-step run ends at 0), so compare loosely
    for (name, a), b in zip(
        straight.state_dict().items(), resumed.state_dict().values(), strict=True
    ):
        assert torch.allclose(a, b, atol=5e-2), name
    with pytest.raises(FileNotFoundError):
        train(config, teacher, resumed, examples, checkpoint_dir=tmp_path / "x", resume=True)


def test_nan_stops_with_a_clear_error(teacher_dir, corpus) -> None:
    config = _config(teacher_dir, steps=3)
    teacher, student, examples = _setup(teacher_dir, corpus, config)
    with torch.no_grad():
        student.encoder.embeddings.word_embeddings.weight.fill_(float("nan"))
    with pytest.raises(TrainingDivergedError, match="not finite at step 1"):
        train(config, teacher, student, examples, progress=False)


def test_time_budget_stops_training(teacher_dir, corpus) -> None:
    config = _config(teacher_dir, steps=None, max_minutes=0.002)
    teacher, student, examples = _setup(teacher_dir, corpus, config)
    result = train(config, teacher, student, examples, progress=False)
    assert result.stopped_by == "time" and result.steps >= 1


def test_terms_switch_off_and_vocabulary_kd_with_an_mlm_teacher(corpus, tmp_path) -> None:
    mlm_teacher = tiny_teacher(tmp_path / "mlm", layers=4, mlm_head=True)
    config = _config(mlm_teacher, steps=2, alpha_mlm=0.0, alpha_cos_token=0.0)
    teacher, student, examples = _setup(mlm_teacher, corpus, config)
    assert teacher.has_mlm_head
    result = train(config, teacher, student, examples, progress=False)
    assert set(result.last_losses) == {"ce", "cos_sentence", "total"}
    assert not result.teacher_cached


def test_run_exports_loadable_fp32_and_int8_folders(teacher_dir, corpus, tmp_path) -> None:
    from sentence_transformers import SentenceTransformer

    from distill.run import run_distillation
    from encoders import fingerprint
    from encoders.int8 import is_int8_export

    config = _config(teacher_dir, steps=3, holdout_fraction=0.1)
    out = run_distillation(config, str(corpus), tmp_path / "student", progress=False)
    meta = json.loads((out.out / "distill_meta.json").read_text())
    assert meta["layer_map"] == [0, 3] and meta["training"]["steps"] == 3
    assert set(meta["loss_weights"]) == {"ce", "mlm", "cos_token", "cos_sentence"}
    assert 0 < meta["fidelity"]["cosine_mean"] <= 1 and meta["data"]["held_out_passages"] > 0
    assert "fidelity cosine_mean" in (out.out / "README.md").read_text()
    fp32 = SentenceTransformer(str(out.out), device="cpu")
    assert [type(m).__name__ for m in fp32] == ["Transformer", "Pooling", "Normalize"]
    assert not any("cls" in k or "mlm" in k for k in fp32.state_dict())
    assert not is_int8_export(out.out) and is_int8_export(out.int8_out)
    int8 = SentenceTransformer(str(out.int8_out), device="cpu", trust_remote_code=True)
    texts = ["the cat sat on the mat", "dog ran fast"]
    a, b = fp32.encode(texts), int8.encode(texts)
    assert (a * b).sum(1).min() > 0.95
    assert fingerprint(out.out) != fingerprint(out.int8_out)
    linear = int8[0].auto_model.encoder.layer[0].attention.self.query
    assert "quantized" in type(linear).__module__
    weight = linear.weight()  # one scale per output channel: per-tensor lost fidelity
    assert weight.qscheme() == torch.per_channel_affine
    assert weight.q_per_channel_scales().shape == (linear.out_features,)
    # int8 folders exported before the encoders package name distill.int8_module: a shim
    # keeps them loading, with the same quantized model
    modules_file = out.int8_out / "modules.json"
    modules = json.loads(modules_file.read_text())
    assert modules[0]["type"] == "encoders.int8_module.Int8Transformer"
    modules[0]["type"] = "distill.int8_module.Int8Transformer"
    modules_file.write_text(json.dumps(modules))
    assert is_int8_export(out.int8_out)
    legacy = SentenceTransformer(str(out.int8_out), device="cpu", trust_remote_code=True)
    assert np.allclose(legacy.encode(texts), b, atol=1e-6)
