"""Retrieval evaluation on BEIR-format data: dense encoders, BM25, hybrid, fidelity, speed.

Entry points: :func:`indexer.evaluation.runner.run_evaluation` and the ``distilsearch eval``
command (:mod:`indexer.evaluation.cli`).
"""
