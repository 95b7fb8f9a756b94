"""Keyword (BM25) and hybrid search: one contract for every store.

Scores are not expected to be equal across stores in general (Milvus keeps its own term
statistics); these tests check what every store must do, and that on a fresh collection
Milvus's BM25 agrees with the in-memory oracle.
"""

from __future__ import annotations

import numpy as np
import pytest

from indexer.stores import CollectionInfo, Fusion, VectorStore
from indexer.stores.memory import InMemoryStore
from indexer.types import Chunk

DIM = 8
INFO = CollectionInfo("enc", DIM, "f" * 16)
TEXTS = [
    ("a dog runs fast", "pets.txt"),
    ("the cat sleeps on the mat", "pets.txt"),
    ("zebras graze on the savanna", "wild.txt"),
    ("quantum computers use qubits", "tech.txt"),
    ("dogs are loyal companions", "pets2.txt"),
    ("bread recipes need yeast and flour", "food.txt"),
    ("a running stream turns the mill", "wild.txt"),
    ("compilers translate source code", "tech.txt"),
]
FUSIONS = [
    Fusion(),
    Fusion("weighted"),
    Fusion("rrf", rrf_k=10),
    Fusion("weighted", dense_weight=0.8),
]


def _corpus(sources: list[str] | None = None) -> tuple[list[Chunk], np.ndarray]:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(len(TEXTS), DIM)).astype(np.float32)  # (n, DIM)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [
        Chunk(
            text=text,
            source=sources[i % len(sources)] if sources else source,
            file_type="txt",
            page=i,
            chunk_index=i,
        )
        for i, (text, source) in enumerate(TEXTS)
    ]
    return chunks, vectors


@pytest.fixture
def filled(store: VectorStore, name: str) -> tuple[list[Chunk], np.ndarray]:
    chunks, vectors = _corpus()
    store.ensure_collection(name, INFO)
    store.upsert(name, chunks, vectors)
    return chunks, vectors


def test_new_collections_have_full_text(store, name, filled):
    assert store.has_full_text(name)
    with pytest.raises(KeyError):
        store.has_full_text(name + "_missing")


def test_a_stemmed_keyword_finds_the_document(store, name, filled):
    chunks, _ = filled
    hits = store.search_text(name, ["dog running"], top_k=5)[0]
    assert hits[0].id == chunks[0].id  # "a dog runs fast": dog + run
    assert {h.id for h in hits} == {chunks[0].id, chunks[4].id, chunks[6].id}
    assert all(h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].text == "a dog runs fast" and hits[0].source == "pets.txt"


def test_words_found_nowhere_and_stop_words_return_no_hits(store, name, filled):
    _, vectors = filled
    assert store.search_text(name, ["xylophone"], top_k=5) == [[]]
    assert store.search_text(name, ["the and of"], top_k=5) == [[]]
    dense = [h.id for h in store.search(name, vectors[5:6], 3)[0]]
    for fusion in FUSIONS:  # nothing from the keyword side: the dense ranking alone
        hybrid = store.search_hybrid(name, vectors[5:6], ["xylophone"], 3, fusion=fusion)
        assert [h.id for h in hybrid[0]] == dense


def test_each_query_gets_its_own_hits_and_top_k_is_respected(store, name, filled):
    chunks, _ = filled
    zebra, code, everything = store.search_text(
        name, ["zebra", "COMPILERS!", "dog cat zebra quantum bread stream compilers"], top_k=3
    )
    assert [h.id for h in zebra] == [chunks[2].id]
    assert [h.id for h in code] == [chunks[7].id]
    assert len(everything) == 3


def test_bm25_scores_agree_with_the_in_memory_oracle(store, name, filled):
    chunks, vectors = filled
    oracle = InMemoryStore()
    oracle.ensure_collection(name, INFO)
    oracle.upsert(name, chunks, vectors)
    for query in ("dog running", "the savanna zebras", "source code compilers"):
        got = store.search_text(name, [query], top_k=8)[0]
        want = oracle.search_text(name, [query], top_k=8)[0]
        assert {h.id: h.score for h in got} == pytest.approx(
            {h.id: h.score for h in want}, rel=1e-3
        )


def test_filters_restrict_keyword_and_hybrid_results(store, name, filled):
    chunks, vectors = filled
    only = {"source": "pets2.txt"}
    assert [h.id for h in store.search_text(name, ["dog"], 5, only)[0]] == [chunks[4].id]
    assert store.search_text(name, ["zebra"], 5, {"source": "pets.txt"}) == [[]]
    for fusion in FUSIONS:
        hits = store.search_hybrid(name, vectors[:1], ["zebra"], 8, {"page": [1, 2]}, fusion)[0]
        assert {h.id for h in hits} == {chunks[1].id, chunks[2].id}


