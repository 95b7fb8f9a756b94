"""How faithful a student is: cosine(student, teacher) on held-out texts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from distill.student import SentenceEncoder


@torch.no_grad()
def embed(
    model: SentenceEncoder,
    tokenizer: Any,
    texts: Sequence[str],
    max_seq_length: int,
    batch_size: int = 32,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Unit sentence embeddings ``(len(texts), H)`` float32 on CPU."""
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(
            list(texts[start : start + batch_size]),
            truncation=True,
            max_length=max_seq_length,
            padding=True,
            return_tensors="pt",
        )
        ids = batch["input_ids"].to(device)
        mask = batch["attention_mask"].to(device)
        out.append(model.embed(ids, mask).cpu())
    model.train(was_training)
    return torch.cat(out) if out else torch.zeros(0, 0)


def cosine_stats(student_emb: torch.Tensor, teacher_emb: torch.Tensor) -> dict[str, float]:
    """Row-wise cosine of two ``(N, H)`` unit-vector sets: mean, 5th percentile, min, N."""
    if student_emb.shape != teacher_emb.shape or student_emb.shape[0] == 0:
        raise ValueError(
            f"need two equal, non-empty sets: {student_emb.shape} vs {teacher_emb.shape}"
        )
    cos = torch.nn.functional.cosine_similarity(student_emb, teacher_emb, dim=-1).double()
    return {
        "cosine_mean": float(cos.mean()),
        "cosine_p5": float(torch.quantile(cos, 0.05)),
        "cosine_min": float(cos.min()),
        "n": int(cos.numel()),
    }


def fidelity(
    student: SentenceEncoder,
    teacher: SentenceEncoder,
    tokenizer: Any,
    texts: Sequence[str],
    max_seq_length: int,
    device: torch.device | str = "cpu",
) -> dict[str, float]:
    """``cosine_stats`` of student vs teacher on ``texts`` (should be held out)."""
    if not texts:
        raise ValueError("fidelity needs at least one held-out text")
    s = embed(student, tokenizer, texts, max_seq_length, device=device)
    t = embed(teacher, tokenizer, texts, max_seq_length, device=device)
    return {**cosine_stats(s, t), "max_seq_length": max_seq_length}
