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

    ``token_states``: the teacher layers (0-based) whose token states the losses need,
    in the order the student's matching layers come; empty when no token loss is on.
    """

    def __init__(self, teacher: Teacher, token_states: tuple[int, ...], enabled: bool) -> None:
        self.teacher, self.token_states, self.enabled = teacher, token_states, enabled
        self.store: dict[int, tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]] = {}

    @torch.no_grad()
    def get(self, idx: list[int], tok: Tokens, device: torch.device) -> tuple[torch.Tensor, ...]:
        """``pooled (B, H)``, ``states (B, S, L, H)`` or None, ``query_pooled (B, H)``;
        ``S`` is ``len(token_states)``."""
        missing = [i for i in idx if i not in self.store]
        if missing:
            ids, mask = tok.batch([tok.ids[i] for i in missing], device)
            qids, qmask = tok.batch([tok.qids[i] for i in missing], device)
            with distributed.autocast(device):
                out = self.teacher.model(
                    ids, mask, query_ids=qids, query_mask=qmask, with_layers=bool(self.token_states)
                )
            states = select_states(out, self.token_states)
            if not self.enabled:  # no cache: the batch is exactly ``idx``
                states = None if states is None else states.float()
                return out["pooled"].float(), states, out["query_pooled"].float()
            for row, i in enumerate(missing):
                length = int(mask[row].sum())
                kept = None if states is None else states[row, :, :length].half().cpu()
                pooled, query = out["pooled"][row], out["query_pooled"][row]
                self.store[i] = (pooled.float().cpu(), kept, query.float().cpu())
        pooled = torch.stack([self.store[i][0] for i in idx]).to(device)
        queries = torch.stack([self.store[i][2] for i in idx]).to(device)
        states = None
        if self.token_states:
            width = max(self.store[i][1].shape[1] for i in idx)
            states = torch.zeros(len(idx), len(self.token_states), width, pooled.shape[-1])
            for row, i in enumerate(idx):
                kept = self.store[i][1]
                states[row, :, : kept.shape[1]] = kept.float()
            states = states.to(device)
        return pooled, states, queries

    def embed_all(self, tok: Tokens, device: torch.device, batch_size: int) -> torch.Tensor:
        """The teacher's pooled embedding of every passage ``(N, H)``, batched by length.

        With the cache on, every passage's targets are stored on the way.
        """
        from tqdm import tqdm

        order = sorted(range(len(tok.ids)), key=lambda i: len(tok.ids[i]))
        out = torch.zeros(len(order), 0)
        for start in tqdm(range(0, len(order), batch_size), desc="teacher", unit="batch"):
            idx = order[start : start + batch_size]
            pooled = self.get(idx, tok, device)[0].cpu()
            if out.shape[1] == 0:
                out = torch.zeros(len(order), pooled.shape[1])
            out[idx] = pooled
        return out


def select_states(out: dict, token_states: tuple[int, ...]) -> torch.Tensor | None:
    """The ``(B, S, L, H)`` token states of layers ``token_states`` from a forward pass
    made ``with_layers`` (None when none are needed)."""
    return out["layers"][:, list(token_states)] if token_states else None


def use_cache(
    config: DistillConfig, teacher: Teacher, tok: Tokens, token_states: tuple[int, ...]
) -> bool:
    if config.cache_teacher == "never" or teacher.has_mlm_head:
        return False  # a teacher with an MLM head sees the masked input, new every step
    if config.cache_teacher == "always":
        return True
    hidden = int(teacher.model.encoder.config.hidden_size)
    tokens = sum(len(r) for r in tok.ids) * len(token_states)
    need_gb = (tokens * hidden * 2 + len(tok.ids) * hidden * 8) / 1e9
    return need_gb <= config.cache_max_gb
