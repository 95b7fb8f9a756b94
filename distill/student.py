"""Teacher loading and student construction (BERT and MPNet encoders).

The student is the teacher's architecture with ``len(layer_map)`` layers: embeddings
(and every other non-layer weight, e.g. MPNet's relative attention bias) are copied,
and student layer ``i`` is a copy of teacher layer ``layer_map[i]``. A masked-LM head
(transform + decoder tied to the student's word embeddings) sits on top for the MLM term.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from distill.losses import pool

logger = logging.getLogger(__name__)

_LAYER_KEY = re.compile(r"^encoder\.layer\.(\d+)\.(.+)$")
_TEACHER_MLM_PREFIXES = ("cls.predictions.", "lm_head.")


class MLMHead(nn.Module):
    """BERT's prediction head: dense + GELU + LayerNorm, decoder tied to word embeddings."""

    def __init__(self, word_embeddings: nn.Embedding, layer_norm_eps: float = 1e-12) -> None:
        super().__init__()
        hidden = word_embeddings.embedding_dim
        self.dense = nn.Linear(hidden, hidden)
        self.norm = nn.LayerNorm(hidden, eps=layer_norm_eps)
        self.decoder = nn.Linear(hidden, word_embeddings.num_embeddings)
        self.decoder.weight = word_embeddings.weight  # tied: MLM gradients reach the encoder

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """``(N, H)`` -> ``(N, V)`` vocabulary logits."""
        return self.decoder(self.norm(F.gelu(self.dense(hidden))))


class SentenceEncoder(nn.Module):
    """A Hugging Face encoder + pooling (+ an optional MLM head) that returns what losses need."""

    def __init__(
        self, encoder: nn.Module, pooling_mode: str = "mean", mlm_head: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.pooling_mode = pooling_mode
        self.mlm_head = mlm_head

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        mlm_positions: torch.Tensor | None = None,
        query_ids: torch.Tensor | None = None,
        query_mask: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor | None]:
        """Passages ``(B, L)`` (+ optional queries ``(Q, Lq)``) -> the tensors losses need.

        Returns ``hidden`` ``(B, L, H)``, ``pooled`` ``(B, H)``, ``mlm_logits`` ``(N, V)``
        at the N True entries of ``mlm_positions`` (the full ``(B, L, V)`` product would
        cost as much as the encoder) and ``query_pooled`` ``(Q, H)``; absent parts are None.
        Queries run in the same call so one DDP forward covers both.
        """
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
        out: dict[str, torch.Tensor | None] = {
            "hidden": hidden,
            "pooled": pool(hidden, attention_mask, self.pooling_mode),
            "mlm_logits": None,
            "query_pooled": None,
        }
        if mlm_positions is not None and self.mlm_head is not None:
            out["mlm_logits"] = self.mlm_head(hidden[mlm_positions])
        if query_ids is not None and query_mask is not None:
            q_hidden = self.encoder(input_ids=query_ids, attention_mask=query_mask)[0]
            out["query_pooled"] = pool(q_hidden, query_mask, self.pooling_mode)
        return out

    @torch.no_grad()
    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Unit-length sentence embeddings ``(B, H)`` (inference)."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
        return F.normalize(pool(hidden, attention_mask, self.pooling_mode).float(), dim=-1)


@dataclass
class Teacher:
    """A loaded teacher: model (eval mode, frozen), tokenizer and where it came from."""

    model: SentenceEncoder
    tokenizer: object
    model_dir: Path
    max_seq_length: int

    @property
    def has_mlm_head(self) -> bool:
        return self.model.mlm_head is not None

    @property
    def num_layers(self) -> int:
        return int(self.model.encoder.config.num_hidden_layers)


