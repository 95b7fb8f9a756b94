"""Tokenised training text and the teacher's targets for it (cached per passage when it fits)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from distill import distributed
from distill.config import DistillConfig
from distill.data import Example
from distill.student import Teacher

QUERY_MAX_TOKENS = 48


class Tokens:
    """Pre-tokenised passages and pseudo-queries; ``batch`` pads a list of indices."""

    def __init__(self, tokenizer, examples: Sequence[Example], max_len: int) -> None:
        texts = [e.text for e in examples]
        queries = [e.query for e in examples]
        self.ids = tokenizer(texts, truncation=True, max_length=max_len)["input_ids"]
        self.qids = tokenizer(queries, truncation=True, max_length=QUERY_MAX_TOKENS)["input_ids"]
        self.pad = int(tokenizer.pad_token_id or 0)
        self.special = set(tokenizer.all_special_ids)

    def batch(self, rows: list[list[int]], device: torch.device) -> tuple[torch.Tensor, ...]:
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self.pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row)
            mask[i, : len(row)] = 1
        return ids.to(device), mask.to(device)


class TeacherTargets:
    """Teacher targets per example, kept after first use when caching is on.

    ``precision`` is the run's (:func:`distill.distributed.autocast`): the teacher computes
    its targets in the arithmetic the student trains in.
    """

    def __init__(
        self, teacher: Teacher, need_tokens: bool, enabled: bool, precision: str = "auto"
    ) -> None:
        self.teacher, self.need_tokens, self.enabled = teacher, need_tokens, enabled
        self.precision = precision
        self.store: dict[int, tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]] = {}

    def fill(self, idx: list[int], tok: Tokens, device: torch.device, batch: int = 64) -> None:
        """Compute and keep the targets of every example in ``idx`` now, in batches of
        similar length (the least padding), so training steps only read them."""
        todo = sorted(set(idx) - set(self.store), key=lambda i: len(tok.ids[i]))
        for start in range(0, len(todo), batch):
            self.get(todo[start : start + batch], tok, device)

    @torch.no_grad()
    def get(self, idx: list[int], tok: Tokens, device: torch.device) -> tuple[torch.Tensor, ...]:
        """``pooled (B, H)``, ``hidden (B, L, H)`` or None, ``query_pooled (B, H)``."""
        missing = [i for i in idx if i not in self.store]
        if missing:
            ids, mask = tok.batch([tok.ids[i] for i in missing], device)
            qids, qmask = tok.batch([tok.qids[i] for i in missing], device)
            with distributed.autocast(device, self.precision):
                out = self.teacher.model(ids, mask, query_ids=qids, query_mask=qmask)
            if not self.enabled:  # no cache: the batch is exactly ``idx``
                return out["pooled"].float(), out["hidden"].float(), out["query_pooled"].float()
            for row, i in enumerate(missing):
                length = int(mask[row].sum())
                hidden = out["hidden"][row, :length].half().cpu() if self.need_tokens else None
                self.store[i] = (
                    out["pooled"][row].float().cpu(),
                    hidden,
                    out["query_pooled"][row].float().cpu(),
                )
        pooled = torch.stack([self.store[i][0] for i in idx]).to(device)
        queries = torch.stack([self.store[i][2] for i in idx]).to(device)
        hidden = None
        if self.need_tokens:
            width = max(self.store[i][1].shape[0] for i in idx)
            hidden = torch.zeros(len(idx), width, pooled.shape[-1])
            for row, i in enumerate(idx):
                states = self.store[i][1]
                hidden[row, : states.shape[0]] = states.float()
            hidden = hidden.to(device)
        return pooled, hidden, queries


def use_cache(config: DistillConfig, teacher: Teacher, tok: Tokens) -> bool:
    if config.cache_teacher == "never" or teacher.has_mlm_head:
        return False  # a teacher with an MLM head sees the masked input, new every step
    if config.cache_teacher == "always":
        return True
    hidden = int(teacher.model.encoder.config.hidden_size)
    tokens = sum(len(r) for r in tok.ids) if config.alpha_cos_token > 0 else 0
    need_gb = (tokens * hidden * 2 + len(tok.ids) * hidden * 8) / 1e9
    return need_gb <= config.cache_max_gb
