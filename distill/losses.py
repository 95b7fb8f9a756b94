"""The DistilBERT triple loss (KD soft targets, masked LM, cosine) as pure functions.

Shapes: ``B`` batch, ``L`` tokens, ``H`` hidden size, ``V`` vocabulary, ``Q`` anchors
(pseudo-queries or the passages themselves), ``D`` passages.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

IGNORE_INDEX = -100


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """``(B, L, H)``, ``(B, L)`` -> ``(B, H)``: mean over the real (unpadded) tokens."""
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, mode: str = "mean") -> torch.Tensor:
    """Sentence embedding ``(B, H)`` by ``mode``: ``mean`` or ``cls`` (first token)."""
    if mode == "mean":
        return mean_pool(hidden, attention_mask)
    if mode == "cls":
        return hidden[:, 0]
    raise ValueError(f"unsupported pooling mode {mode!r} (mean or cls)")


def kd_soft_target_loss(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float
) -> torch.Tensor:
    """KL(softmax(t/T) || softmax(s/T)) * T², averaged over rows.

    ``(N, C)``, ``(N, C)`` -> scalar. Rows are whatever carries a distribution: masked
    positions over the vocabulary, or anchors over in-batch passages. Entries of
    ``-inf`` in both (masked-out choices) contribute nothing.
    """
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(f"logit shapes differ: {student_logits.shape} vs {teacher_logits.shape}")
    if student_logits.shape[0] == 0:
        return student_logits.sum() * 0.0
    t = temperature
    log_p_student = F.log_softmax(student_logits / t, dim=-1)
    p_teacher = F.softmax(teacher_logits / t, dim=-1)
    log_p_teacher = F.log_softmax(teacher_logits / t, dim=-1)
    terms = torch.where(
        p_teacher > 0, p_teacher * (log_p_teacher - log_p_student), torch.zeros_like(p_teacher)
    )
    return terms.sum(-1).mean() * t * t


def similarity_logits(
    anchors: torch.Tensor, passages: torch.Tensor, scale: float, mask_diagonal: bool = False
) -> torch.Tensor:
    """``(Q, H)``, ``(D, H)`` -> ``(Q, D)`` cosine similarities times ``scale``.

    ``mask_diagonal`` sets ``[i, i]`` to ``-inf`` (anchors are the passages themselves,
    so self-similarity would swamp the distribution).
    """
    logits = F.normalize(anchors, dim=-1) @ F.normalize(passages, dim=-1).T * scale
    if mask_diagonal:
        eye = torch.eye(logits.shape[0], logits.shape[1], dtype=torch.bool, device=logits.device)
        logits = logits.masked_fill(eye, float("-inf"))
    return logits


def mlm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over masked positions: ``(B, L, V)``, ``(B, L)`` -> scalar.

    ``labels`` hold the original token id at masked positions and ``-100`` elsewhere;
    with no masked position the loss is 0 (and still attached to the graph).
    """
    flat_labels = labels.reshape(-1)
    if not bool((flat_labels != IGNORE_INDEX).any()):
        return logits.sum() * 0.0
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]).float(), flat_labels, ignore_index=IGNORE_INDEX
    )


def token_cosine_loss(
    student_hidden: torch.Tensor, teacher_hidden: torch.Tensor, attention_mask: torch.Tensor
) -> torch.Tensor:
    """DistilBERT's cosine loss: mean of ``1 - cos`` over real tokens.

    ``(B, L, H)``, ``(B, L, H)``, ``(B, L)`` -> scalar; padded positions are ignored.
    """
    keep = attention_mask.bool()
    if not bool(keep.any()):
        return student_hidden.sum() * 0.0
    cos = F.cosine_similarity(student_hidden[keep].float(), teacher_hidden[keep].float(), dim=-1)
    return (1.0 - cos).mean()


def sentence_cosine_loss(student_emb: torch.Tensor, teacher_emb: torch.Tensor) -> torch.Tensor:
    """Embedding fidelity: mean ``1 - cos`` over rows, ``(B, H)``, ``(B, H)`` -> scalar."""
    cos = F.cosine_similarity(student_emb.float(), teacher_emb.float(), dim=-1)
    return (1.0 - cos).mean()
