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


TINY_VOCAB = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    *"abcdefghijklmnopqrstuvwxyz",
    "the",
    "cat",
    "dog",
    "sat",
    "on",
    "mat",
    "ran",
    "fast",
    "##s",
    "##ing",
]


def save_tiny_sentence_transformer(folder: Path, layers: int = 2, hidden: int = 32) -> Path:
    """Build a random tiny BERT in memory; save it as a sentence-transformers folder."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    torch.manual_seed(0)
    hf_dir = folder / "hf"
    hf_dir.mkdir(parents=True, exist_ok=True)
    vocab_file = hf_dir / "vocab.txt"
    vocab_file.write_text("\n".join(TINY_VOCAB) + "\n")
    config = BertConfig(
        vocab_size=len(TINY_VOCAB),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=hidden * 2,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(hf_dir)
    BertTokenizerFast(vocab_file=str(vocab_file)).save_pretrained(hf_dir)
    transformer = models.Transformer(str(hf_dir), max_seq_length=32)
    pooling = models.Pooling(hidden, pooling_mode="mean")
    out = folder / "st"
    SentenceTransformer(modules=[transformer, pooling, models.Normalize()]).save(str(out))
    return out
