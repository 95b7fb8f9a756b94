"""Student construction: layer parity with the teacher (BERT and MPNet), the tied MLM head."""

from __future__ import annotations

import pytest
import torch

from distill.losses import mlm_loss
from distill.student import MLMHead, build_student
from tests.support.tiny_models import tiny_bert_config


def _bert(layers: int = 6):
    from transformers import BertModel

    torch.manual_seed(1)
    return BertModel(tiny_bert_config(layers=layers)).eval()


def _mpnet(layers: int = 4):
    from transformers import MPNetConfig, MPNetModel

    torch.manual_seed(2)
    config = MPNetConfig(
        vocab_size=30,
        hidden_size=32,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=66,
    )
    return MPNetModel(config).eval()


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize(
    ("make", "layer_map"),
    [(_bert, (0, 2, 4)), (_bert, (0, 3, 5)), (_mpnet, (0, 2)), (_mpnet, (1, 3))],
)
def test_student_layer_i_equals_teacher_layer_map_i(make, layer_map) -> None:
    teacher = make()
    student = build_student(teacher, layer_map).encoder
    assert student.config.num_hidden_layers == len(layer_map)
    assert type(student) is type(teacher)
    for i, t in enumerate(layer_map):
        assert _same(student.encoder.layer[i].state_dict(), teacher.encoder.layer[t].state_dict())
    assert _same(student.embeddings.state_dict(), teacher.embeddings.state_dict())
    if hasattr(teacher.encoder, "relative_attention_bias"):  # MPNet's shared position bias
        assert torch.equal(
            student.encoder.relative_attention_bias.weight,
            teacher.encoder.relative_attention_bias.weight,
        )


def test_one_layer_student_reproduces_the_teachers_first_layer_exactly() -> None:
    teacher = _bert(layers=2)
    one = build_student(teacher, (0,)).encoder.eval()
    ids = torch.tensor([[2, 5, 6, 7, 3]])
    mask = torch.ones_like(ids)
    with torch.no_grad():
        got = one(input_ids=ids, attention_mask=mask).last_hidden_state
        want = teacher(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    assert torch.allclose(got, want.hidden_states[1], atol=1e-6)


def test_random_init_keeps_the_shape_but_not_the_weights() -> None:
    teacher = _bert()
    student = build_student(teacher, (0, 2, 4), init="random").encoder
    assert student.config.num_hidden_layers == 3
    assert not torch.equal(
        student.encoder.layer[0].attention.self.query.weight,
        teacher.encoder.layer[0].attention.self.query.weight,
    )


def test_bad_layer_maps_raise() -> None:
    with pytest.raises(ValueError):
        build_student(_bert(), (0, 6))


def test_mlm_head_is_tied_and_mlm_loss_reaches_the_encoder() -> None:
    student = build_student(_bert(), (0, 2, 4))
    head = student.mlm_head
    assert isinstance(head, MLMHead)
    embeddings = student.encoder.get_input_embeddings()
    assert head.decoder.weight is embeddings.weight
    ids = torch.tensor([[2, 5, 4, 7, 3]])
    positions = torch.zeros_like(ids, dtype=torch.bool)
    positions[0, 2] = True
    out = student(ids, torch.ones_like(ids), positions)
    loss = mlm_loss(out["mlm_logits"], torch.tensor([[6]]))
    loss.backward()
    layer_grad = student.encoder.encoder.layer[0].attention.self.query.weight.grad
    assert layer_grad is not None and layer_grad.abs().sum() > 0
    assert embeddings.weight.grad is not None


def test_queries_run_in_the_same_forward() -> None:
    student = build_student(_bert(), (0, 2, 4))
    ids = torch.tensor([[2, 5, 6, 3, 0], [2, 7, 8, 9, 3]])
    mask = (ids != 0).long()
    out = student(ids, mask, None, ids[:, :3], mask[:, :3])
    assert out["pooled"].shape == (2, 32) and out["query_pooled"].shape == (2, 32)
    assert out["mlm_logits"] is None
