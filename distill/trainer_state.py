"""A training run's state: models, optimiser, data position, and its checkpoint on disk."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from distill import distributed
from distill.config import DistillConfig
from distill.data import BucketBatcher
from distill.student import SentenceEncoder, Teacher
from distill.targets import TeacherTargets, Tokens

CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainResult:
    steps: int = 0
    epochs: float = 0.0
    seconds: float = 0.0
    samples: int = 0
    stopped_by: str = ""
    teacher_cached: bool = False
    targets_seconds: float = 0.0  # of ``seconds``: teacher targets computed up front
    last_losses: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class TrainState:
    """Everything one ``train`` call moves forward; ``model`` is ``student`` (DDP-wrapped
    when distributed). ``epoch``/``position`` name the last micro-batch taken; a resumed
    run skips every batch before ``skip_to``."""

    config: DistillConfig
    teacher: Teacher
    student: SentenceEncoder
    model: torch.nn.Module
    tok: Tokens
    targets: TeacherTargets
    batcher: BucketBatcher
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler | None
    generator: torch.Generator
    ctx: distributed.DistContext
    result: TrainResult
    epoch: int = 0
    position: int = 0
    skip_to: tuple[int, int] = (0, 0)

    def checkpoint(self) -> dict[str, Any]:
        """What a resumed run needs: weights, optimiser, RNG, counters and data position."""
        return {
            "config": self.config.to_dict(),
            "student": self.student.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "step": self.result.steps,
            "seconds": self.result.seconds,
            "samples": self.result.samples,
            "epoch": self.epoch,
            "position": self.position,
        }

    def save(self, path: Path) -> None:
        """Write :meth:`checkpoint` to ``path`` atomically (a temporary file, then rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save(self.checkpoint(), tmp)
        os.replace(tmp, path)

    def restore(self, path: Path | None) -> None:
        """Load the checkpoint at ``path`` into this state (``--resume``)."""
        if path is None or not path.is_file():
            raise FileNotFoundError(f"--resume: no checkpoint at {path}")
        state = torch.load(path, map_location=self.ctx.device, weights_only=False)
        if tuple(state["config"]["layer_map"]) != tuple(self.config.layer_map or ()):
            raise ValueError("--resume: the checkpoint was trained with another layer map")
        self.student.load_state_dict(state["student"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"].cpu())
        self.result.steps = state["step"]
        self.result.seconds = state["seconds"]
        self.result.samples = state["samples"]
        self.skip_to = (state["epoch"], state["position"] + 1)
