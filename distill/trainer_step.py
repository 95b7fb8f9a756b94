"""The loss of one micro-batch: masking, the student's forward pass and every active term."""

from __future__ import annotations

import torch

from distill import distributed, losses
from distill.config import DistillConfig
from distill.masking import mask_tokens
from distill.student import Teacher
from distill.targets import TeacherTargets, Tokens

#: ``(pooled (B, H), hidden (B, L, H) or None, query_pooled (Q, H))`` of the teacher.
TeacherOutputs = tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]


def step_losses(
    config: DistillConfig,
    student: torch.nn.Module,
    teacher: Teacher,
    targets: TeacherTargets,
    tok: Tokens,
    idx: list[int],
    device: torch.device,
    generator: torch.Generator,
) -> dict[str, torch.Tensor]:
    """Every active loss term for one micro-batch (unweighted) plus the weighted ``total``.

    Terms come in the order ``ce``, ``mlm``, ``cos_token``, ``cos_sentence``, ``total``;
    each is a scalar tensor. ``idx`` picks the micro-batch's examples from ``tok``.
    """
    ids, mask = tok.batch([tok.ids[i] for i in idx], device)
    qids = qmask = None
    if config.pseudo_queries:
        qids, qmask = tok.batch([tok.qids[i] for i in idx], device)
    inputs, positions, labels = ids, None, None
    vocab_kd = teacher.has_mlm_head and config.alpha_ce > 0
    if config.alpha_mlm > 0 or vocab_kd:
        inputs, positions, labels = _masked(config, teacher, tok, ids, mask, device, generator)
    with distributed.autocast(device, config.precision):
        out = student(inputs, mask, positions, qids, qmask)
    terms: dict[str, torch.Tensor] = {}
    if vocab_kd:  # the teacher sees the same masked input (DistilBERT's setting)
        with torch.no_grad(), distributed.autocast(device, config.precision):
            t_out = teacher.model(inputs, mask, positions, qids, qmask)
        t_pooled, t_hidden, t_query = t_out["pooled"], t_out["hidden"], t_out["query_pooled"]
        terms["ce"] = losses.kd_soft_target_loss(
            out["mlm_logits"].float(), t_out["mlm_logits"].float(), config.temperature
        )
    else:
        t_pooled, t_hidden, t_query = targets.get(idx, tok, device)
        if config.alpha_ce > 0:
            terms["ce"] = _similarity_kd(config, out, t_pooled, t_query)
    teacher_out = (t_pooled, t_hidden, t_query)
    terms.update(_matching_terms(config, out, teacher_out, mask, labels, positions))
    weights = config.weights()
    terms["total"] = sum(weights[name] * value for name, value in terms.items())
    return terms


def _masked(
    config: DistillConfig,
    teacher: Teacher,
    tok: Tokens,
    ids: torch.Tensor,
    mask: torch.Tensor,
    device: torch.device,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``ids`` ``(B, L)`` with a fresh MLM masking -> ``(inputs, positions, labels)``.

    ``inputs`` and ``labels`` are ``(B, L)`` long; ``positions`` ``(B, L)`` bool marks the
    chosen tokens. Padding and special tokens are never chosen.
    """
    maskable = mask.bool() & ~torch.isin(ids, torch.tensor(sorted(tok.special), device=device))
    inputs, labels = mask_tokens(
        ids,
        maskable,
        int(teacher.tokenizer.mask_token_id),
        int(teacher.model.encoder.config.vocab_size),
        config.mlm_probability,
        generator,
    )
    return inputs, labels != losses.IGNORE_INDEX, labels


def _similarity_kd(
    config: DistillConfig,
    out: dict[str, torch.Tensor | None],
    t_pooled: torch.Tensor,
    t_query: torch.Tensor,
) -> torch.Tensor:
    """In-batch KD: the student's query-passage (or passage-passage) similarity
    distribution ``(Q, B)`` matched to the teacher's."""
    anchors_s = out["query_pooled"] if config.pseudo_queries else out["pooled"]
    anchors_t = t_query if config.pseudo_queries else t_pooled
    diag = not config.pseudo_queries
    s_logits = losses.similarity_logits(
        anchors_s.float(), out["pooled"].float(), config.kd_scale, diag
    )
    t_logits = losses.similarity_logits(anchors_t.float(), t_pooled.float(), config.kd_scale, diag)
    return losses.kd_soft_target_loss(s_logits, t_logits, config.temperature)


def _matching_terms(
    config: DistillConfig,
    out: dict[str, torch.Tensor | None],
    teacher_out: TeacherOutputs,
    mask: torch.Tensor,
    labels: torch.Tensor | None,
    positions: torch.Tensor | None,
) -> dict[str, torch.Tensor]:
    """The ``mlm``, ``cos_token`` and ``cos_sentence`` terms whose weight is above 0.

    ``mask`` ``(B, L)``; ``labels`` ``(B, L)`` and ``positions`` ``(B, L)`` bool come from
    the masking (None without it, and then ``alpha_mlm`` is 0).
    """
    t_pooled, t_hidden, t_query = teacher_out
    terms: dict[str, torch.Tensor] = {}
    if config.alpha_mlm > 0:
        terms["mlm"] = losses.mlm_loss(out["mlm_logits"], labels[positions].unsqueeze(0))
    if config.alpha_cos_token > 0:
        terms["cos_token"] = losses.token_cosine_loss(out["hidden"], t_hidden, mask)
    if config.alpha_cos_sentence > 0:
        s_emb, t_emb = out["pooled"], t_pooled
        if config.pseudo_queries and out["query_pooled"] is not None:
            s_emb = torch.cat([s_emb, out["query_pooled"]])
            t_emb = torch.cat([t_emb, t_query])
        terms["cos_sentence"] = losses.sentence_cosine_loss(s_emb, t_emb)
    return terms
