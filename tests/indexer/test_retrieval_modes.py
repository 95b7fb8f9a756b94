"""The Retriever's three modes: dense (embeddings), keyword (BM25), hybrid (both fused)."""

from __future__ import annotations

import pytest

from indexer.retrieval import Retriever
from indexer.stores import Fusion
from tests.support.fakes import KeywordEncoder, keyword_index

DOCS = {"a.txt": "a dog runs fast", "b.txt": "cats sleep all day", "c.txt": "the fish swims"}


class CountingEncoder(KeywordEncoder):
    """Counts query encodings (keyword mode must not encode)."""

    query_calls = 0

    def encode_queries(self, texts):
        self.query_calls += 1
        return super().encode_queries(texts)


@pytest.fixture
def retriever() -> Retriever:
    encoder = CountingEncoder(["cat", "fish"], name="enc")  # knows no "dog"
    return Retriever(encoder, keyword_index(DOCS, encoder), "docs_enc")


def test_keyword_mode_finds_stemmed_words_without_encoding(retriever):
    result = retriever.search("dog running", 3, mode="keyword")
    assert [h.source for h in result.hits] == ["a.txt"]
    assert retriever.encoder.query_calls == 0 and result.encode_ms == 0


def test_dense_mode_misses_what_the_encoder_does_not_know(retriever):
    hits = retriever.search("dog running", 3).hits
    assert "a.txt" not in [h.source for h in hits if h.score > 0]


def test_hybrid_mode_finds_from_either_side_with_filters(retriever):
    for fusion in (Fusion(), Fusion(kind="weighted", dense_weight=0.7)):
        hits = retriever.search("dog fish", 3, mode="hybrid", fusion=fusion).hits
        assert {"a.txt", "c.txt"} <= {h.source for h in hits}
        only = retriever.search("dog fish", 3, {"source": "c.txt"}, "hybrid", fusion).hits
        assert [h.source for h in only] == ["c.txt"]


def test_unknown_mode_is_a_clear_error(retriever):
    with pytest.raises(ValueError, match="mode must be one of dense, keyword, hybrid"):
        retriever.search("dog", 3, mode="sparse")  # type: ignore[arg-type]
