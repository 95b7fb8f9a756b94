"""The distillation recipe as one frozen, validated dataclass."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

#: What each loss term measures (``alpha_<term>`` weighs it; ``--alpha-<term>`` on the command
#: line), in the order the progress bar and the metadata show the terms.
LOSS_TERM_MEANING = {
    "ce": "temperature-softened KD on in-batch similarities (vocabulary logits if MLM teacher)",
    "mlm": "masked LM (each step also scores the vocabulary: slower on CPU)",
    "cos_token": "token cosine to the teacher's last hidden states",
    "cos_sentence": "cosine to the teacher's sentence embeddings",
}
LOSS_TERMS = tuple(LOSS_TERM_MEANING)
#: Kinds of pseudo-query a training passage can be paired with (:func:`distill.data.vary_queries`).
QUERY_KINDS = ("title", "sentence", "span", "question")
#: The default student of the default 6-layer teacher: its depth and its budget in
#: optimiser steps (chosen on the dev suite's speed-quality frontier, docs/distillation.md).
#: Teachers of another depth get half their layers (DistilBERT's rule) unless told.
MEASURED_DEPTHS = {6: 4}
DEFAULT_STEPS = 800
#: Arithmetic of the student's forward and backward passes (:func:`distill.distributed.autocast`).
PRECISIONS = ("auto", "bf16", "fp32")


def every_other_layer(n_teacher_layers: int) -> tuple[int, ...]:
    """DistilBERT's default map: teacher layers 0, 2, 4, ... (6 -> (0, 2, 4))."""
    if n_teacher_layers < 2:
        raise ValueError(f"a teacher needs >= 2 layers to distil, got {n_teacher_layers}")
    return tuple(range(0, n_teacher_layers, 2))


def spread_layers(n_teacher_layers: int, n_student_layers: int | None = None) -> tuple[int, ...]:
    """``n_student_layers`` teacher layers (default half), evenly spread, keeping the first
    and the last: 6 -> (0, 3, 5); 6, 4 -> (0, 2, 3, 5); 12 -> (0, 2, 4, 7, 9, 11), the map
    of Hugging Face's DistilBERT script (the choice is measured in docs/distillation.md).
    """
    k = n_student_layers or n_teacher_layers // 2
    if n_teacher_layers < 2 or not 1 <= k <= n_teacher_layers:
        raise ValueError(f"cannot keep {k} of {n_teacher_layers} teacher layers")
    if k == 1:
        return (n_teacher_layers - 1,)
    step = (n_teacher_layers - 1) / (k - 1)
    return tuple(math.floor(i * step + 0.5) for i in range(k))


