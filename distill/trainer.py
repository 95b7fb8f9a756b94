"""The training loop: one optimiser step = ``grad_accum`` micro-batches of the triple loss."""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from distill import distributed
from distill.config import DistillConfig
from distill.data import BucketBatcher, Example
from distill.student import SentenceEncoder, Teacher
from distill.targets import TeacherTargets, Tokens, use_cache
from distill.trainer_state import CHECKPOINT, TrainResult, TrainState
from distill.trainer_step import step_losses

if TYPE_CHECKING:
    from tqdm import tqdm

logger = logging.getLogger(__name__)

#: ``(epoch, position, example indices)`` per micro-batch, as :class:`BucketBatcher` yields.
Batches = Iterator[tuple[int, int, list[int]]]


class TrainingDivergedError(RuntimeError):
    """A loss became NaN or infinite."""


def lr_factor(progress: float, warmup: float) -> float:
    """Linear warmup over ``warmup`` of the run, then linear decay to 0 at ``progress`` 1."""
    progress = min(max(progress, 0.0), 1.0)
    if warmup > 0 and progress < warmup:
        return progress / warmup
    return max(0.0, (1.0 - progress) / max(1e-9, 1.0 - warmup))


def train(
    config: DistillConfig,
    teacher: Teacher,
    student: SentenceEncoder,
    examples: Sequence[Example],
    checkpoint_dir: Path | None = None,
    resume: bool = False,
    ctx: distributed.DistContext | None = None,
    progress: bool = True,
    on_step: Callable[[int, float, SentenceEncoder], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> TrainResult:
    """Train ``student`` in place; return what happened.

    ``on_step(step, train_seconds, student)`` runs after every optimiser step; the time it
    takes is not charged to the ``max_minutes`` budget (benchmarks snapshot through it).
    ``clock`` measures that budget: wall time by default; a benchmark that shares the
    machine passes a CPU-time clock so its budget does not shrink with other load.
    """
    from tqdm import tqdm

    ctx = ctx or distributed.DistContext()
    state = _start(config, teacher, student, examples, ctx)
    result = state.result
    ckpt_path = checkpoint_dir / CHECKPOINT if checkpoint_dir else None
    if resume:
        state.restore(ckpt_path)
        logger.info("resumed at step %d (%.1f min)", result.steps, result.seconds / 60)
    budget_s = config.max_minutes * 60 if config.max_minutes else math.inf
    batches = iter(state.batcher)
    bar = tqdm(
        total=config.steps,
        initial=result.steps,
        disable=not (progress and ctx.is_main),
        unit="step",
        desc="distil",
    )
    per_epoch = max(1, len(state.batcher.epoch(0)))
    started = clock()
    if config.targets_upfront and state.targets.enabled:
        _fill_targets(state)
        result.targets_seconds = clock() - started
    while (run_progress := _agreed_progress(state, budget_s)) is not None:
        for group in state.optimizer.param_groups:
            group["lr"] = config.lr * lr_factor(run_progress, config.warmup_fraction)
        set_embeddings_trainable(student, run_progress >= config.frozen_embeddings)
        logged = _accumulate(state, batches)
        _optimizer_step(state)
        _count_step(state, logged, clock() - started, per_epoch, bar)
        if ckpt_path and ctx.is_main and result.steps % config.checkpoint_every == 0:
            state.save(ckpt_path)
        if on_step is not None:
            on_step(result.steps, result.seconds, student)
        started = clock()
    bar.close()
    if ckpt_path and ctx.is_main:
        state.save(ckpt_path)
    student.eval()
    return result


def _start(
    config: DistillConfig,
    teacher: Teacher,
    student: SentenceEncoder,
    examples: Sequence[Example],
    ctx: distributed.DistContext,
) -> TrainState:
    """Seed, move the models to ``ctx.device``, tokenise, and build the optimiser."""
    if ctx.distributed and 0 < config.frozen_embeddings < 1:
        raise ValueError("frozen_embeddings must be 0 or 1 under torchrun (DDP cannot unfreeze)")
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    generator = torch.Generator(device=ctx.device).manual_seed(config.seed + 7919 * ctx.rank)
    device = ctx.device
    teacher.model.to(device)
    student.to(device).train()
    tok = Tokens(teacher.tokenizer, examples, config.max_seq_length)
    cache = use_cache(config, teacher, tok)
    targets = TeacherTargets(teacher, config.alpha_cos_token > 0, cache, config.precision)
    batcher = BucketBatcher(
        [len(r) for r in tok.ids],
        config.batch_size,
        config.seed,
        pool_batches=50 if config.bucket_batches else 1,
        rank=ctx.rank,
        world=ctx.world,
    )
    set_embeddings_trainable(student, config.frozen_embeddings == 0)
    model = distributed.wrap(student, ctx)
    return TrainState(
        config=config,
        teacher=teacher,
        student=student,
        model=model,
        tok=tok,
        targets=targets,
        batcher=batcher,
        optimizer=_optimizer(config, student),
        scaler=distributed.grad_scaler(device, config.precision),
        generator=generator,
        ctx=ctx,
        result=TrainResult(teacher_cached=targets.enabled),
    )


def set_embeddings_trainable(student: SentenceEncoder, trainable: bool) -> None:
    """Freeze or unfreeze the word, position and token-type embedding matrices.

    Frozen, they get no gradient, so the optimiser skips them: the word matrix alone
    holds most of a shallow student's weights, and it starts as the teacher's own.
    """
    embeddings = student.encoder.get_input_embeddings()
    modules = getattr(student.encoder, "embeddings", None)
    for module in (embeddings, *(modules.children() if modules is not None else ())):
        if isinstance(module, torch.nn.Embedding):
            module.weight.requires_grad_(trainable)


def _fill_targets(state: TrainState) -> None:
    """Teacher targets for every micro-batch the run will take (one epoch when only the
    clock bounds it), computed before the first step."""
    config, batcher = state.config, state.batcher
    wanted = (config.steps * config.grad_accum) if config.steps else len(batcher.epoch(0))
    idx: list[int] = []
    number = 0
    while wanted > 0 and (batches := batcher.epoch(number)):
        for batch in batches[:wanted]:
            idx.extend(batch)
        wanted -= len(batches)
        number += 1
    state.targets.fill(idx, state.tok, state.ctx.device)


def _optimizer(config: DistillConfig, student: SentenceEncoder) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (not on biases or norm weights)."""
    decay = [p for n, p in student.named_parameters() if p.ndim > 1 and "norm" not in n.lower()]
    no_decay = [
        p for n, p in student.named_parameters() if not (p.ndim > 1 and "norm" not in n.lower())
    ]
    return torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=config.lr,
    )


def _agreed_progress(state: TrainState, budget_s: float) -> float | None:
    """How far the run is in [0, 1] (steps or time, whichever is further) as every rank
    agrees, or None once it must stop (``result.stopped_by`` then says why)."""
    config, result = state.config, state.result
    done_by_steps = config.steps is not None and result.steps >= config.steps
    prog_values = [
        result.steps / config.steps if config.steps else 0.0,
        result.seconds / budget_s if budget_s < math.inf else 0.0,
        float(done_by_steps or result.seconds >= budget_s),
    ]
    p_steps, p_time, stop = distributed.agree_max(prog_values, state.ctx)
    if stop:
        result.stopped_by = "steps" if done_by_steps else "time"
        return None
    return max(p_steps, p_time)


def _accumulate(state: TrainState, batches: Batches) -> dict[str, float]:
    """Forward and backward ``grad_accum`` micro-batches; their mean loss terms."""
    config, result, ctx = state.config, state.result, state.ctx
    model, teacher, targets = state.model, state.teacher, state.targets
    logged: dict[str, float] = {}
    for _ in range(config.grad_accum):
        idx = _next_batch(state, batches)
        terms = step_losses(
            config, model, teacher, targets, state.tok, idx, ctx.device, state.generator
        )
        total = terms["total"] / config.grad_accum
        values = {k: float(v.detach()) for k, v in terms.items()}
        _check_finite(values, result.steps + 1, config.lr)
        (state.scaler.scale(total) if state.scaler else total).backward()
        for k, v in values.items():
            logged[k] = logged.get(k, 0.0) + v / config.grad_accum
        result.samples += len(idx) * ctx.world
    return logged


def _next_batch(state: TrainState, batches: Batches) -> list[int]:
    """The next micro-batch's example indices, past what a resumed run already trained on."""
    state.epoch, state.position, idx = next(batches)
    while (state.epoch, state.position) < state.skip_to:
        state.epoch, state.position, idx = next(batches)
    return idx


def _check_finite(values: dict[str, float], step: int, lr: float) -> None:
    if not all(math.isfinite(v) for v in values.values()):
        raise TrainingDivergedError(
            f"loss is not finite at step {step}: "
            + ", ".join(f"{k}={v:.4g}" for k, v in values.items())
            + f". Lower the learning rate (now {lr:g}) or check the data."
        )


def _optimizer_step(state: TrainState) -> None:
    """Unscale (fp16), clip the gradient norm, step, and clear the gradients."""
    scaler, optimizer = state.scaler, state.optimizer
    if scaler:
        scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(state.student.parameters(), state.config.max_grad_norm)
    if scaler:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def _count_step(
    state: TrainState, logged: dict[str, float], seconds: float, per_epoch: int, bar: tqdm
) -> None:
    """Record a finished optimiser step that took ``seconds``; show every term on ``bar``."""
    result = state.result
    result.steps += 1
    result.seconds += seconds
    result.last_losses = logged
    result.epochs = state.epoch + (state.position + 1) / per_epoch
    bar.update(1)
    bar.set_postfix(
        {
            **{k: f"{v:.3f}" for k, v in logged.items()},
            "min": f"{result.seconds / 60:.1f}",
            "ep": f"{result.epochs:.2f}",
        },
        refresh=False,
    )
