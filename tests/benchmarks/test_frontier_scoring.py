"""The frontier's ``probe_overlap`` is the product's estimate: on the same corpus it equals
what :class:`evaluation.agreement.AgreementProbe` (used after ``distill``) computes."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest

from evaluation import BeirDataset
from evaluation.agreement import DEFAULT_MAX_PASSAGES, AgreementProbe
from tests.support.paths import REPO

WORDS = [f"w{i}" for i in range(300)]


class HashEncoder:
    """A passage's vector: the normalised sum of one fixed random vector per word, plus
    ``noise`` times another (a student that mostly agrees with its teacher)."""

    def __init__(self, name: str, noise: float = 0.0, dim: int = 24) -> None:
        self.name, self.noise, self.dim = name, noise, dim
        self.fingerprint = hashlib.sha256(f"{name}:{noise}".encode()).hexdigest()[:16]
        self.model_dir = None

    def _word(self, word: str, salt: str) -> np.ndarray:
        seed = int(hashlib.sha256(f"{salt}:{word}".encode()).hexdigest()[:8], 16)
        return np.random.default_rng(seed).standard_normal(self.dim)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            vector = sum(self._word(w, "t") + self.noise * self._word(w, "s") for w in text.split())
            rows.append(vector / np.linalg.norm(vector))
        return np.asarray(rows, dtype=np.float32)

    encode_queries = encode_documents


@pytest.fixture
def scoring(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    import harness.frontier_scoring as module

    return module


def corpus(size: int) -> BeirDataset:
    rng = random.Random(3)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))) for _ in range(size)]
    texts[5] = texts[4]  # a duplicate passage: the probe keeps one
    ids = [f"d{i}" for i in range(size)]
    return BeirDataset("t", "test", ids, [""] * size, texts, {"q": "w1"}, {"q": {"d0": 1}})


def test_probe_overlap_equals_the_products_estimate_on_a_sampled_corpus(scoring) -> None:
    data = corpus(DEFAULT_MAX_PASSAGES + 300)  # more than the product samples
    teacher, student = HashEncoder("teacher"), HashEncoder("student", noise=0.6)
    probe = scoring.ProductProbe(data, teacher.encode_documents(data.documents), teacher)
    assert len(probe.rows) == DEFAULT_MAX_PASSAGES
    product = AgreementProbe(data.documents, teacher)
    docs = student.encode_documents(data.documents)
    own, paired = probe.overlap(docs, student), probe.overlap(docs, None)
    assert own == pytest.approx(product.overlap(student))
    assert paired == pytest.approx(product.overlap(student, teacher_queries=True))
    assert 0.0 < own < 1.0
    assert probe.overlap(teacher.encode_documents(data.documents), None) == 1.0
