"""The ``Encoder`` boundary: text -> unit vectors, and how a sentence-transformers model runs.

Every encoder returns float32 arrays of shape ``(n, dim)`` with L2-normalised rows,
so inner product equals cosine similarity everywhere downstream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Encoder(Protocol):
    """Text -> unit vectors."""

    name: str
    dim: int
    fingerprint: str

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32, L2-normalised."""
        ...

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32, L2-normalised."""
        ...


@dataclass(frozen=True)
class EncoderConfig:
    """How a sentence-transformers encoder runs."""

    batch_size: int = 32
    max_seq_length: int = 256
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not 8 <= self.max_seq_length <= 8192:
            raise ValueError(f"max_seq_length must be in [8, 8192], got {self.max_seq_length}")
