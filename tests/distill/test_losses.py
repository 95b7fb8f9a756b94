"""The triple loss, term by term, against values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from distill import losses
from distill.masking import mask_tokens


def test_kd_soft_target_loss_by_hand() -> None:
    # teacher [0, ln 3] / T=1 -> p = [1/4, 3/4]; student [0, 0] -> q = [1/2, 1/2]
    # KL(p || q) = 1/4 ln(1/2) + 3/4 ln(3/2)
    teacher = torch.tensor([[0.0, math.log(3.0)]])
    student = torch.zeros(1, 2)
    expected = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    got = losses.kd_soft_target_loss(student, teacher, temperature=1.0)
    assert got.item() == pytest.approx(expected, rel=1e-6)


def test_kd_temperature_scales_logits_and_multiplies_by_t_squared() -> None:
    # with T=2 the teacher logits [0, 2 ln 3] become [0, ln 3]: same p as above, times 4
    teacher = torch.tensor([[0.0, 2 * math.log(3.0)]])
    expected = 4 * (0.25 * math.log(0.5) + 0.75 * math.log(1.5))
    got = losses.kd_soft_target_loss(torch.zeros(1, 2), teacher, temperature=2.0)
    assert got.item() == pytest.approx(expected, rel=1e-6)


def test_kd_is_zero_for_identical_logits_and_ignores_masked_entries() -> None:
    logits = torch.tensor([[float("-inf"), 1.0, 2.0], [0.5, float("-inf"), 0.1]])
    assert losses.kd_soft_target_loss(logits, logits.clone(), 2.0).item() == pytest.approx(0.0)


def test_similarity_logits_scale_and_diagonal() -> None:
    a = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    out = losses.similarity_logits(a, a, scale=20.0, mask_diagonal=True)
    assert out[0, 1].item() == 0.0 and math.isinf(out[0, 0].item())
    plain = losses.similarity_logits(a, torch.tensor([[3.0, 3.0]]), scale=10.0)
    assert plain[0, 0].item() == pytest.approx(10 / math.sqrt(2), rel=1e-6)


def test_mlm_loss_by_hand_and_ignores_unlabelled_positions() -> None:
    logits = torch.tensor([[[0.0, 0.0], [5.0, -5.0]]])  # (B=1, L=2, V=2)
    labels = torch.tensor([[1, -100]])
    assert losses.mlm_loss(logits, labels).item() == pytest.approx(math.log(2.0), rel=1e-6)
    none = losses.mlm_loss(logits.requires_grad_(), torch.full((1, 2), -100))
    assert none.item() == 0.0 and none.requires_grad


def test_token_cosine_loss_masks_padding() -> None:
    student = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [9.0, 9.0]]])
    teacher = torch.tensor([[[1.0, 0.0], [1.0, 0.0], [-9.0, 1.0]]])
    mask = torch.tensor([[1, 1, 0]])
    # real tokens: cos 1 and cos 0 -> mean(1 - cos) = 0.5; the padded one would add more
    assert losses.token_cosine_loss(student, teacher, mask).item() == pytest.approx(0.5)


def test_sentence_cosine_loss_by_hand() -> None:
    student = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    teacher = torch.tensor([[2.0, 0.0], [1.0, 0.0]])
    expected = ((1 - 1.0) + (1 - 1 / math.sqrt(2))) / 2
    assert losses.sentence_cosine_loss(student, teacher).item() == pytest.approx(expected)


def test_mean_pool_ignores_padding() -> None:
    hidden = torch.tensor([[[1.0, 1.0], [3.0, 5.0], [100.0, 100.0]]])
    pooled = losses.mean_pool(hidden, torch.tensor([[1, 1, 0]]))
    assert pooled.tolist() == [[2.0, 3.0]]


def test_masking_rates_and_labels() -> None:
    gen = torch.Generator().manual_seed(0)
    ids = torch.full((200, 100), 7)
    maskable = torch.ones_like(ids, dtype=torch.bool)
    maskable[:, :2] = False
    inputs, labels = mask_tokens(ids, maskable, mask_token_id=4, vocab_size=50, generator=gen)
    chosen = labels != -100
    assert not chosen[:, :2].any()
    rate = chosen.float().mean().item() / 0.98
    assert 0.14 < rate < 0.16
    assert (labels[chosen] == 7).all()
    masked = (inputs[chosen] == 4).float().mean().item()
    kept = (inputs[chosen] == 7).float().mean().item()
    assert 0.77 < masked < 0.83 and 0.08 < kept < 0.13  # 10% kept + random hits on 7
    assert (inputs[~chosen] == 7).all()
    again, _ = mask_tokens(ids, maskable, 4, 50, generator=gen)
    assert not torch.equal(again, inputs)  # dynamic: a new draw every call