def default_depth(n_teacher_layers: int) -> int:
    """The student depth used when none is given: the frontier's choice for a teacher of
    this depth (:data:`MEASURED_DEPTHS`), else half of its layers."""
    return MEASURED_DEPTHS.get(n_teacher_layers, max(1, n_teacher_layers // 2))


def parse_layer_map(text: str) -> tuple[int, ...]:
    """``"0,2,4"`` -> ``(0, 2, 4)``; a clear error for anything else."""
    try:
        layers = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError as exc:
        raise ValueError(f"--layer-map must be comma-separated integers, got {text!r}") from exc
    if not layers:
        raise ValueError("--layer-map is empty")
    return layers


@dataclass(frozen=True)
class DistillConfig:
    """Everything that decides what the student learns and how long it trains.

    A loss weight of 0 switches that term off. ``layer_map=None`` means ``layers`` teacher
    layers spread by :func:`spread_layers` (resolved once the teacher's depth is known, see
    :meth:`with_layers`); DistilBERT's every-other-layer map is ``--layer-map 0,2,4``.
    Training stops at ``steps`` optimiser steps or ``max_minutes``, whichever comes first;
    at least one of them must be set. Steps are the budget (the same work on any machine);
    the minutes are a ceiling, and a run stopped by it records itself as under-trained.
    The learning-rate schedule (linear warmup over ``warmup_fraction`` of the run, then
    linear decay to 0) follows the step count when ``steps`` is set and the clock otherwise.
    """

    teacher: str = "all-MiniLM-L6-v2"
    layers: int | None = None  # spread over the teacher; None: default_depth(teacher's)
    layer_map: tuple[int, ...] | None = None  # explicit teacher layers (overrides layers)
    init: str = "teacher"  # "teacher": copy layers; "random": same shape, random weights
    alpha_ce: float = 0.0  # off: on the dev suite it pulled documents away from the teacher
    alpha_mlm: float = 0.0  # off by default: it slows every step (docs/distillation.md)
    alpha_cos_token: float = 1.0
    alpha_cos_sentence: float = 4.0
    temperature: float = 2.0
    kd_scale: float = 20.0  # cosine similarities are multiplied by this before / T
    pseudo_queries: bool = True  # sentence cosine on them too; the KD's anchors when it is on
    query_kinds: tuple[str, ...] = ("title",)  # drawn per passage from QUERY_KINDS
    mlm_probability: float = 0.15
    lr: float = 2e-4
    weight_decay: float = 0.01
    batch_size: int = 32
    grad_accum: int = 1
    max_seq_length: int = 128
    warmup_fraction: float = 0.05
    max_grad_norm: float = 1.0
    dropout: float = 0.0
    seed: int = 42
    steps: int | None = DEFAULT_STEPS  # the budget counts work, so load cannot change it
    max_minutes: float | None = 60.0  # a wall-clock ceiling; stopping on it is flagged
    cache_teacher: str = "auto"  # "auto" | "always" | "never"
    cache_max_gb: float = 4.0
    # throughput levers (docs/results/distill_throughput.md)
    precision: str = "auto"  # "auto": bf16 where the hardware computes it natively; "bf16"; "fp32"
    frozen_embeddings: float = 0.0  # share of the run with word/position embeddings frozen
    targets_upfront: bool = False  # teacher targets for every window the run sees, first
    bucket_batches: bool = True  # batches of similar length (less padding)
    checkpoint_every: int = 200
    holdout_fraction: float = 0.02
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        weights = {f"alpha_{t}": getattr(self, f"alpha_{t}") for t in LOSS_TERMS}
        for name, value in weights.items():
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        if not any(weights.values()):
            raise ValueError("every loss weight is 0: nothing to train")
        if self.layers is not None and self.layers < 1:
            raise ValueError(f"layers must be >= 1, got {self.layers}")
        if self.layer_map is not None:
            if not self.layer_map:
                raise ValueError("layer_map is empty")
            if any(i < 0 for i in self.layer_map):
                raise ValueError(f"layer_map has a negative layer: {self.layer_map}")
            if list(self.layer_map) != sorted(set(self.layer_map)):
                raise ValueError(f"layer_map must be strictly increasing, got {self.layer_map}")
        object.__setattr__(self, "query_kinds", tuple(self.query_kinds))
        if not self.query_kinds or set(self.query_kinds) - set(QUERY_KINDS):
            raise ValueError(f"query_kinds must be some of {QUERY_KINDS}, got {self.query_kinds}")
        if self.init not in ("teacher", "random"):
            raise ValueError(f"init must be 'teacher' or 'random', got {self.init!r}")
        positive = {
            "temperature": self.temperature,
            "kd_scale": self.kd_scale,
            "lr": self.lr,
            "max_grad_norm": self.max_grad_norm,
            "cache_max_gb": self.cache_max_gb,
        }
        for name, value in positive.items():
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be > 0, got {value}")
        for name in ("batch_size", "grad_accum", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.batch_size < 2 and (self.alpha_ce > 0):
            raise ValueError("in-batch KD (alpha_ce > 0) needs batch_size >= 2")
        if not 8 <= self.max_seq_length <= 8192:
            raise ValueError(f"max_seq_length must be in [8, 8192], got {self.max_seq_length}")
        for name in ("mlm_probability", "warmup_fraction", "dropout", "weight_decay"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if not 0 <= self.holdout_fraction < 0.5:
            raise ValueError(f"holdout_fraction must be in [0, 0.5), got {self.holdout_fraction}")
        if self.alpha_mlm > 0 and self.mlm_probability == 0:
            raise ValueError("alpha_mlm > 0 needs mlm_probability > 0")
        if self.steps is None and self.max_minutes is None:
            raise ValueError("set steps, max_minutes or both: training needs an end")
        if self.steps is not None and self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if self.max_minutes is not None and not self.max_minutes > 0:
            raise ValueError(f"max_minutes must be > 0, got {self.max_minutes}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if not 0 <= self.frozen_embeddings <= 1:
            raise ValueError(f"frozen_embeddings must be in [0, 1], got {self.frozen_embeddings}")
        if self.cache_teacher not in ("auto", "always", "never"):
            raise ValueError(f"cache_teacher must be auto|always|never, got {self.cache_teacher!r}")

    def weights(self) -> dict[str, float]:
        """``{"ce": alpha_ce, "mlm": ..., "cos_token": ..., "cos_sentence": ...}``."""
        return {term: float(getattr(self, f"alpha_{term}")) for term in LOSS_TERMS}

    def with_layers(self, n_teacher_layers: int) -> DistillConfig:
        """This config with ``layer_map`` resolved and checked against the teacher's depth."""
        shallower = self.layers is None or self.layers < n_teacher_layers
        if self.layer_map is None and not shallower:
            raise ValueError(
                f"layers {self.layers}: a student needs fewer layers than its teacher's "
                f"{n_teacher_layers}"
            )
        depth = self.layers or default_depth(n_teacher_layers)
        layer_map = self.layer_map or spread_layers(n_teacher_layers, depth)
        if max(layer_map) >= n_teacher_layers:
            raise ValueError(
                f"layer_map {layer_map} names layer {max(layer_map)} but the teacher has "
                f"{n_teacher_layers} layers (0..{n_teacher_layers - 1})"
            )
        return replace(self, layer_map=tuple(layer_map), layers=len(layer_map))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["layer_map"] = list(self.layer_map) if self.layer_map else None
        data["query_kinds"] = list(self.query_kinds)
        return data
