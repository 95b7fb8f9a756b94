"""Milvus BM25 and hybrid systems in the harness, their agreement with bm25s, and the
rebuild of a collection made before full-text search.

The tiny set (tests/support/beir_factory.py) as in test_runner.py: Milvus's BM25 keeps
only documents sharing a term with the query, like bm25s, and ranks them as bm25s does
(q1 "cat": d1 "cat cat" before d2 "Pets cat dog"; q2 "dog": d3 before the longer d2;
q3 "bird": d5 only), so the two agree fully. Hybrid search: both sides put d1, d2 first
for q1 and d3, d2 first for q2, so nDCG@10 is 1/log2(3) and 1 there, whatever the fusion;
q3's dense ties at 0 (d1..d4) leave its order to the engine.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from evaluation import EvalConfig, EvalReport, SystemResult, load_beir, run_evaluation
from evaluation.fidelity import rbo
from evaluation.milvus_systems import bm25_agreement
from evaluation.runner import eval_collection
from indexer.stores import CollectionInfo, Fusion, InMemoryStore, open_store
from tests.support.beir_factory import TINY_VOCAB, write_tiny_beir
from tests.support.fakes import KeywordEncoder, write_distill_meta
from tests.support.old_schema import create_old_collection
from usecases.evaluating import corpus_indexer

BM25_RANKINGS = {"q1": ["d1", "d2"], "q2": ["d3", "d2"], "q3": ["d5"]}
RRF60, WEIGHTED = Fusion("rrf", rrf_k=60), Fusion("weighted", dense_weight=0.5)
PAIRED = "student docs + teacher queries"


@pytest.fixture
def dataset(tmp_path: Path):
    return load_beir(write_tiny_beir(tmp_path / "tiny"))


@pytest.fixture
def lite(tmp_path: Path) -> Iterator:
    store = open_store(str(tmp_path / "eval.db"))
    yield store
    store.close()


def teacher() -> KeywordEncoder:
    return KeywordEncoder(TINY_VOCAB, "teacher")


def test_milvus_systems_through_milvus_lite(dataset, lite, tmp_path: Path) -> None:
    config = EvalConfig(
        encoders=("teacher",),
        bm25=True,
        hybrid=True,
        milvus_bm25=True,
        milvus_hybrid=(RRF60, WEIGHTED),
        resamples=100,
    )
    encoder = teacher()
    report = run_evaluation(dataset, config, lambda _name: encoder, lite, corpus_indexer())
    assert list(report.systems) == [
        "teacher",
        "bm25",
        "milvus-bm25",
        "teacher+bm25",
        "teacher+milvus-rrf60",
        "teacher+milvus-weighted0.5",
    ]
    milvus, bm25s = report.systems["milvus-bm25"], report.systems["bm25"]
    assert milvus.kind == "bm25" and milvus.rankings == BM25_RANKINGS == bm25s.rankings
    assert milvus.metrics["ndcg@10"] == pytest.approx(bm25s.metrics["ndcg@10"])
    collection = eval_collection(dataset, "teacher", config)
    eff = milvus.efficiency
    assert eff["collection"] == collection and eff["index_shared_with"] == "teacher"
    assert eff["engine"] == "milvus" and eff["query_encode_p50_ms"] == 0.0  # nothing encoded
    for name, setting in (
        ("teacher+milvus-rrf60", {"rrf_k": 60}),
        ("teacher+milvus-weighted0.5", {"dense_weight": 0.5}),
    ):
        system = report.systems[name]
        assert system.kind == "hybrid" and system.efficiency["collection"] == collection
        assert setting.items() <= system.efficiency.items()
        assert system.per_query["q1"]["ndcg@10"] == pytest.approx(1 / math.log2(3))
        assert system.per_query["q2"]["ndcg@10"] == pytest.approx(1.0)
        assert system.rankings["q1"][:2] == ["d1", "d2"]
        assert system.efficiency["query_encode_p50_ms"] > 0

    agreement = report.bm25_agreement
    assert (agreement["system"], agreement["reference"]) == ("milvus-bm25", "bm25")
    assert agreement["overlap@10"] == agreement["rbo"] == agreement["same_first"] == 1.0
    assert agreement["ndcg@10_diff"] == pytest.approx(0.0) and agreement["queries"] == 3

    # index MB is the collection's own, not the whole Lite file's
    dense = report.systems["teacher"].efficiency
    assert 0 < dense["index_bytes"] < dense["store_file_bytes"]
    assert milvus.efficiency["index_bytes"] == dense["index_bytes"]

    report.save(tmp_path / "out")
    table = (tmp_path / "out" / "report.md").read_text()
    assert "| BM25 | reference | queries | top-10 overlap | RBO |" in table
    assert "| milvus-bm25 | bm25 | 3 | 1.000 | 1.000 | 1.000 |" in table
    loaded = EvalReport.load(tmp_path / "out")
    assert loaded.problems == [] and loaded.bm25_agreement == agreement
    assert loaded.systems["teacher+milvus-rrf60"].kind == "hybrid"


def test_an_old_collection_gets_full_text_in_place_not_rebuilt(dataset, lite, caplog) -> None:
    encoder = teacher()
    with_keyword = EvalConfig(encoders=("teacher",), fidelity_docs=0, milvus_bm25=True)
    collection = eval_collection(dataset, "teacher", with_keyword)
    create_old_collection(
        lite._client, collection, CollectionInfo(encoder.name, encoder.dim, encoder.fingerprint)
    )
    lite.upsert(collection, dataset.chunks(), encoder.encode_documents(dataset.documents))
    assert lite.has_full_text(collection) is False
    encoder.calls.clear()

    with caplog.at_level(logging.WARNING, logger="usecases.indexing"):
        report = run_evaluation(
            dataset, with_keyword, lambda _name: encoder, lite, corpus_indexer()
        )
    assert f"collection {collection} has no full-text field: adding it in place" in caplog.text
    assert report.systems["teacher"].efficiency["index_reused"] is True
    assert lite.has_full_text(collection) and lite.count(collection) == 5
    assert report.systems["milvus-bm25"].rankings == BM25_RANKINGS
    assert len(dataset.documents) not in encoder.calls  # no document was encoded again

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="usecases.indexing"):
        again = run_evaluation(dataset, with_keyword, lambda _name: encoder, lite, corpus_indexer())
    assert again.systems["teacher"].efficiency["index_reused"] is True
    assert not [r for r in caplog.records if r.name == "usecases.indexing"]


def test_milvus_systems_per_dense_system_and_paired(dataset, tmp_path: Path) -> None:
    """milvus-bm25 runs once, on the first system's collection; hybrids per system."""
    fakes = {
        "teacher": teacher(),
        "student": KeywordEncoder([TINY_VOCAB[1], TINY_VOCAB[0], *TINY_VOCAB[2:]], "student"),
    }
    fakes["student"].model_dir = write_distill_meta(tmp_path / "s", fakes["teacher"].fingerprint)
    config = EvalConfig(
        encoders=("student:teacher", "teacher"),
        milvus_bm25=True,
        milvus_hybrid=(RRF60,),
        resamples=50,
        reference=PAIRED,
    )
    store = InMemoryStore()
    report = run_evaluation(dataset, config, fakes.__getitem__, store, corpus_indexer())
    assert list(report.systems) == [
        PAIRED,
        "teacher",
        "milvus-bm25",
        f"{PAIRED}+milvus-rrf60",
        "teacher+milvus-rrf60",
    ]
    student_collection = eval_collection(dataset, "student", config)
    assert report.systems["milvus-bm25"].efficiency["collection"] == student_collection
    assert report.systems["milvus-bm25"].rankings == BM25_RANKINGS
    assert report.bm25_agreement == {}  # no bm25s to agree with


