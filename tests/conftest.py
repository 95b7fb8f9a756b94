"""Shared fixtures. Everything here is offline; the real teacher comes from PyPI.

Under pytest-xdist (``make test``) each worker loads the session fixtures once and runs
torch on one thread (``tests/support/parallel.py``); files with slow tests start first.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")

from pathlib import Path

import pytest

from core.settings import Settings, load_settings
from tests.support.parallel import LONGEST_FIRST, TORCH_THREADS, WORKER, WORKERS

if WORKERS > 1:  # before torch is imported; the CLI, Streamlit and Ray processes inherit it
    os.environ.setdefault("OMP_NUM_THREADS", str(TORCH_THREADS))
    os.environ.setdefault("DISTILSEARCH_THREADS", str(TORCH_THREADS))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In an xdist worker: the files of ``LONGEST_FIRST``, then every other file with a
    ``slow`` or ``browser`` test, then the rest, each file's tests in their order.

    ``make test`` passes ``--no-loadscope-reorder``, so files are handed to the workers in
    this order (every worker collects the same order); a plain run keeps pytest's order.
    """
    if not WORKER:
        return
    files: dict[str, int] = {}
    heavy: set[str] = set()
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        files.setdefault(path, len(files))
        if item.get_closest_marker("slow") or item.get_closest_marker("browser"):
            heavy.add(path)

    def rank(path: str) -> tuple[int, int]:
        if path in LONGEST_FIRST:
            return LONGEST_FIRST.index(path), files[path]
        return len(LONGEST_FIRST) + (path not in heavy), files[path]

    items.sort(key=lambda item: rank(item.nodeid.split("::", 1)[0]))  # stable within a file


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing every path into ``tmp_path`` (Milvus Lite file included)."""
    return load_settings(
        {
            "DISTILSEARCH_DATA_DIR": str(tmp_path / "data"),
            "DISTILSEARCH_MODELS_DIR": str(tmp_path / "models"),
            "DISTILSEARCH_THREADS": str(TORCH_THREADS),
        }
    )


@pytest.fixture(scope="session")
def teacher():
    """The real packaged all-MiniLM-L6-v2, loaded once per test session."""
    from encoders import build_encoder

    return build_encoder("teacher", load_settings({"DISTILSEARCH_THREADS": str(TORCH_THREADS)}))
