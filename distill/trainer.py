"""The training loop: one optimiser step = ``grad_accum`` micro-batches of the triple loss."""

from __future__ import annotations

import logging
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from distill import distributed, losses
from distill.config import DistillConfig
from distill.data import BucketBatcher, Example
from distill.masking import mask_tokens
from distill.student import SentenceEncoder, Teacher
from distill.targets import TeacherTargets, Tokens, use_cache

logger = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"


class TrainingDivergedError(RuntimeError):
    """A loss became NaN or infinite."""


@dataclass
class TrainResult:
    steps: int = 0
    epochs: float = 0.0
    seconds: float = 0.0
    samples: int = 0
    stopped_by: str = ""
    teacher_cached: bool = False
    last_losses: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def lr_factor(progress: float, warmup: float) -> float:
    """Linear warmup over ``warmup`` of the run, then linear decay to 0 at ``progress`` 1."""
    progress = min(max(progress, 0.0), 1.0)
    if warmup > 0 and progress < warmup:
        return progress / warmup
    return max(0.0, (1.0 - progress) / max(1e-9, 1.0 - warmup))


def step_losses(
    config: DistillConfig,
    student: torch.nn.Module,
    teacher: Teacher,
    targets: TeacherTargets,
    tok: Tokens,
    idx: list[int],
    device: torch.device,
    generator: torch.Generator,
) -> dict[str, torch.Tensor]:
    """Every active loss term for one micro-batch (unweighted) plus the weighted ``total``."""
    ids, mask = tok.batch([tok.ids[i] for i in idx], device)
    qids = qmask = None
    if config.pseudo_queries:
        qids, qmask = tok.batch([tok.qids[i] for i in idx], device)
    inputs, positions = ids, None
    vocab_kd = teacher.has_mlm_head and config.alpha_ce > 0
    if config.alpha_mlm > 0 or vocab_kd:
        maskable = mask.bool() & ~torch.isin(ids, torch.tensor(sorted(tok.special), device=device))
        inputs, labels = mask_tokens(
            ids,
            maskable,
            int(teacher.tokenizer.mask_token_id),
            int(teacher.model.encoder.config.vocab_size),
            config.mlm_probability,
            generator,
        )
        positions = labels != losses.IGNORE_INDEX
    with distributed.autocast(device):
        out = student(inputs, mask, positions, qids, qmask)
    terms: dict[str, torch.Tensor] = {}
    if vocab_kd:  # the teacher sees the same masked input (DistilBERT's setting)
        with torch.no_grad(), distributed.autocast(device):
            t_out = teacher.model(inputs, mask, positions, qids, qmask)
        t_pooled, t_hidden, t_query = t_out["pooled"], t_out["hidden"], t_out["query_pooled"]
        terms["ce"] = losses.kd_soft_target_loss(
            out["mlm_logits"].float(), t_out["mlm_logits"].float(), config.temperature
        )
    else:
        t_pooled, t_hidden, t_query = targets.get(idx, tok, device)
        if config.alpha_ce > 0:
            anchors_s = out["query_pooled"] if config.pseudo_queries else out["pooled"]
            anchors_t = t_query if config.pseudo_queries else t_pooled
            diag = not config.pseudo_queries
            s_logits = losses.similarity_logits(
                anchors_s.float(), out["pooled"].float(), config.kd_scale, diag
            )
            t_logits = losses.similarity_logits(
                anchors_t.float(), t_pooled.float(), config.kd_scale, diag
            )
            terms["ce"] = losses.kd_soft_target_loss(s_logits, t_logits, config.temperature)
    if config.alpha_mlm > 0:
        terms["mlm"] = losses.mlm_loss(out["mlm_logits"], labels[positions].unsqueeze(0))
    if config.alpha_cos_token > 0:
        terms["cos_token"] = losses.token_cosine_loss(out["hidden"], t_hidden, mask)
    if config.alpha_cos_sentence > 0:
        s_emb, t_emb = out["pooled"], t_pooled
        if config.pseudo_queries and out["query_pooled"] is not None:
            s_emb = torch.cat([s_emb, out["query_pooled"]])
            t_emb = torch.cat([t_emb, t_query])
        terms["cos_sentence"] = losses.sentence_cosine_loss(s_emb, t_emb)
    weights = config.weights()
    terms["total"] = sum(weights[name] * value for name, value in terms.items())
    return terms


