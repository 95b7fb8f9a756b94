"""A tiny four-layer teacher and a 48-document corpus, built once per test module."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.tiny_models import tiny_corpus, tiny_teacher


@pytest.fixture(scope="module")
def teacher_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_teacher(tmp_path_factory.mktemp("teacher"), layers=4)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_corpus(tmp_path_factory.mktemp("data") / "corpus.jsonl", docs=48)