def test_hybrid_returns_documents_found_by_either_side(store, name, filled):
    chunks, vectors = filled
    for fusion in FUSIONS[:3]:  # a dense weight of 0.8 may rank other vectors above zebras
        # the vector points at "quantum computers"; the text names the zebras
        hits = store.search_hybrid(name, vectors[3:4], ["zebras"], top_k=3, fusion=fusion)[0]
        assert len(hits) == 3
        assert {chunks[3].id, chunks[2].id} <= {h.id for h in hits}


def test_a_clear_case_has_the_same_top_document_in_every_store(store, name, filled):
    chunks, vectors = filled
    for fusion in FUSIONS:
        top = store.search_hybrid(name, vectors[:1], ["dog running"], 5, fusion=fusion)[0][0]
        assert top.id == chunks[0].id
    rrf = store.search_hybrid(name, vectors[:1], ["dog running"], 5)[0]
    assert rrf[0].score == pytest.approx(2 / 61, rel=1e-4)  # first on both sides, k = 60
    assert [h.score for h in rrf] == sorted((h.score for h in rrf), reverse=True)
    batch = store.search_hybrid(name, vectors[[0, 2]], ["dog running", "zebra"], 1)
    assert [hits[0].id for hits in batch] == [chunks[0].id, chunks[2].id]


def test_keyword_search_follows_upserts_and_deletes(store, name, filled):
    chunks, vectors = filled
    store.delete(name, [chunks[0].id])
    assert chunks[0].id not in {h.id for h in store.search_text(name, ["dog running"], 5)[0]}
    renamed = Chunk(text="a cheetah runs fast", source="wild.txt", file_type="txt", chunk_index=9)
    store.upsert(name, [renamed], vectors[:1])
    assert [h.id for h in store.search_text(name, ["cheetahs"], 5)[0]] == [renamed.id]


def test_words_after_control_characters_are_found(store, name):
    texts = ["alpha\x00 beta", "gamma \x01 delta", "epsilon\x1fzeta", "\x00 theta"]
    chunks = [
        Chunk(text=t, source="s.txt", file_type="txt", chunk_index=i) for i, t in enumerate(texts)
    ]
    store.ensure_collection(name, INFO)
    store.upsert(name, chunks, _corpus()[1][: len(chunks)])
    for word, index in (("beta", 0), ("delta", 1), ("zeta", 2), ("theta", 3)):
        assert [h.id for h in store.search_text(name, [word], 3)[0]] == [chunks[index].id]
    assert {h.id for h in store.search_text(name, ["\x00theta"], 3)[0]} == {chunks[3].id}


@pytest.mark.parametrize(
    "hostile", ['") or true or ("', "trailing\\", 'x" || 1==1 || "', 'it\'s "quoted"']
)
def test_hostile_filter_values_match_literally_in_every_mode(store, name, hostile):
    chunks, vectors = _corpus(sources=[hostile, "plain.txt"])
    store.ensure_collection(name, INFO)
    store.upsert(name, chunks, vectors)
    mine = {c.id for c in chunks if c.source == hostile}
    text_hits = store.search_text(name, ["dog cat zebra quantum bread"], 8, {"source": hostile})
    assert text_hits[0] and {h.id for h in text_hits[0]} <= mine
    for fusion in (Fusion(), Fusion("weighted")):
        hybrid = store.search_hybrid(name, vectors[:1], ["dog"], 8, {"source": hostile}, fusion)
        assert {h.id for h in hybrid[0]} == mine
    assert store.search_text(name, ["dog"], 8, {"source": hostile + "x"}) == [[]]


def test_bad_queries_and_fusions_are_refused(store, name, filled):
    _, vectors = filled
    with pytest.raises(ValueError, match="empty"):
        store.search_text(name, ["  "], 5)
    with pytest.raises(ValueError, match="list of strings"):
        store.search_text(name, "dog", 5)
    with pytest.raises(ValueError, match="top_k"):
        store.search_text(name, ["dog"], 0)
    with pytest.raises(ValueError, match="not allowed"):
        store.search_text(name, ["dog"], 5, {"text or 1==1": "x"})
    with pytest.raises(ValueError, match="2 query vectors"):
        store.search_hybrid(name, vectors[:2], ["dog"], 5)
    with pytest.raises(ValueError, match="shape"):
        store.search_hybrid(name, np.zeros((1, DIM + 1), np.float32), ["dog"], 5)
    with pytest.raises(KeyError):
        store.search_text(name + "_missing", ["dog"], 5)
