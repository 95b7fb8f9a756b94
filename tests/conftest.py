"""Shared fixtures. Everything here is offline; the real teacher comes from PyPI."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")

from pathlib import Path

import pytest

from core.settings import Settings, load_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing every path into ``tmp_path`` (Milvus Lite file included)."""
    return load_settings(
        {
            "DISTILSEARCH_DATA_DIR": str(tmp_path / "data"),
            "DISTILSEARCH_MODELS_DIR": str(tmp_path / "models"),
            "DISTILSEARCH_THREADS": "2",
        }
    )


@pytest.fixture(scope="session")
def teacher():
    """The real packaged all-MiniLM-L6-v2, loaded once per test session."""
    from encoders import build_encoder

    return build_encoder("teacher", load_settings({"DISTILSEARCH_THREADS": "2"}))
