"""Test doubles: a keyword encoder whose scores can be computed by hand, a tiny BERT."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np


class KeywordEncoder:
    """Vector = L2-normalised counts of each vocabulary word in the text.

    With vocabulary ``["cat", "dog"]``, ``"cat cat dog"`` -> ``[2, 1] / sqrt(5)``. Texts
    with no vocabulary word map to the zero vector (score 0 against everything).
    """

    def __init__(self, vocabulary: list[str], name: str = "keyword") -> None:
        self.vocabulary = [w.lower() for w in vocabulary]
        self.name = name
        self.dim = len(self.vocabulary)
        self.fingerprint = hashlib.sha256("|".join(self.vocabulary).encode()).hexdigest()[:16]
        self.calls: list[int] = []

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"[a-z0-9]+", text.lower())
            for col, word in enumerate(self.vocabulary):
                out[row, col] = words.count(word)
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)


def save_tiny_sentence_transformer(folder: Path, layers: int = 2, hidden: int = 32) -> Path:
    """A random tiny BERT saved as a sentence-transformers folder (see ``distill_fakes``)."""
    from tests.distill_fakes import tiny_teacher

    return tiny_teacher(folder, layers=layers, hidden=hidden)
