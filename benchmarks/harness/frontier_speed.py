"""Documents per second of the frontier's document encoders on one set: the same sample of
the set's documents for every encoder, batch 32, 256 tokens, 2 threads, one pass each per
round with rounds interleaved; kept in ``<set dir>/speed.json``. Run with the machine to
itself: the figures are ratios to the teacher measured in the same rounds."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from typing import Any

import numpy as np
from harness.frontier_scoring import EncoderCache
from harness.frontier_systems import System, set_dir
from harness.timing import interleaved_rates, median_ratio

from evaluation import BeirDataset

logger = logging.getLogger(__name__)
THREADS = 2


def _bm25_indexer(texts: list[str]) -> object:
    from evaluation.bm25 import BM25Config, BM25Index

    return BM25Index([str(i) for i in range(len(texts))], texts, BM25Config())


def speed_set(
    name: str, data: BeirDataset, chosen: list[System], sample: int, rounds: int
) -> dict[str, Any]:
    """Time every distinct document encoder of ``chosen`` (BM25: building its index)."""
    import torch

    torch.set_num_threads(THREADS)
    texts = random.Random(0).sample(list(data.documents), min(sample, len(data.documents)))
    encoders = EncoderCache(threads=THREADS)
    candidates: dict[str, Callable[[list[str]], object]] = {}
    for system in chosen:
        if system.documents in candidates:
            continue
        if system.kind == "bm25":
            candidates["bm25"] = _bm25_indexer
        else:
            encoder = encoders.get(system.documents)
            encoder.encode_documents(texts[:32])  # warm up
            candidates[system.documents] = encoder.encode_documents
    rates = interleaved_rates(candidates, texts, rounds)
    teacher = rates["teacher"]
    result = {
        "sample": len(texts),
        "rounds": rounds,
        "threads": THREADS,
        "docs_per_s": {key: float(np.median(r)) for key, r in rates.items()},
        "speed_ratio": {key: median_ratio(r, teacher) for key, r in rates.items()},
        "rates": rates,
    }
    path = set_dir(name) / "speed.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    logger.info("%s: %s", name, {k: round(v, 2) for k, v in result["speed_ratio"].items()})
    return result
