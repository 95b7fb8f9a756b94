"""Topic batches: each micro-batch drawn from passages on one subject.

With random batches the in-batch similarity KD compares a pseudo-query with 31 passages
on other subjects, which every student already ranks below the right one; it teaches
nothing about the near misses that cost nDCG on a corpus of many similar sections.
Batches drawn from one topic cluster (as in TAS-B's topic-aware sampling) make the
teacher's distribution over the batch a lesson in fine ranking.

Topics are spherical k-means clusters of the teacher's own passage embeddings, computed
once before the first step (they fill the teacher cache, so later steps skip the teacher).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from distill.data import EpochBatcher

#: passages per topic cluster, in batches: 2 -> a cluster fills about two batches
CLUSTER_BATCHES = 2


def spherical_kmeans(vectors: torch.Tensor, k: int, seed: int, iters: int = 15) -> list[int]:
    """Cluster labels (length N) of unit ``vectors (N, H)`` into at most ``k`` clusters.

    Centres start far apart (each next one the vector least similar to those chosen, after a
    seeded first), then move to their members' normalised mean.
    """
    n = vectors.shape[0]
    k = max(1, min(k, n))
    first = int(torch.randint(n, (1,), generator=torch.Generator().manual_seed(seed)))
    chosen = [first]
    nearest = vectors @ vectors[first]  # (N,) similarity to the closest chosen centre
    for _ in range(k - 1):
        chosen.append(int(nearest.argmin()))
        nearest = torch.maximum(nearest, vectors @ vectors[chosen[-1]])
    centres = vectors[chosen].clone()
    labels = torch.zeros(n, dtype=torch.long)
    for _ in range(iters):
        labels = (vectors @ centres.T).argmax(1)
        sums = torch.zeros_like(centres).index_add_(0, labels, vectors)
        filled = torch.bincount(labels, minlength=k) > 0
        centres[filled] = F.normalize(sums[filled], dim=1)
    return labels.tolist()


class TopicBatcher(EpochBatcher):
    """Micro-batches cut from topic clusters, reshuffled each epoch.

    Each epoch: shuffle the
    passages within each cluster, lay the clusters end to end in a random order, cut the
    sequence into batches of ``batch_size`` (so a batch spans one cluster or two
    neighbouring ones), shuffle the batches; ``rank``/``world`` shard them.
    """

    def __init__(
        self,
        labels: Sequence[int],
        batch_size: int,
        seed: int,
        rank: int = 0,
        world: int = 1,
    ) -> None:
        if batch_size < 1 or len(labels) < batch_size:
            raise ValueError(f"{len(labels)} examples cannot fill a batch of {batch_size}")
        clusters: dict[int, list[int]] = {}
        for index, label in enumerate(labels):
            clusters.setdefault(label, []).append(index)
        self.clusters = [clusters[label] for label in sorted(clusters)]
        self.batch_size, self.seed = batch_size, seed
        self.rank, self.world = rank, world

    def epoch(self, number: int) -> list[list[int]]:
        rng = random.Random(self.seed * 100_003 + number)
        order = [list(members) for members in self.clusters]
        for members in order:
            rng.shuffle(members)
        rng.shuffle(order)
        flat = [i for members in order for i in members]
        size = self.batch_size
        batches = [flat[b : b + size] for b in range(0, len(flat) - size + 1, size)]
        rng.shuffle(batches)
        usable = len(batches) - len(batches) % self.world
        return batches[self.rank : usable : self.world]


def topic_labels(vectors: torch.Tensor, batch_size: int, seed: int) -> list[int]:
    """Topic cluster of every passage embedding ``(N, H)``, clusters of about
    ``CLUSTER_BATCHES`` batches each."""
    k = max(1, vectors.shape[0] // (batch_size * CLUSTER_BATCHES))
    return spherical_kmeans(F.normalize(vectors.float(), dim=1), k, seed)
