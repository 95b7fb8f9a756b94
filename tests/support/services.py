"""A ``SearchService`` over fakes, and the app pointed at loaded encoders, for UI tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from core.settings import load_settings
from encoders import Encoder, ModelNotFoundError
from indexer.stores import VectorStore
from tests.support.parallel import TORCH_THREADS


def fake_service(
    tmp_path: Path, store: VectorStore, encoders: Mapping[str, Encoder], **env: str
):  # -> tuple[SearchService, list[str]]
    """A service over ``store`` whose registry hands out ``encoders`` by name.

    Settings point into ``tmp_path`` (``env`` adds variables). Returns the service and
    the list of names the registry was asked for (to check what was loaded).
    """
    from usecases.search import SearchService

    asked: list[str] = []

    def factory(name: str) -> Encoder:
        asked.append(name)
        if name not in encoders:
            raise ModelNotFoundError(f"encoder {name!r} needs a distilled model")
        return encoders[name]

    folders = {
        "DISTILSEARCH_DATA_DIR": str(tmp_path / "data"),
        "DISTILSEARCH_MODELS_DIR": str(tmp_path / "models"),
    }
    settings = load_settings({**folders, **env})
    service = SearchService(store, "docs", factory, settings=settings)
    service.library.workers = 0
    return service, asked


def point_app_at(
    monkeypatch: pytest.MonkeyPatch, data: Path, models: Path, encoders: Mapping[str, Encoder]
) -> None:
    """Environment for the app (data and models folders) and a registry of loaded encoders."""
    import usecases.search as service_module
    from search_app.resources import get_service

    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(data))
    monkeypatch.setenv("DISTILSEARCH_MODELS_DIR", str(models))
    monkeypatch.setenv("DISTILSEARCH_THREADS", str(TORCH_THREADS))
    for name in ("MILVUS_URI", "DISTILSEARCH_LLM_URL", "DISTILSEARCH_ENCODER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(service_module, "build_encoder", lambda name, _s: encoders[name])
    get_service.clear()
