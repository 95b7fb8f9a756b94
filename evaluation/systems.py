"""Dense systems: have the corpus indexed per document encoder, query through ``Retriever``.

A system is a :class:`~encoders.SystemSpec`: ``teacher`` (one encoder), or
``student:teacher``, teacher-query mode: the student's collection, queries encoded by
the teacher it was distilled from. A paired system reuses its document encoder's
collection (:func:`eval_collection` of the document encoder; built if missing exactly
as for the plain system), so ``student`` and ``student:teacher`` in one run index the
corpus once. Its latencies are the query encoder's encode + the search; its fidelity
sample is embedded by the document encoder (a system's document vectors are its
document encoder's whatever encodes its queries), so its embedding cosine to the
reference equals the plain document encoder's.

Collections are named from the corpus hash, ``max_seq_length`` and the encoder. This
package never writes into them: a :data:`CorpusIndexer` passed in does (the use-case
layer's indexing rules: reused when complete, built by the same writer as files, given
the full-text field in place when it lacks one). A system's ``index_bytes``
is its collection's own size in the Milvus Lite file (``VectorStore.collection_bytes``),
not the whole file's. Queries go one at a
time (the UI's path), so latencies are per query, after one warm-up.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import resource
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from tqdm import tqdm

from encoders import Encoder, SystemSpec, check_pairing
from evaluation.beir import BeirDataset, dataset_slug
from evaluation.config import EvalConfig
from evaluation.metrics import evaluate_run, ranking
from evaluation.report import SystemResult
from indexer.retrieval import Mode, Retriever, collection_name
from indexer.stores.base import VectorStore
from indexer.stores.fusion import DEFAULT_FUSION, Fusion

logger = logging.getLogger(__name__)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (MiB; ``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def latency_summary(total_ms: list[float]) -> dict[str, float]:
    """p50, p95 and mean of per-query latencies in milliseconds."""
    array = np.asarray(total_ms, dtype=np.float64)
    return {
        "latency_p50_ms": float(np.percentile(array, 50)),
        "latency_p95_ms": float(np.percentile(array, 95)),
        "latency_mean_ms": float(array.mean()),
    }


def eval_collection(dataset: BeirDataset, encoder_name: str, config: EvalConfig) -> str:
    """Collection for ``dataset`` encoded by ``encoder_name`` at ``config.max_seq_length``."""
    return collection_name(eval_base(dataset, config), encoder_name)


#: Writes ``dataset``'s corpus into the named collection with ``encoder`` (the use-case
#: layer's indexing rules, :func:`usecases.evaluating.corpus_indexer`) and returns what it
#: did: ``index_reused`` (nothing to write) and timing figures.
CorpusIndexer = Callable[[VectorStore, Encoder, BeirDataset, str], dict[str, Any]]


def eval_base(dataset: BeirDataset, config: EvalConfig) -> str:
    """The base name of ``dataset``'s collections at ``config.max_seq_length``."""
    key = hashlib.sha256(f"{dataset.corpus_hash}:{config.max_seq_length}".encode()).hexdigest()
    return f"beir_{dataset_slug(dataset.name)}_{key[:12]}"


class EncoderPool:
    """The encoders that ``systems`` need, each built once by ``factory`` (even when it
    is one system's and another's query side) and dropped after the last system using it."""

    def __init__(self, systems: Sequence[SystemSpec], factory: Callable[[str], Encoder]) -> None:
        self._systems = tuple(systems)
        self._factory = factory
        self._uses = Counter(name for spec in self._systems for name in spec.encoders)
        self._built: dict[str, Encoder] = {}

    def get(self, name: str) -> Encoder:
        """The encoder registered as ``name``, built on first use."""
        if name not in self._built:
            self._built[name] = self._factory(name)
        return self._built[name]

    def encoders_of(self, spec: SystemSpec) -> tuple[Encoder, Encoder]:
        """``(document encoder, query encoder)`` of ``spec`` (one object for a plain system)."""
        return self.get(spec.documents), self.get(spec.queries)

    def check_pairs(self) -> None:
        """``QueryEncoderMismatchError`` (a ``ValueError``) before any indexing when a
        paired system's query encoder is not its document encoder's teacher."""
        for spec in self._systems:
            if spec.paired:
                check_pairing(*self.encoders_of(spec))

    def release(self, spec: SystemSpec) -> None:
        """One use of ``spec``'s encoders is over; drop those no later system needs."""
        for name in spec.encoders:
            self._uses[name] -= 1
            if self._uses[name] <= 0:
                self._built.pop(name, None)
        gc.collect()


