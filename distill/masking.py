"""Dynamic masking for the masked-LM term (BERT's 15%, split 80/10/10)."""

from __future__ import annotations

import torch

from distill.losses import IGNORE_INDEX


def mask_tokens(
    input_ids: torch.Tensor,
    maskable: torch.Tensor,
    mask_token_id: int,
    vocab_size: int,
    probability: float = 0.15,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Choose ``probability`` of the maskable tokens; return ``(inputs, labels)``.

    ``input_ids`` ``(B, L)`` long; ``maskable`` ``(B, L)`` bool, False for padding and
    special tokens. Of the chosen tokens 80% become ``mask_token_id``, 10% a random
    token and 10% stay as they are. ``labels`` ``(B, L)`` hold the original id at chosen
    positions and -100 elsewhere. A fresh draw on every call: masking is dynamic.
    """
    if not 0 < probability < 1:
        raise ValueError(f"probability must be in (0, 1), got {probability}")
    device = input_ids.device
    draw = torch.rand(input_ids.shape, generator=generator, device=device)
    chosen = (draw < probability) & maskable
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE_INDEX))
    action = torch.rand(input_ids.shape, generator=generator, device=device)
    to_mask = chosen & (action < 0.8)
    to_random = chosen & (action >= 0.8) & (action < 0.9)
    random_ids = torch.randint(
        vocab_size, input_ids.shape, generator=generator, device=device, dtype=input_ids.dtype
    )
    inputs = torch.where(to_mask, torch.full_like(input_ids, mask_token_id), input_ids)
    inputs = torch.where(to_random, random_ids, inputs)
    return inputs, labels
