"""The evaluation end to end on a tiny BEIR set with a keyword encoder, values by hand.

Vocabulary (cat, dog, fish, bird); document vectors are normalised word counts:
d1 "cat cat" = (1,0,0,0), d2 "Pets cat dog" = (1,1,0,0)/√2, d3 "dog" = (0,1,0,0),
d4 "fish" = (0,0,1,0), d5 "bird fish" = (0,0,1,1)/√2. Exact search, ties by insertion.

* q1 "cat" -> d1 1, d2 .71, then d3 d4 d5 at 0. Relevant d2 at rank 2:
  nDCG@10 = 1/log2(3) = .63093, RR = 1/2, AP = 1/2, recall@1 = 0.
* q2 "dog" -> d3 1, d2 .71, ... Relevant d3, d2 at ranks 1, 2: nDCG = RR = AP = 1,
  recall@1 = 1/2.
* q3 "bird" -> d5 .71, then d1 d2 d3 d4 at 0. Relevant d4 at rank 5:
  nDCG = 1/log2(6) = .38685, RR = AP = 1/5, recall@1 = 0.

BM25 keeps only docs with a positive score: q1 d1 (tf 2) before d2 (tf 1, longer), q2 d3
(shorter) before d2, q3 only d5 -> nDCG (.63093 + 1 + 0) / 3, MRR (1/2 + 1 + 0) / 3.
RRF(k=60) of dense and BM25 keeps the dense order for all three queries.

Teacher-query mode, ``student:teacher``: the student's vocabulary is (dog, cat, fish,
bird), so its document vectors are d1 (0,1,0,0), d2 (1,1,0,0)/√2, d3 (1,0,0,0), d4, d5
as the teacher's; teacher queries "cat" = (1,0,0,0) and "dog" = (0,1,0,0) meet the
student's swapped axes:

* q1 "cat" -> d3 1, d2 .71, then d1 d4 d5. Relevant d2 at rank 2: nDCG = 1/log2(3),
  RR = AP = 1/2.
* q2 "dog" -> d1 1, d2 .71, then d3 d4 d5. Relevant d2, d3 at ranks 2, 3:
  nDCG = (1/log2(3) + 1/2) / (1 + 1/log2(3)), RR = 1/2, AP = (1/2 + 2/3) / 2 = 7/12.
* q3 "bird" -> as the teacher: nDCG = 1/log2(6), RR = AP = 1/5. recall@1 = 0 throughout.

Against the teacher's rankings (all five documents each, so overlap@10 = 5/5 = 1): q1
and q2 swap ranks 1 and 3, so the prefixes overlap X = 0, 1, 3, 4, 5 at depths 1..5 and
RBO_ext = p^5 + (1-p)/p (p^2/2 + p^3 + p^4 + p^5); q3 is identical (RBO 1).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from encoders import QueryEncoderMismatchError
from evaluation import EvalConfig, load_beir, run_evaluation
from evaluation.report import JSON_NAME, MARKDOWN_NAME, PLOT_NAMES
from evaluation.runner import eval_collection
from indexer.stores.base import CollectionInfo
from indexer.stores.memory import InMemoryStore
from tests.support.beir_factory import TINY_VOCAB, write_tiny_beir
from tests.support.fakes import KeywordEncoder, write_distill_meta
from usecases.evaluating import corpus_indexer

DENSE_NDCG = (1 / math.log2(3) + 1 + 1 / math.log2(6)) / 3
DENSE_MRR = (1 / 2 + 1 + 1 / 5) / 3
BM25_NDCG = (1 / math.log2(3) + 1 + 0) / 3
BM25_MRR = (1 / 2 + 1 + 0) / 3
PAIRED = "student docs + teacher queries"
PAIRED_NDCG = (
    1 / math.log2(3) + (1 / math.log2(3) + 1 / 2) / (1 + 1 / math.log2(3)) + 1 / math.log2(6)
) / 3
P = 0.9
SWAPPED_RBO = P**5 + (1 - P) / P * (P**2 / 2 + P**3 + P**4 + P**5)


@pytest.fixture
def dataset(tmp_path: Path):
    return load_beir(write_tiny_beir(tmp_path / "tiny"))


def encoders() -> dict[str, KeywordEncoder]:
    # the "student" permutes the vocabulary: same rankings, different vectors
    permuted = [TINY_VOCAB[1], TINY_VOCAB[0], *TINY_VOCAB[2:]]
    return {
        "teacher": KeywordEncoder(TINY_VOCAB, "teacher"),
        "student": KeywordEncoder(permuted, "student"),
    }


def test_full_run_pins_every_metric(dataset) -> None:
    fakes = encoders()
    config = EvalConfig(encoders=("teacher", "student"), bm25=True, hybrid=True, resamples=200)
    report = run_evaluation(dataset, config, fakes.__getitem__, InMemoryStore(), corpus_indexer())
    assert list(report.systems) == ["teacher", "student", "bm25", "teacher+bm25", "student+bm25"]
    teacher = report.systems["teacher"]
    assert teacher.per_query["q1"]["ndcg@10"] == pytest.approx(1 / math.log2(3))
    assert teacher.per_query["q3"]["ndcg@10"] == pytest.approx(1 / math.log2(6))
    assert teacher.metrics["ndcg@10"] == pytest.approx(DENSE_NDCG)
    assert teacher.metrics["mrr@10"] == pytest.approx(DENSE_MRR)
    assert teacher.metrics["map@100"] == pytest.approx(DENSE_MRR)  # one relevant doc or ranks 1,2
    assert teacher.metrics["recall@10"] == teacher.metrics["recall@100"] == 1.0
    assert teacher.metrics["recall@1"] == pytest.approx(0.5 / 3)
    assert teacher.rankings["q3"] == ["d5", "d1", "d2", "d3", "d4"]
    bm25 = report.systems["bm25"]
    assert bm25.rankings == {"q1": ["d1", "d2"], "q2": ["d3", "d2"], "q3": ["d5"]}
    assert bm25.metrics["ndcg@10"] == pytest.approx(BM25_NDCG)
    assert bm25.metrics["mrr@10"] == pytest.approx(BM25_MRR)
    assert bm25.metrics["recall@100"] == pytest.approx(2 / 3)
    hybrid = report.systems["teacher+bm25"]
    assert hybrid.rankings == teacher.rankings
    assert hybrid.metrics["ndcg@10"] == pytest.approx(DENSE_NDCG)

    # fidelity: identical rankings, but embeddings of d1 and d3 are orthogonal after the
    # permutation (cosine 0) while d2, d4, d5 agree (cosine 1): mean 3/5.
    fid = report.fidelity["student"]
    assert fid["reference"] == "teacher"
    assert fid["overlap@10"] == 1.0 and fid["rbo"] == pytest.approx(1.0)
    assert fid["embedding_cosine"] == pytest.approx(3 / 5)
    assert fid["embedding_docs"] == 5
    assert "teacher" not in report.fidelity

    # significance: every pair of the five systems once; teacher vs its hybrid are equal
    assert len(report.significance) == 10
    same = next(t for t in report.significance if (t.a, t.b) == ("teacher", "teacher+bm25"))
    assert same.p_value == 1.0 and same.diff == 0.0

    eff = teacher.efficiency
    assert eff["index_reused"] is False and eff["encode_docs_per_s"] > 0
    assert eff["latency_p95_ms"] >= eff["latency_p50_ms"] >= 0
    assert eff["index_bytes"] is None and eff["peak_rss_mb"] > 0  # no Milvus Lite path
    assert bm25.efficiency["index_bytes"] > 0 and bm25.efficiency["stemmed"] in (True, False)


def test_collection_is_reused_then_rebuilt_when_stale(dataset) -> None:
    store, teacher = InMemoryStore(), KeywordEncoder(TINY_VOCAB, "teacher")
    config = EvalConfig(encoders=("teacher",), fidelity_docs=2)
    first = run_evaluation(dataset, config, lambda _name: teacher, store, corpus_indexer())
    teacher.calls.clear()
    second = run_evaluation(dataset, config, lambda _name: teacher, store, corpus_indexer())
    assert second.systems["teacher"].efficiency["index_reused"] is True
    # one warm-up + three queries, one at a time, then the 2-doc fidelity sample
    assert teacher.calls == [1, 1, 1, 1, 2]
    assert second.systems["teacher"].metrics == first.systems["teacher"].metrics

    collection = eval_collection(dataset, "teacher", config)
    store.delete(collection, [store.ids(collection).pop()])  # an interrupted build
    write = corpus_indexer()
    assert write(store, teacher, dataset, collection)["index_reused"] is False
    assert store.count(collection) == 5
    store.drop(collection)
    store.ensure_collection(collection, CollectionInfo("teacher", 4, "another-model"))
    assert write(store, teacher, dataset, collection)["index_reused"] is False
    assert store.collection_info(collection).fingerprint == teacher.fingerprint


def test_collection_name_depends_on_corpus_and_length(dataset, tmp_path: Path) -> None:
    base = eval_collection(dataset, "student-int8", EvalConfig())
    assert base.startswith("beir_tiny_") and base.endswith("_student_int8")
    assert eval_collection(dataset, "student-int8", EvalConfig(max_seq_length=128)) != base
    other = write_tiny_beir(tmp_path / "other" / "tiny")
    (other / "corpus.jsonl").write_text((other / "corpus.jsonl").read_text().replace("dog", "cow"))
    assert eval_collection(load_beir(other), "student-int8", EvalConfig()) != base


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="nothing to evaluate"):
        EvalConfig(encoders=())
    with pytest.raises(ValueError, match="needs an encoder and --bm25"):
        EvalConfig(encoders=("teacher",), hybrid=True)
    with pytest.raises(ValueError, match="twice"):
        EvalConfig(encoders=("teacher", "teacher"))
    with pytest.raises(ValueError, match="top_k"):
        EvalConfig(top_k=5)
    with pytest.raises(ValueError, match="twice"):  # the same system, written two ways
        EvalConfig(encoders=("student", "student:student"))
    with pytest.raises(ValueError, match="one ':' at most"):
        EvalConfig(encoders=("a:b:c",))
    with pytest.raises(ValueError, match="baseline"):
        EvalConfig(encoders=("student:bm25",))
    assert EvalConfig(reference="student:teacher").reference_label == PAIRED
    assert EvalConfig(reference=PAIRED).reference_label == PAIRED


def paired_encoders(folder: Path) -> dict[str, KeywordEncoder]:
    """The teacher and the permuted student, whose model folder names the teacher."""
    fakes = encoders()
    fakes["student"].model_dir = write_distill_meta(folder, fakes["teacher"].fingerprint)
    return fakes


def test_teacher_query_system_pins_its_figures(dataset, tmp_path: Path) -> None:
    fakes, built = paired_encoders(tmp_path / "student"), []
    config = EvalConfig(
        encoders=("teacher", "student", "student:teacher"), bm25=True, hybrid=True, resamples=200
    )
    store = InMemoryStore()
    report = run_evaluation(
        dataset, config, lambda n: built.append(n) or fakes[n], store, corpus_indexer()
    )
    assert sorted(built) == ["student", "teacher"]  # each encoder built once
    assert list(report.systems)[:4] == ["teacher", "student", PAIRED, "bm25"]
    assert f"{PAIRED}+bm25" in report.systems
    paired = report.systems[PAIRED]
    assert paired.kind == "dense"
    assert paired.rankings == {
        "q1": ["d3", "d2", "d1", "d4", "d5"],
        "q2": ["d1", "d2", "d3", "d4", "d5"],
        "q3": ["d5", "d1", "d2", "d3", "d4"],
    }
    assert paired.per_query["q2"]["ndcg@10"] == pytest.approx(
        (1 / math.log2(3) + 1 / 2) / (1 + 1 / math.log2(3))
    )
    assert paired.metrics["ndcg@10"] == pytest.approx(PAIRED_NDCG)
    assert paired.metrics["mrr@10"] == pytest.approx((1 / 2 + 1 / 2 + 1 / 5) / 3)
    assert paired.metrics["map@100"] == pytest.approx((1 / 2 + 7 / 12 + 1 / 5) / 3)
    assert paired.metrics["recall@1"] == 0.0 and paired.metrics["recall@10"] == 1.0
    # the student's own queries rank as the teacher does: only the query side differs
    assert report.systems["student"].metrics["ndcg@10"] == pytest.approx(DENSE_NDCG)

    eff = paired.efficiency
    student_collection = report.systems["student"].efficiency["collection"]
    assert eff["collection"] == student_collection == eval_collection(dataset, "student", config)
    assert eff["index_reused"] is True  # the student's collection, built one system earlier
    assert (eff["document_encoder"], eff["query_encoder"]) == ("student", "teacher")
    assert eff["query_encode_p50_ms"] >= 0 and eff["latency_p50_ms"] >= eff["query_encode_p50_ms"]
    assert len(store.list_collections()) == 2  # teacher's and student's, nothing more

    fid = report.fidelity[PAIRED]
    assert fid["reference"] == "teacher" and fid["overlap@10"] == 1.0
    assert fid["per_query"]["q1"]["rbo"] == pytest.approx(SWAPPED_RBO)
    assert fid["per_query"]["q3"]["rbo"] == pytest.approx(1.0)
    assert fid["rbo"] == pytest.approx((2 * SWAPPED_RBO + 1) / 3)
    # documents are the student's: the cosine is the student's (3/5, see above)
    assert fid["embedding_cosine"] == pytest.approx(3 / 5)
    assert fid["embedding_cosine"] == report.fidelity["student"]["embedding_cosine"]
    assert len(report.significance) == 21  # 3 dense, bm25, 3 hybrids: every pair once


def test_an_unpaired_teacher_query_system_fails_before_indexing(dataset, tmp_path) -> None:
    fakes, store = encoders(), InMemoryStore()  # the student names no teacher
    config = EvalConfig(encoders=("teacher", "student:teacher"), bm25=True)
    with pytest.raises(QueryEncoderMismatchError, match="no model folder"):
        run_evaluation(dataset, config, fakes.__getitem__, store, corpus_indexer())
    assert store.list_collections() == []
    fakes["student"].model_dir = write_distill_meta(tmp_path / "student", "another-teacher")
    with pytest.raises(QueryEncoderMismatchError, match="not the teacher"):
        run_evaluation(dataset, config, fakes.__getitem__, store, corpus_indexer())
    assert store.list_collections() == []


def test_a_teacher_query_system_alone_indexes_the_student(dataset, tmp_path: Path) -> None:
    fakes, store = paired_encoders(tmp_path / "student"), InMemoryStore()
    config = EvalConfig(encoders=("student:teacher",), reference=PAIRED)
    report = run_evaluation(dataset, config, fakes.__getitem__, store, corpus_indexer())
    assert list(report.systems) == [PAIRED] and report.fidelity == {}
    assert report.systems[PAIRED].efficiency["index_reused"] is False
    assert report.systems[PAIRED].metrics["ndcg@10"] == pytest.approx(PAIRED_NDCG)
    assert store.list_collections() == [eval_collection(dataset, "student", config)]
    assert store.collection_info(store.list_collections()[0]).encoder == "student"


def test_report_files(dataset, tmp_path: Path) -> None:
    import json

    fakes = encoders()
    config = EvalConfig(encoders=("teacher", "student"), bm25=True, hybrid=True, resamples=50)
    report = run_evaluation(dataset, config, fakes.__getitem__, InMemoryStore(), corpus_indexer())
    paths = report.save(tmp_path / "out")
    data = json.loads((tmp_path / "out" / JSON_NAME).read_text())
    assert {"dataset", "split", "created", "config", "systems", "fidelity", "significance"} <= set(
        data
    )
    teacher = data["systems"]["teacher"]
    assert set(teacher) == {"kind", "metrics", "per_query", "efficiency"}
    assert teacher["per_query"]["q2"]["ndcg@10"] == pytest.approx(1.0)
    assert data["fidelity"]["student"]["per_query"]["q1"]["rbo"] == pytest.approx(1.0)
    assert data["significance"][0]["metric"] == "ndcg@10"
    table = (tmp_path / "out" / MARKDOWN_NAME).read_text()
    assert "| system | ndcg@10 | recall@10 | recall@100 | mrr@10 | map@100 |" in table
    assert f"| teacher | {100 * DENSE_NDCG:.2f} |" in table
    assert f"| bm25 | {100 * BM25_NDCG:.2f} |" in table
    for name in PLOT_NAMES:
        png = tmp_path / "out" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
    assert set(paths) == {"json", "markdown", *PLOT_NAMES}
