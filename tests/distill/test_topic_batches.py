"""Topic batches: k-means finds planted topics, batches stay within them, cover each epoch."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from distill.topic_batches import TopicBatcher, spherical_kmeans, topic_labels


def _planted(n_topics: int, per_topic: int, dim: int = 16) -> tuple[torch.Tensor, list[int]]:
    """``(n_topics * per_topic, dim)`` vectors scattered tightly around random centres."""
    generator = torch.Generator().manual_seed(0)
    centres = F.normalize(torch.randn(n_topics, dim, generator=generator), dim=1)
    truth = [t for t in range(n_topics) for _ in range(per_topic)]
    noise = 0.05 * torch.randn(len(truth), dim, generator=generator)
    return F.normalize(centres[truth] + noise, dim=1), truth


def test_kmeans_recovers_planted_topics() -> None:
    vectors, truth = _planted(n_topics=4, per_topic=30)
    labels = spherical_kmeans(vectors, k=4, seed=1, iters=20)
    pairs = {(t, label) for t, label in zip(truth, labels, strict=True)}
    assert len({label for _, label in pairs}) == 4  # one cluster per topic
    assert len(pairs) == 4  # no topic split across clusters


def test_batches_come_from_one_topic_and_cover_every_passage() -> None:
    vectors, truth = _planted(n_topics=6, per_topic=16)
    labels = topic_labels(vectors, batch_size=8, seed=3)
    batcher = TopicBatcher(labels, batch_size=8, seed=3)
    epoch = batcher.epoch(0)
    flat = [i for batch in epoch for i in batch]
    assert len(flat) == len(set(flat)) == 96 and all(len(b) == 8 for b in epoch)
    mixed = sum(len({truth[i] for i in batch}) > 1 for batch in epoch)
    assert mixed <= 2  # random batches of 8 from 6 topics are almost never one topic
    assert batcher.epoch(1) != epoch and batcher.epoch(0) == epoch


def test_shards_are_disjoint() -> None:
    labels = [i % 5 for i in range(100)]
    shards = [TopicBatcher(labels, 4, 0, rank=r, world=2).epoch(0) for r in (0, 1)]
    assert len(shards[0]) == len(shards[1])
    assert not {i for b in shards[0] for i in b} & {i for b in shards[1] for i in b}