def _pooling_mode(model_dir: Path) -> str:
    """Pooling of a sentence-transformers folder (``mean`` when it does not say)."""
    modules = model_dir / "modules.json"
    if modules.is_file():
        for module in json.loads(modules.read_text()):
            if module.get("type", "").endswith("Pooling"):
                config = model_dir / module.get("path", "") / "config.json"
                if config.is_file():
                    settings = json.loads(config.read_text())
                    if settings.get("pooling_mode_cls_token"):
                        return "cls"
                    mode = settings.get("pooling_mode")
                    if mode in ("cls", "mean"):
                        return mode
    return "mean"


def _max_seq_length(model_dir: Path, default: int = 256) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length") or default)
    return default


def _weight_keys(model_dir: Path) -> set[str]:
    keys: set[str] = set()
    for path in model_dir.glob("*.safetensors"):
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            keys.update(handle.keys())
    return keys


def load_teacher(model_dir: Path) -> Teacher:
    """Load a sentence-transformers folder as a frozen teacher (with its MLM head if saved)."""
    from transformers import AutoModel, AutoModelForMaskedLM, AutoTokenizer

    model_dir = Path(model_dir)
    keys = _weight_keys(model_dir)
    mlm_head = None
    if any(k.startswith(_TEACHER_MLM_PREFIXES) for k in keys):
        full = AutoModelForMaskedLM.from_pretrained(str(model_dir))
        base_name = full.base_model_prefix
        encoder = getattr(full, base_name)
        mlm_head = getattr(full, "cls", None) or getattr(full, "lm_head", None)
        logger.info("teacher %s has an MLM head: KD on vocabulary logits", model_dir)
    else:
        encoder = AutoModel.from_pretrained(str(model_dir))
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = SentenceEncoder(encoder, _pooling_mode(model_dir), mlm_head).eval()
    for param in model.parameters():
        param.requires_grad_(False)
    return Teacher(model, tokenizer, model_dir, _max_seq_length(model_dir))


def _base_state(encoder: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v for k, v in encoder.state_dict().items()}


def build_student(
    teacher_encoder: nn.Module,
    layer_map: tuple[int, ...],
    init: str = "teacher",
    dropout: float | None = None,
    with_mlm_head: bool = True,
    pooling_mode: str = "mean",
    seed: int = 0,
) -> SentenceEncoder:
    """A ``len(layer_map)``-layer copy of ``teacher_encoder`` (a BertModel/MPNetModel).

    ``init="teacher"`` copies embeddings and layers by ``layer_map``; ``"random"`` keeps
    the shape with freshly initialised weights (the ablation's baseline).
    """
    n_teacher = int(teacher_encoder.config.num_hidden_layers)
    if not layer_map or max(layer_map) >= n_teacher or min(layer_map) < 0:
        raise ValueError(f"layer_map {layer_map} does not fit a {n_teacher}-layer teacher")
    config = copy.deepcopy(teacher_encoder.config)
    config.num_hidden_layers = len(layer_map)
    if dropout is not None:
        config.hidden_dropout_prob = dropout
        config.attention_probs_dropout_prob = dropout
    torch.manual_seed(seed)
    student = type(teacher_encoder)(config)
    if init == "teacher":
        source = _base_state(teacher_encoder)
        target = student.state_dict()
        for key in target:
            match = _LAYER_KEY.match(key)
            teacher_key = (
                f"encoder.layer.{layer_map[int(match.group(1))]}.{match.group(2)}" if match else key
            )
            if teacher_key in source:
                target[key] = source[teacher_key].detach().clone()
            elif match:
                raise ValueError(f"teacher has no weight {teacher_key!r} for student {key!r}")
            else:  # e.g. a pooler the teacher was saved without: unused by the losses
                logger.debug("student weight %s has no teacher counterpart", key)
        student.load_state_dict(target)
    elif init != "random":
        raise ValueError(f"init must be 'teacher' or 'random', got {init!r}")
    head = None
    if with_mlm_head:
        eps = float(getattr(config, "layer_norm_eps", 1e-12))
        head = MLMHead(student.get_input_embeddings(), eps)
    logger.info(
        "student: %d layers from teacher layers %s (init=%s)", len(layer_map), layer_map, init
    )
    return SentenceEncoder(student, pooling_mode, head)
