"""Highlighting scorers: static word vectors read from a real model folder (safetensors or
an ONNX graph) against the full encoder, and the service choosing between them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer.retrieval import collection_name
from indexer.stores.base import CollectionInfo
from indexer.stores.memory import InMemoryStore
from indexer.types import Chunk
from tests.support.services import fake_service
from usecases.sentence_scores import (
    EncoderScorer,
    ShortlistScorer,
    StaticScorer,
    static_scorer_for,
)

SENTENCES = [
    "The weather stays cold in the mountains all winter.",
    "Register the filter with your template library before you use it.",
    "Trains leave the station every hour.",
]


class Folder:
    """Anything with a model folder (what ``static_scorer_for`` reads), and a name."""

    def __init__(self, name: str, model_dir: Path) -> None:
        self.name, self.model_dir = name, model_dir


def test_static_word_vectors_of_the_teacher_find_the_sentence_on_topic(teacher) -> None:
    static = static_scorer_for(teacher)
    assert isinstance(static, StaticScorer) and static.name == "static word vectors of teacher"
    scores = static.score("how do I register a custom template filter", SENTENCES)
    assert int(np.argmax(scores)) == 1
    full = EncoderScorer(teacher).score("how do I register a custom template filter", SENTENCES)
    assert int(np.argmax(full)) == 1  # the full encoder agrees here
    vectors = static.vectors(["template filter", "the of and"])  # stop words only: zero
    assert np.isclose(np.linalg.norm(vectors[0]), 1.0) and not vectors[1].any()


@pytest.mark.parametrize("initializer", ["embeddings.word_embeddings.weight", "onnx::Gather_7"])
def test_the_table_is_read_from_an_onnx_graph(teacher, tmp_path: Path, initializer) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    source = static_scorer_for(teacher)
    assert source is not None
    table = np.random.default_rng(0).normal(size=(source._table.shape[0], 8)).astype(np.float32)
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, [None, None])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [None, None, 8])
    gather = helper.make_node("Gather", [initializer, "input_ids"], ["out"])
    graph = helper.make_graph(
        [gather], "g", [ids], [out], [numpy_helper.from_array(table, initializer)]
    )
    folder = tmp_path / "teacher-onnx"
    (folder / "onnx").mkdir(parents=True)
    onnx.save(helper.make_model(graph), str(folder / "onnx" / "model.onnx"))
    shutil.copy(teacher.model_dir / "tokenizer.json", folder / "tokenizer.json")
    static = static_scorer_for(Folder("teacher-onnx", folder))
    assert static is not None and static.name == "static word vectors of teacher-onnx"
    token = source._tokenizer.encode("filter", add_special_tokens=False).ids[0]
    expected = table[token] / np.linalg.norm(table[token])
    assert np.allclose(static.vectors(["filter"])[0], expected, atol=1e-6)


def test_a_folder_without_a_table_gives_no_static_scorer(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_text("{}")
    assert static_scorer_for(Folder("x", tmp_path), Folder("y", tmp_path / "missing")) is None


def test_the_service_highlights_with_static_vectors_unless_asked_for_the_encoder(
    tmp_path: Path, teacher
) -> None:
    docs = {"a.txt": " ".join(SENTENCES), "b.txt": "Cats sleep. Dogs bark at night."}
    store = InMemoryStore()
    coll = collection_name("docs", "teacher")
    store.ensure_collection(coll, CollectionInfo("teacher", teacher.dim, teacher.fingerprint))
    chunks = [Chunk(text=t, source=s, file_type="txt") for s, t in docs.items()]
    store.upsert(coll, chunks, teacher.encode_documents([c.text for c in chunks]))
    service = fake_service(tmp_path, store, {"teacher": teacher})[0]
    query = "how do I register a custom template filter"
    fast = service.search(query, "teacher", highlight=True)
    assert fast.highlighted_by == "static word vectors of teacher"
    top = fast.highlights[fast.hits[0].id]
    assert top.sentences[1] == SENTENCES[1] and 1 in top.best
    exact = service.highlight(service.search(query, "teacher"), exact=True)
    assert exact.highlighted_by == "teacher" and 1 in exact.highlights[exact.hits[0].id].best


class Counted:
    """A scorer that scores each sentence by its position, and counts what it saw."""

    def __init__(self, name: str, order: list[float]) -> None:
        self.name, self.order, self.seen = name, order, []

    def score(self, query: str, sentences) -> np.ndarray:
        self.seen.append(list(sentences))
        return np.asarray([self.order[SENTENCES_10.index(s)] for s in sentences])


SENTENCES_10 = [f"Sentence number {i} here." for i in range(10)]


def test_the_shortlist_sends_only_the_fast_scorers_best_to_the_encoder() -> None:
    fast = Counted("fast", [0.1 * i for i in range(10)])  # 9, 8, 7 rank highest
    full = Counted("full", [0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.45, 0.35])
    shortlist = ShortlistScorer(fast, full, keep=3)
    scores = shortlist.score("q", SENTENCES_10)
    assert full.seen == [[SENTENCES_10[9], SENTENCES_10[8], SENTENCES_10[7]]]
    assert scores.tolist() == [-1.0] * 7 + [0.7, 0.45, 0.35]  # the full scores decide
    assert shortlist.name == "full on the 3 best by fast"
    assert ShortlistScorer(fast, full, keep=20).score("q", SENTENCES_10[:2]).tolist() == [0.9, 0.1]