def result(name: str, rankings: dict[str, list[str]], ndcg: dict[str, float]) -> SystemResult:
    per_query = {q: {"ndcg@10": v} for q, v in ndcg.items()}
    mean = sum(ndcg.values()) / len(ndcg)
    return SystemResult(name, "bm25", {"ndcg@10": mean}, per_query, {}, rankings)


def test_bm25_agreement_by_hand() -> None:
    milvus = result(
        "milvus-bm25",
        {"q1": ["a", "b", "c"], "q2": [], "q3": ["x", "y"]},
        {"q1": 1.0, "q2": 0.0, "q3": 0.25},
    )
    bm25s = result(
        "bm25",
        {"q1": ["a", "c", "d"], "q2": [], "q3": ["y", "x"]},
        {"q1": 0.5, "q2": 0.0, "q3": 0.75},
    )
    found = bm25_agreement(milvus, bm25s, k=10, p=0.9)
    rows = found["per_query"]
    # q1 shares a, c of three; q2: neither answers (full agreement); q3 the same two swapped
    assert rows["q1"]["overlap@10"] == pytest.approx(2 / 3)
    assert rows["q2"]["overlap@10"] == 1.0 and rows["q2"]["rbo"] == 1.0
    assert rows["q3"]["overlap@10"] == 1.0
    assert rows["q1"]["rbo"] == pytest.approx(rbo(["a", "b", "c"], ["a", "c", "d"], 0.9))
    assert [rows[q]["ndcg@10_diff"] for q in ("q1", "q2", "q3")] == pytest.approx([0.5, 0, -0.5])
    assert found["overlap@10"] == pytest.approx((2 / 3 + 1 + 1) / 3)
    assert found["same_first"] == pytest.approx(2 / 3)  # q1 a = a, q2 none = none, q3 x != y
    assert found["ndcg@10_diff"] == pytest.approx(0.0)
    assert found["ndcg@10_abs_diff_mean"] == pytest.approx(1 / 3)
    assert (found["ndcg@10"], found["reference_ndcg@10"]) == pytest.approx((0.4166667, 0.4166667))
    assert found["rbo_p"] == 0.9 and found["queries"] == 3


def test_config_checks_milvus_systems() -> None:
    with pytest.raises(ValueError, match="name at least one encoder"):
        EvalConfig(encoders=(), bm25=True, milvus_bm25=True)
    with pytest.raises(ValueError, match="name at least one encoder"):
        EvalConfig(encoders=(), bm25=True, milvus_hybrid=(RRF60,))
    with pytest.raises(ValueError, match="listed twice: rrf60, rrf60"):
        EvalConfig(milvus_hybrid=(RRF60, Fusion("rrf", rrf_k=60)))
    with pytest.raises(ValueError, match="Fusion settings"):
        EvalConfig(milvus_hybrid=("rrf:60",))  # type: ignore[arg-type]
    config = EvalConfig(milvus_hybrid=(RRF60, WEIGHTED, Fusion("weighted", dense_weight=0.9)))
    assert len(config.milvus_hybrid) == 3


def test_old_reports_load_without_agreement(tmp_path: Path) -> None:
    import json

    folder = tmp_path / "old"
    folder.mkdir()
    data = {"dataset": "x", "systems": {}, "fidelity": {}, "significance": []}
    (folder / "report.json").write_text(json.dumps(data))
    loaded = EvalReport.load(folder)
    assert loaded.bm25_agreement == {} and loaded.problems == []
    (folder / "report.json").write_text(json.dumps({**data, "bm25_agreement": [1, 2]}))
    loaded = EvalReport.load(folder)
    assert loaded.bm25_agreement == {}
    assert loaded.problems == ["'bm25_agreement' is not a JSON object: left out"]
