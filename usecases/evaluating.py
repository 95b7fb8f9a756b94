"""The evaluation use case: a BEIR folder and some systems -> a saved report.

Corpora are written into Milvus through the indexing use case
(:func:`usecases.indexing.index_corpus`: the embedding cache, the order of writes, the
in-place full-text upgrade), never by :mod:`evaluation` itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.settings import Settings
from encoders import Encoder, EncoderConfig, build_encoder, model_location
from evaluation import BeirDataset, EvalConfig, EvalReport, load_beir, run_evaluation
from evaluation.beir import resolve_dataset
from evaluation.runner import CorpusIndexer
from indexer.pipeline import IndexOptions
from indexer.stores import VectorStore, store_for
from usecases.indexing import IndexEvents, QuietEvents, default_options, index_corpus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalRequest:
    """Which data set, which systems (in ``config``), how encoders run, where to write."""

    dataset: str  # a BEIR folder, or a BEIR name looked up (or downloaded) under data/beir
    config: EvalConfig
    split: str = "test"
    encoder_config: EncoderConfig = field(default_factory=EncoderConfig)
    out_dir: Path | None = None  # default reports/<dataset name>
    milvus_uri: str | None = None  # default <data dir>/eval/milvus.db


@dataclass(frozen=True)
class EvalOutcome:
    report: EvalReport
    dataset: BeirDataset
    files: dict[str, Path]  # "json" / "markdown" / plots -> path
    seconds: float


def corpus_indexer(
    settings: Settings | None = None, events: IndexEvents | None = None
) -> CorpusIndexer:
    """What evaluation calls to write a corpus: the indexing use case, with the settings'
    embedding cache (none without settings). Returns ``index_reused`` and timings."""
    options = default_options(settings) if settings is not None else IndexOptions()

    def write(
        store: VectorStore, encoder: Encoder, dataset: BeirDataset, collection: str
    ) -> dict[str, Any]:
        started = time.perf_counter()
        corpus = (f"{dataset.name} corpus", dataset.chunks())
        quiet = events or QuietEvents()
        report = index_corpus(store, encoder, collection, corpus, options, quiet)
        if report.error:
            raise RuntimeError(f"indexing {dataset.name} stopped: {report.error}")
        seconds = time.perf_counter() - started
        stats: dict[str, Any] = {"index_reused": report.chunks_written == 0}
        if report.chunks_written:
            stats.update(
                index_seconds=seconds,
                encode_docs_per_s=report.chunks_written / max(seconds, 1e-9),
                vectors_from_cache=report.vectors_from_cache,
            )
        return stats

    return write


def load_dataset(settings: Settings, request: EvalRequest) -> BeirDataset:
    """Check every model the systems need exists (before minutes of work), then load the
    data set (a folder, or a BEIR name under ``<data dir>/beir``)."""
    for spec in request.config.systems:
        for name in spec.encoders:
            model_location(name, settings.models_dir)
    root = resolve_dataset(request.dataset, settings.data_dir)
    shown = Path(request.dataset).name if Path(request.dataset).is_dir() else request.dataset
    return load_beir(root, request.split, name=shown)


def evaluate(
    settings: Settings,
    request: EvalRequest,
    dataset: BeirDataset | None = None,
    events: IndexEvents | None = None,
) -> EvalOutcome:
    """Run the request on ``dataset`` (loaded by :func:`load_dataset` when not given) and
    save the report."""
    from evaluation.report import write_report

    started = time.perf_counter()
    dataset = dataset or load_dataset(settings, request)
    report = run_with_store(settings, dataset, request, events)
    out_dir = request.out_dir or Path("reports") / dataset.name
    files = write_report(report, out_dir)
    return EvalOutcome(report, dataset, files, time.perf_counter() - started)


def run_with_store(
    settings: Settings,
    dataset: BeirDataset,
    request: EvalRequest,
    events: IndexEvents | None = None,
) -> EvalReport:
    """:func:`evaluation.run_evaluation` on the evaluation store (opened only when a dense
    system needs it)."""
    config = request.config
    store = None
    if config.encoders:
        uri = request.milvus_uri or str(settings.data_dir / "eval" / "milvus.db")
        store = store_for(settings, uri)
    try:
        return run_evaluation(
            dataset,
            config,
            lambda name: build_encoder(name, settings, request.encoder_config),
            store,
            corpus_indexer(settings, events),
        )
    finally:
        if store is not None:
            store.close()


def run_small(
    settings: Settings,
    store: VectorStore,
    encoder: Any,
    dataset_dir: Path,
    encoders: Sequence[str],
    limits: tuple[int, int] = (30, 300),
    split: str = "test",
) -> Path:
    """A quick evaluation for the UI on a subsample (the judged documents of the first
    ``limits[0]`` queries, topped up to ``limits[1]`` documents) with the caller's store
    and ``encoder(name)`` factory; returns the written report's folder."""
    from encoders import TEACHER
    from evaluation import subsample

    if not encoders:
        raise ValueError("choose at least one encoder")
    full = load_beir(Path(dataset_dir).expanduser(), split)
    small = subsample(full, *limits)
    config = EvalConfig(
        encoders=tuple(encoders),
        reference=TEACHER if TEACHER in encoders else encoders[0],
        fidelity_docs=min(256, len(small.doc_ids)),
        resamples=2000,
    )
    report = run_evaluation(small, config, encoder, store, corpus_indexer(settings))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out = settings.data_dir / "reports" / f"{small.name}-{stamp}"
    report.save(out)
    logger.info("small evaluation of %s written to %s", ", ".join(encoders), out)
    return out