def evaluate_dense(
    spec: SystemSpec,
    document_encoder: Encoder,
    query_encoder: Encoder,
    store: VectorStore,
    dataset: BeirDataset,
    config: EvalConfig,
    index_corpus: CorpusIndexer,
) -> tuple[SystemResult, np.ndarray, dict[str, float]]:
    """Have ``index_corpus`` bring the document encoder's collection up to date, query each
    judged query through ``query_encoder``, score; also embed the fidelity sample with the
    document encoder. Returns the result (named
    ``spec.label``), the sample's document vectors ``(fidelity_docs, dim)`` and the
    per-query latencies in ms (for hybrid timing).
    """
    collection = eval_collection(dataset, spec.documents, config)
    efficiency = index_corpus(store, document_encoder, dataset, collection)
    retriever = Retriever(document_encoder, store, collection, query_encoder=query_encoder)
    run, total_ms = query_all(retriever, spec.label, dataset, config.top_k, efficiency)
    sample_vectors = _embed_sample(document_encoder, dataset, config.fidelity_docs, efficiency)
    efficiency.update(
        document_encoder=spec.documents,
        query_encoder=spec.queries,
        collection=collection,
        peak_rss_mb=peak_rss_mb(),
        **index_sizes(store, collection),
    )
    return scored(spec.label, "dense", dataset, run, efficiency), sample_vectors, total_ms


def index_sizes(store: VectorStore, collection: str) -> dict[str, int | None]:
    """``index_bytes``: the collection's own pages in a Milvus Lite file (None for a
    server or where not measurable); ``store_file_bytes``: the whole file, every
    collection in it."""
    return {
        "index_bytes": store.collection_bytes(collection),
        "store_file_bytes": store.disk_bytes(),
    }


def scored(
    name: str,
    kind: str,
    dataset: BeirDataset,
    run: dict[str, dict[str, float]],
    efficiency: dict[str, Any],
) -> SystemResult:
    """The system ``name`` whose ``run`` (query -> doc -> score) is scored on ``dataset``."""
    scores = evaluate_run(dataset.qrels, run)
    rankings = {q: ranking(docs) for q, docs in run.items()}
    return SystemResult(name, kind, scores.mean, scores.per_query, efficiency, rankings)


def query_all(
    retriever: Retriever,
    label: str,
    dataset: BeirDataset,
    top_k: int,
    efficiency: dict[str, Any],
    mode: Mode = "dense",
    fusion: Fusion = DEFAULT_FUSION,
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Every query once in ``mode`` (after a warm-up): the run and per-query total ms;
    adds the latency summary and the encode (query encoder) and search medians to
    ``efficiency``."""
    queries = dataset.queries
    retriever.search(next(iter(queries.values())), top_k, mode=mode, fusion=fusion)  # warm-up
    run: dict[str, dict[str, float]] = {}
    encode_ms, search_ms, total_ms = [], [], {}
    for qid, text in tqdm(queries.items(), desc=f"querying {label}", unit="query"):
        result = retriever.search(text, top_k, mode=mode, fusion=fusion)
        run[qid] = {hit.source: hit.score for hit in result.hits}
        encode_ms.append(result.encode_ms)
        search_ms.append(result.search_ms)
        total_ms[qid] = result.total_ms
    efficiency.update(latency_summary(list(total_ms.values())))
    efficiency["query_encode_p50_ms"] = float(np.percentile(encode_ms, 50))
    efficiency["query_search_p50_ms"] = float(np.percentile(search_ms, 50))
    return run, total_ms


def _embed_sample(
    encoder: Encoder, dataset: BeirDataset, size: int, efficiency: dict[str, Any]
) -> np.ndarray:
    """The first ``size`` documents embedded by ``encoder`` -> ``(size, dim)``; when the
    index was reused, this sample measures the document encode speed."""
    sample = dataset.documents[:size]
    t0 = time.perf_counter()
    vectors = encoder.encode_documents(sample)
    seconds = time.perf_counter() - t0
    if efficiency["index_reused"] and sample:
        efficiency["encode_docs_per_s"] = len(sample) / max(seconds, 1e-9)
        efficiency["encode_measured_on"] = f"{len(sample)}-doc sample (index reused)"
    return vectors
