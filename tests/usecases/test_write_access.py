"""Writes from the UI: off unless the operator turns them on, then only with the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import load_settings
from tests.support.beir_factory import write_tiny_beir
from tests.support.fakes import KeywordEncoder, keyword_index
from tests.support.services import fake_service
from usecases.access import WriteAccess, WriteRefusedError
from usecases.search import SearchService

KEY = "correct-horse-battery"


def service_with(tmp_path: Path, **env: str) -> SearchService:
    encoder = KeywordEncoder(["cat", "dog", "fish", "bird"], name="teacher")
    store = keyword_index({"a.txt": "cat dog"}, encoder)
    return fake_service(tmp_path, store, {"teacher": encoder}, **env)[0]


def writes(service: SearchService, key: str | None) -> list[str]:
    """Try every write the UI offers; the names of those that went through."""
    done = []
    attempts = {
        "upload": lambda: service.library.index_uploads(
            [("b.md", b"# B\n\nfish\n")], ["teacher"], key=key
        ),
        "delete": lambda: service.library.delete_source("a.txt", key=key),
        "evaluate": lambda: service.reports.run_small(
            write_tiny_beir(service.settings.data_dir / "beir"), ["teacher"], key=key
        ),
    }
    for name, action in attempts.items():
        try:
            action()
            done.append(name)
        except WriteRefusedError:
            pass
    return done


def test_by_default_every_write_is_refused(tmp_path):
    service = service_with(tmp_path)
    assert not service.index.writes.enabled
    assert writes(service, None) == [] and writes(service, KEY) == []
    assert service.store.count("docs_teacher") == 1  # nothing written, nothing deleted


def test_enabled_writes_need_the_operators_key(tmp_path):
    service = service_with(tmp_path, DISTILSEARCH_UI_WRITES="1", DISTILSEARCH_UI_SECRET=KEY)
    assert writes(service, None) == [] and writes(service, "wrong-key-123") == []
    assert writes(service, KEY) == ["upload", "delete", "evaluate"]


def test_writes_on_without_a_key_is_a_settings_error():
    with pytest.raises(ValueError, match="DISTILSEARCH_UI_SECRET"):
        load_settings({"DISTILSEARCH_UI_WRITES": "1"})
    with pytest.raises(ValueError, match="at least"):
        load_settings({"DISTILSEARCH_UI_WRITES": "yes", "DISTILSEARCH_UI_SECRET": "short"})


def test_write_access_compares_keys_exactly():
    access = WriteAccess(True, KEY)
    assert access.allows(KEY)
    assert not any(access.allows(k) for k in (None, "", KEY[:-1], KEY + " ", KEY.upper()))
    assert not WriteAccess(False, KEY).allows(KEY)