def _save_checkpoint(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


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
) -> TrainResult:
    """Train ``student`` in place; return what happened.

    ``on_step(step, train_seconds, student)`` runs after every optimiser step; the time it
    takes is not charged to the ``max_minutes`` budget (benchmarks snapshot through it).
    """
    from tqdm import tqdm

    ctx = ctx or distributed.DistContext()
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    generator = torch.Generator(device=ctx.device).manual_seed(config.seed + 7919 * ctx.rank)
    device = ctx.device
    teacher.model.to(device)
    student.to(device).train()
    tok = Tokens(teacher.tokenizer, examples, config.max_seq_length)
    targets = TeacherTargets(teacher, config.alpha_cos_token > 0, use_cache(config, teacher, tok))
    batcher = BucketBatcher(
        [len(r) for r in tok.ids], config.batch_size, config.seed, rank=ctx.rank, world=ctx.world
    )
    model = distributed.wrap(student, ctx)
    decay = [p for n, p in student.named_parameters() if p.ndim > 1 and "norm" not in n.lower()]
    no_decay = [
        p for n, p in student.named_parameters() if not (p.ndim > 1 and "norm" not in n.lower())
    ]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=config.lr,
    )
    scaler = distributed.grad_scaler(device)
    result = TrainResult(teacher_cached=targets.enabled)
    skip_to = (0, 0)
    ckpt_path = checkpoint_dir / CHECKPOINT if checkpoint_dir else None
    if resume:
        if ckpt_path is None or not ckpt_path.is_file():
            raise FileNotFoundError(f"--resume: no checkpoint at {ckpt_path}")
        state = torch.load(ckpt_path, map_location=device, weights_only=False)
        if tuple(state["config"]["layer_map"]) != tuple(config.layer_map or ()):
            raise ValueError("--resume: the checkpoint was trained with another layer map")
        student.load_state_dict(state["student"])
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["generator"].cpu())
        result.steps, result.seconds, result.samples = (
            state["step"],
            state["seconds"],
            state["samples"],
        )
        skip_to = (state["epoch"], state["position"] + 1)
        logger.info("resumed at step %d (%.1f min)", result.steps, result.seconds / 60)
    budget_s = config.max_minutes * 60 if config.max_minutes else math.inf
    batches = iter(batcher)
    bar = tqdm(
        total=config.steps,
        initial=result.steps,
        disable=not (progress and ctx.is_main),
        unit="step",
        desc="distil",
    )
    per_epoch = max(1, len(batcher.epoch(0)))
    epoch = position = 0
    clock = time.perf_counter()
    while True:
        done_by_steps = config.steps is not None and result.steps >= config.steps
        prog_values = [
            result.steps / config.steps if config.steps else 0.0,
            result.seconds / budget_s if budget_s < math.inf else 0.0,
            float(done_by_steps or result.seconds >= budget_s),
        ]
        p_steps, p_time, stop = distributed.agree_max(prog_values, ctx)
        if stop:
            result.stopped_by = "steps" if done_by_steps else "time"
            break
        for group in optimizer.param_groups:
            group["lr"] = config.lr * lr_factor(max(p_steps, p_time), config.warmup_fraction)
        logged: dict[str, float] = {}
        for _ in range(config.grad_accum):
            epoch, position, idx = next(batches)
            while (epoch, position) < skip_to:
                epoch, position, idx = next(batches)
            terms = step_losses(config, model, teacher, targets, tok, idx, device, generator)
            total = terms["total"] / config.grad_accum
            values = {k: float(v.detach()) for k, v in terms.items()}
            if not all(math.isfinite(v) for v in values.values()):
                raise TrainingDivergedError(
                    f"loss is not finite at step {result.steps + 1}: "
                    + ", ".join(f"{k}={v:.4g}" for k, v in values.items())
                    + f". Lower the learning rate (now {config.lr:g}) or check the data."
                )
            (scaler.scale(total) if scaler else total).backward()
            for k, v in values.items():
                logged[k] = logged.get(k, 0.0) + v / config.grad_accum
            result.samples += len(idx) * ctx.world
        if scaler:
            scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(student.parameters(), config.max_grad_norm)
        if scaler:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        result.steps += 1
        now = time.perf_counter()
        result.seconds += now - clock
        result.last_losses = logged
        result.epochs = epoch + (position + 1) / per_epoch
        bar.update(1)
        bar.set_postfix(
            {
                **{k: f"{v:.3f}" for k, v in logged.items()},
                "min": f"{result.seconds / 60:.1f}",
                "ep": f"{result.epochs:.2f}",
            },
            refresh=False,
        )
        if ckpt_path and ctx.is_main and result.steps % config.checkpoint_every == 0:
            _save_checkpoint(
                ckpt_path, _state(config, student, optimizer, generator, result, epoch, position)
            )
        if on_step is not None:
            on_step(result.steps, result.seconds, student)
        clock = time.perf_counter()
    bar.close()
    if ckpt_path and ctx.is_main:
        _save_checkpoint(
            ckpt_path, _state(config, student, optimizer, generator, result, epoch, position)
        )
    student.eval()
    return result


def _state(
    config, student, optimizer, generator, result: TrainResult, epoch: int, position: int
) -> dict:
    return {
        "config": config.to_dict(),
        "student": student.state_dict(),
        "optimizer": optimizer.state_dict(),
        "generator": generator.get_state(),
        "step": result.steps,
        "seconds": result.seconds,
        "samples": result.samples,
        "epoch": epoch,
        "position": position,
    }
