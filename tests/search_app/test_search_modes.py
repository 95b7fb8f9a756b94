"""Dense, keyword and hybrid search through ``SearchService`` (exact in-memory fakes).

Keyword fakes: the teacher's vocabulary is (cat, dog, fish), the student's (cat, dog,
bird). BM25 runs in ``InMemoryStore`` with the analysis Milvus's ``english`` analyzer
applies (stemmed, stop words dropped), so ``running filters`` finds ``Running`` and
``filter`` although the encoders know neither word.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.settings import SEARCH_MODES, load_settings
from indexer import MODES
from indexer.stores import FullTextUnavailableError, Fusion
from search_app.hits import highlighted_markdown
from tests.support.fakes import (
    KeywordEncoder,
    keyword_index,
    old_collections_store,
    write_distill_meta,
)
from tests.support.services import fake_service
from usecases.highlight import Highlight
from usecases.search import NotIndexedError
from usecases.search_modes import fusion_label, mode_label

DOCS = {
    "a.txt": "cat cat dog",
    "b.txt": "Running filters for the fish. A second sentence about a cat.",
    "c.txt": "dog",
    "d.txt": "the filter was running",
}
HYBRID = "hybrid (RRF k=60)"


def make_service(tmp_path: Path, store=None, index_student: bool = False):
    """A service over the teacher's collection (and a paired student's); the encoders."""
    teacher = KeywordEncoder(["cat", "dog", "fish"], name="teacher")
    folder = write_distill_meta(tmp_path / "models" / "student", teacher.fingerprint)
    student = KeywordEncoder(["cat", "dog", "bird"], name="student", model_dir=folder)
    encoders = [teacher, *([student] if index_student else [])]
    store = keyword_index(DOCS, *encoders, store=store)
    by_name = {"teacher": teacher, "student": student}
    return fake_service(tmp_path, store, by_name)[0], by_name


def test_keyword_search_matches_stemmed_words_and_encodes_nothing(tmp_path: Path) -> None:
    service, enc = make_service(tmp_path)
    before = list(enc["teacher"].calls)
    result = service.search("running filters", "teacher", top_k=5, mode="keyword")
    assert {h.source for h in result.hits} == {"b.txt", "d.txt"}  # run + filter, stemmed
    assert enc["teacher"].calls == before and result.encode_ms == 0
    assert (result.mode, result.fusion, result.label) == ("keyword", None, "teacher · keyword")
    oracle = service.store.search_text("docs_teacher", ["running filters"], 5)[0]
    assert [h.id for h in result.hits] == [h.id for h in oracle]
    assert [h.score for h in result.hits] == [h.score for h in oracle]


def test_hybrid_search_records_its_fusion(tmp_path: Path) -> None:
    service, enc = make_service(tmp_path)
    result = service.search("fish filters", "teacher", top_k=4, mode="hybrid")
    assert result.fusion == Fusion() and result.label == f"teacher · {HYBRID}"
    vector = enc["teacher"].encode_queries(["fish filters"])
    oracle = service.store.search_hybrid("docs_teacher", vector, ["fish filters"], 4)[0]
    assert [h.id for h in result.hits] == [h.id for h in oracle]
    weighted = Fusion("weighted", dense_weight=0.7)
    result = service.search("fish filters", "teacher", mode="hybrid", fusion=weighted)
    assert result.fusion == weighted
    assert result.mode_label == "hybrid (weighted, dense 0.7)"
    oracle = service.store.search_hybrid(
        "docs_teacher", vector, ["fish filters"], 10, fusion=weighted
    )[0]
    assert [h.score for h in result.hits] == pytest.approx([h.score for h in oracle])


def test_dense_stays_the_default_and_a_fusion_is_ignored_outside_hybrid(tmp_path: Path) -> None:
    service, _ = make_service(tmp_path)
    result = service.search("fish", "teacher", fusion=Fusion("weighted"))
    assert (result.mode, result.fusion, result.label) == ("dense", None, "teacher")
    assert result.full_label == "teacher · dense"
    assert result.hits[0].source == "b.txt"
    with pytest.raises(ValueError, match="search mode must be one of dense, keyword, hybrid"):
        service.search("fish", "teacher", mode="fuzzy")  # type: ignore[arg-type]


def test_hybrid_combines_with_teacher_queries(tmp_path: Path) -> None:
    service, enc = make_service(tmp_path, index_student=True)
    student_calls = list(enc["student"].calls)
    result = service.search("fish", "student", mode="hybrid", query_encoder="teacher")
    assert result.label == f"student docs + teacher queries · {HYBRID}"
    assert result.hits[0].source == "b.txt"  # the only chunk with the word "fish"
    assert enc["student"].calls == student_calls  # the teacher encoded the query


def test_keyword_highlights_mark_matched_words_without_an_encoder(tmp_path: Path) -> None:
    service, enc = make_service(tmp_path)
    before = list(enc["teacher"].calls)
    result = service.search("running filter", "teacher", mode="keyword", highlight=True)
    assert enc["teacher"].calls == before
    marked = result.highlights[next(h.id for h in result.hits if h.source == "b.txt")]
    first = marked.sentences[0]
    assert [first[a:b] for a, b in marked.spans(0)] == ["Running", "filters"]
    assert marked.spans(1) == () and marked.best == frozenset() and marked.marked
    dense = service.search("fish", "teacher", highlight=True)
    assert all(h.matches == () for h in dense.highlights.values())
    hybrid = service.search("fish", "teacher", mode="hybrid", highlight=True)
    top = hybrid.highlights[hybrid.hits[0].id]
    assert top.best == frozenset({0}) and top.spans(0) == (
        (len("Running filters for the "), len(first) - 1),
    )


def test_matched_words_go_out_escaped() -> None:
    sentence = "Use <b>filters</b> *now* [x](javascript:alert(1))."
    start = sentence.index("filters")
    marked = highlighted_markdown(
        Highlight((sentence,), (0.0,), frozenset(), (((start, start + 7),),))
    )
    assert ":orange-background[filters]" in marked
    outside = re.sub(r":orange-background\[filters\]", "", marked)
    assert not re.search(r"[<>*\[\]()`:$]", re.sub(r"\\.", "", outside))
    bold = highlighted_markdown(
        Highlight(("a b.", "c"), (0.9, 0.1), frozenset({0}), (((2, 3),), ()))
    )
    assert bold == "**a :orange-background[b]\\.** c"


def test_modes_a_collection_supports(tmp_path: Path) -> None:
    service, _ = make_service(tmp_path)
    support = service.mode_support("teacher")
    assert (support.modes, support.note, support.collection) == (MODES, "", "docs_teacher")
    with pytest.raises(NotIndexedError):
        service.mode_support("student")


def test_an_old_collection_serves_dense_only_and_says_how_to_rebuild(tmp_path: Path) -> None:
    service, _ = make_service(tmp_path, store=old_collections_store("docs_teacher"))
    support = service.mode_support("teacher")
    assert support.modes == ("dense",) and "docs_teacher" in support.note
    assert support.command == "distilsearch upgrade"
    assert service.search("fish", "teacher").hits[0].source == "b.txt"
    for mode in ("keyword", "hybrid"):
        with pytest.raises(FullTextUnavailableError, match="distilsearch upgrade"):
            service.search("fish", "teacher", mode=mode)


def test_compare_one_encoder_dense_against_hybrid(tmp_path: Path) -> None:
    service, _ = make_service(tmp_path)
    cmp = service.compare(
        "running fish",
        "teacher",
        "teacher",
        top_k=2,
        candidate_mode="hybrid",
        reference_mode="dense",
    )
    assert (cmp.candidate.label, cmp.reference.label) == (f"teacher · {HYBRID}", "teacher")
    assert cmp.verdict.startswith(f"teacher · {HYBRID} agrees on")
    assert "same document embeddings" in cmp.embedding_note
    dense = service.search("running fish", "teacher", top_k=10)
    cosine = {h.id: h.score for h in dense.hits}
    for row in cmp.rows:  # both score columns are cos(query, chunk), also the hybrid side's
        assert row.candidate_score == pytest.approx(cosine[row.hit.id])
        assert row.reference_score == pytest.approx(cosine[row.hit.id])
    with pytest.raises(ValueError, match="two different"):
        service.compare(
            "fish", "teacher", "teacher", candidate_mode="hybrid", reference_mode="hybrid"
        )
    weighted = service.compare(
        "fish",
        "teacher",
        "teacher",
        candidate_mode="keyword",
        reference_mode="hybrid",
        fusion=Fusion("weighted"),
    )
    assert weighted.reference.mode_label == "hybrid (weighted, dense 0.5)"


def test_compare_student_keyword_against_teacher_hybrid(tmp_path: Path) -> None:
    service, _ = make_service(tmp_path, index_student=True)
    cmp = service.compare(
        "fish",
        "student",
        "teacher",
        top_k=3,
        candidate_mode="keyword",
        reference_mode="hybrid",
        fusion=Fusion(rrf_k=10),
    )
    assert cmp.candidate.label == "student · keyword"
    assert cmp.reference.label == "teacher · hybrid (RRF k=10)"
    assert [h.source for h in cmp.candidate.hits] == ["b.txt"]
    assert all(row.embedding_cosine is not None for row in cmp.rows)


def test_answer_retrieves_in_the_given_mode(tmp_path: Path) -> None:
    service, _ = make_service(tmp_path)
    answer = service.answer("running", "teacher", top_k=3, mode="keyword")
    assert {h.source for h in answer.retrieved} == {"b.txt", "d.txt"}


def test_the_default_mode_is_a_validated_setting() -> None:
    assert SEARCH_MODES == MODES
    assert load_settings({}).search_mode == "dense"
    assert load_settings({"DISTILSEARCH_SEARCH_MODE": " Hybrid "}).search_mode == "hybrid"
    with pytest.raises(ValueError, match="DISTILSEARCH_SEARCH_MODE must be one of"):
        load_settings({"DISTILSEARCH_SEARCH_MODE": "bm25"})


def test_labels() -> None:
    assert mode_label("dense") == "dense" and mode_label("hybrid") == HYBRID
    assert fusion_label(Fusion("weighted", dense_weight=0.25)) == "weighted, dense 0.25"
