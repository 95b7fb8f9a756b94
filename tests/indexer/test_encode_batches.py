"""Encoding for indexing: length-sorted slices, the embedding cache, the rerun after a crash.

A real tiny sentence-transformers model does the encoding, so padding and batching are
the library's own.
"""

from __future__ import annotations

import numpy as np
import pytest

from encoders.sentence_transformer import SentenceTransformerEncoder
from indexer.chunking import ChunkingConfig
from indexer.embedding_cache import EmbeddingCache
from indexer.encode_batches import EncodeBudgetExceeded, encode_texts
from indexer.pipeline import IndexOptions, index_files
from indexer.stores.memory import InMemoryStore
from tests.support.fakes import save_tiny_sentence_transformer
from tests.support.tiny_models import WORDS


class Counting:
    """Wraps an encoder; records every text it is asked to encode, per call."""

    def __init__(self, inner, fail_after_calls: int | None = None) -> None:
        self.inner, self.fail_after_calls = inner, fail_after_calls
        self.name, self.dim, self.fingerprint = inner.name, inner.dim, inner.fingerprint
        self.calls: list[list[str]] = []

    @property
    def seen(self) -> list[str]:
        return [t for call in self.calls for t in call]

    def encode_queries(self, texts):
        return self.inner.encode_queries(texts)

    def encode_documents(self, texts):
        if self.fail_after_calls is not None and len(self.calls) >= self.fail_after_calls:
            raise RuntimeError("killed mid-run")
        self.calls.append(list(texts))
        return self.inner.encode_documents(texts)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> SentenceTransformerEncoder:
    folder = save_tiny_sentence_transformer(tmp_path_factory.mktemp("tiny"))
    return SentenceTransformerEncoder("tiny", folder)


def _texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(1, 30)))) for _ in range(n)]


def test_length_sorted_slices_give_the_vectors_of_one_call(tiny):
    texts = _texts(40)
    texts += texts[:5]  # repeats
    counting = Counting(tiny)
    vectors = encode_texts(counting, texts, slice_size=7)  # (45, dim)
    alone = np.concatenate([tiny.encode_documents([t]) for t in texts])  # no padding at all
    assert vectors.shape == (45, tiny.dim) and vectors.dtype == np.float32
    assert np.allclose(vectors, alone, atol=1e-5)
    assert np.allclose(vectors, tiny.encode_documents(texts), atol=1e-5)
    assert len(counting.seen) == 40  # each distinct text once
    lengths = [len(t) for t in counting.seen]
    assert lengths == sorted(lengths, reverse=True)  # longest first, so slices pad little
    assert [len(c) for c in counting.calls] == [7, 7, 7, 7, 7, 5]


def test_cache_hits_skip_the_encoder_and_equal_what_it_returned(tiny, tmp_path):
    texts = _texts(20, seed=1)
    first = Counting(tiny)
    with EmbeddingCache(tmp_path / "c.sqlite") as cache:
        encoded = encode_texts(first, texts, cache, slice_size=8)
    second = Counting(tiny)
    progress: list[tuple[int, int]] = []
    with EmbeddingCache(tmp_path / "c.sqlite") as cache:
        cached = encode_texts(
            second, [*texts, "a new text"], cache, 8, lambda d, t: progress.append((d, t))
        )
    assert second.seen == ["a new text"]
    assert np.array_equal(cached[:20], encoded)  # the very bytes, not close ones
    assert progress == [(20, 21), (21, 21)]


def test_a_deadline_stops_between_slices_and_keeps_what_was_encoded(tiny, tmp_path):
    texts = _texts(30, seed=2)
    with EmbeddingCache(tmp_path / "c.sqlite") as cache:
        with pytest.raises(EncodeBudgetExceeded) as stop:
            encode_texts(Counting(tiny), texts, cache, slice_size=10, deadline=0.0)
        assert (stop.value.done, stop.value.total) == (10, 30)
        rest = Counting(tiny)
        encode_texts(rest, texts, cache, slice_size=10)
    assert len(rest.seen) == 20


def test_the_rerun_after_a_crash_encodes_nothing_encoded_before(tiny, tmp_path):
    doc = tmp_path / "doc.txt"
    doc.write_text("\n\n".join(f"{i} " + t for i, t in enumerate(_texts(60, seed=3))))
    options = IndexOptions(
        chunking=ChunkingConfig("basic", 60, 50, 0, overlap=0),
        workers=0,
        batch_chunks=8,
        embedding_cache=tmp_path / "cache.sqlite",
    )
    store = InMemoryStore()
    crashed = Counting(tiny, fail_after_calls=3)
    with pytest.raises(RuntimeError, match="killed mid-run"):
        index_files([doc], [crashed], store, "docs", options)
    assert len(crashed.seen) == 24 and store.count("docs_tiny") == 0
    rerun = Counting(tiny)
    report = index_files([doc], [rerun], store, "docs", options)
    assert report.ok and store.count("docs_tiny") == report.files[0].chunks > 24
    assert not set(rerun.seen) & set(crashed.seen)
    assert report.vectors_from_cache == 24
    fresh = Counting(tiny)  # without the cache, everything is encoded again
    index_files(
        [doc],
        [fresh],
        InMemoryStore(),
        "docs",
        IndexOptions(chunking=options.chunking, workers=0, batch_chunks=8),
    )
    assert sorted(fresh.seen) == sorted(crashed.seen + rerun.seen)


def test_the_cache_key_keeps_models_apart(tiny, tmp_path):
    other_folder = save_tiny_sentence_transformer(tmp_path / "other", layers=1)
    other = SentenceTransformerEncoder("other", other_folder)
    assert other.fingerprint != tiny.fingerprint
    texts = _texts(5, seed=4)
    with EmbeddingCache(tmp_path / "c.sqlite") as cache:
        encode_texts(tiny, texts, cache)
        counting = Counting(other)
        vectors = encode_texts(counting, texts, cache)
    assert len(counting.seen) == 5
    assert np.allclose(vectors, other.encode_documents(texts), atol=1e-6)
