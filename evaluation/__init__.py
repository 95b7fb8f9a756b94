"""Retrieval evaluation on BEIR-format data: dense encoders, BM25, hybrid, fidelity, speed.

Entry points: :func:`run_evaluation` (and the ``distilsearch eval`` command in
:mod:`shell.eval_command`), :class:`EvalReport` (``save`` / ``load``), :func:`load_beir`
and :func:`subsample` for the data, :func:`evaluate_run` and :func:`exact_run` for
benchmarks that score their own rankings.
"""

from evaluation.beir import BeirDataset, load_beir, read_queries, resolve_dataset
from evaluation.bm25 import BM25Config
from evaluation.fidelity import PairedTest
from evaluation.metrics import HEADLINE, MetricResult, evaluate_run, exact_run, ranking
from evaluation.report import (
    JSON_NAME,
    EvalReport,
    QueryDelta,
    ReportError,
    SystemResult,
    load_report,
    markdown_table,
    write_report,
)
from evaluation.runner import EvalConfig, run_evaluation
from evaluation.subsample import subsample

__all__ = [
    "HEADLINE",
    "JSON_NAME",
    "BM25Config",
    "BeirDataset",
    "EvalConfig",
    "EvalReport",
    "MetricResult",
    "PairedTest",
    "QueryDelta",
    "ReportError",
    "SystemResult",
    "evaluate_run",
    "exact_run",
    "load_beir",
    "load_report",
    "markdown_table",
    "ranking",
    "read_queries",
    "resolve_dataset",
    "run_evaluation",
    "subsample",
    "write_report",
]
