"""Encode chunk texts for indexing: each distinct text once, cache first, longest first.

:func:`encode_texts` returns exactly ``encoder.encode_documents(texts)`` ``(n, dim)``,
but
- a text repeated in ``texts`` is encoded once (a file of one sentence repeated gave
  tens of thousands of identical chunks);
- texts the :class:`~indexer.embedding_cache.EmbeddingCache` holds for this model are
  not encoded at all;
- the rest go to the encoder in slices of similar length (sorted longest first, the
  order restored after), so little of each slice is padding; every slice is cached as
  soon as it is encoded, so work done before a crash or a budget stop is kept;
- progress is reported after each slice in chunks (repeats counted), and a
  ``deadline`` (``time.monotonic()``) stops between slices with
  :class:`EncodeBudgetExceeded`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import numpy as np

from encoders import Encoder
from indexer.embedding_cache import EmbeddingCache, encoder_key

#: ``(chunks whose vector is ready, chunks in total)``
ChunkProgressFn = Callable[[int, int], None]


class EncodeBudgetExceeded(RuntimeError):
    """The deadline passed with ``done`` of ``total`` chunks encoded."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"encoded {done:,} of {total:,} chunks before the deadline")
        self.done, self.total = done, total


def encode_texts(
    encoder: Encoder,
    texts: list[str],
    cache: EmbeddingCache | None = None,
    slice_size: int = 256,
    on_progress: ChunkProgressFn | None = None,
    deadline: float | None = None,
) -> np.ndarray:
    """``(len(texts), encoder.dim)`` float32, row i the vector of ``texts[i]``."""
    if slice_size < 1:
        raise ValueError(f"slice_size must be >= 1, got {slice_size}")
    unique = list(dict.fromkeys(texts))
    weight = Counter(texts)  # chunks each distinct text stands for
    vectors = np.zeros((len(unique), encoder.dim), dtype=np.float32)  # (u, dim)
    key = encoder_key(encoder)
    cached = cache.get(key, unique) if cache is not None else {}
    for i, vector in cached.items():
        vectors[i] = vector
    done, total = sum(weight[unique[i]] for i in cached), len(texts)
    if on_progress is not None:
        on_progress(done, total)
    todo = sorted((i for i in range(len(unique)) if i not in cached), key=lambda i: -len(unique[i]))
    for start in range(0, len(todo), slice_size):
        if start and deadline is not None and time.monotonic() > deadline:
            raise EncodeBudgetExceeded(done, total)
        rows = todo[start : start + slice_size]
        part = [unique[i] for i in rows]
        encoded = encoder.encode_documents(part)  # (len(rows), dim)
        vectors[rows] = encoded
        if cache is not None:
            cache.put(key, part, encoded)
        done += sum(weight[text] for text in part)
        if on_progress is not None:
            on_progress(done, total)
    if len(unique) == len(texts):
        return vectors
    row = {text: i for i, text in enumerate(unique)}
    return vectors[[row[text] for text in texts]]
