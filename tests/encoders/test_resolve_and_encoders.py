"""Model resolution (packaged, local, hub-offline) and the sentence-transformers encoder."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from encoders import (
    EncoderConfig,
    SentenceTransformerEncoder,
    build_encoder,
    encoder_slug,
    model_location,
)
from encoders.resolve import (
    ModelNotFoundError,
    _unpack_zip_once,
    canonical_id,
    fingerprint,
    resolve_model,
)
from tests.support.fakes import save_tiny_sentence_transformer


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_sentence_transformer(tmp_path_factory.mktemp("tiny"))


def test_known_ids_resolve_to_the_packaged_minilm():
    for name in ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "ALL-minilm-l6-v2"):
        assert canonical_id(name) == "all-MiniLM-L6-v2"
        path = resolve_model(name)
        assert (path / "config.json").is_file() and (path / "model.safetensors").is_file()


def test_local_directory_is_used_as_is(tiny_model):
    assert resolve_model(str(tiny_model)) == tiny_model.resolve()


def test_unknown_model_offline_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(ModelNotFoundError, match="HF_HUB_OFFLINE"):
        resolve_model("some-org/never-published-model")
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        resolve_model("./no/such/dir")
    with pytest.raises(ValueError):
        resolve_model("  ")


def test_split_zip_parts_are_joined_and_unpacked_once(tmp_path):
    archive = tmp_path / "whole.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("model/config.json", "{}")
        z.writestr("model/model.safetensors", b"\x00" * 1000)
    data = archive.read_bytes()
    parts = [tmp_path / f"part{i}" for i in range(3)]
    for i, part in enumerate(parts):
        part.write_bytes(data[i * len(data) // 3 : (i + 1) * len(data) // 3])
    root = _unpack_zip_once(parts, tmp_path / "cache" / "m")
    assert (root / "config.json").read_text() == "{}"
    parts[0].unlink()  # a second call must not need the parts again
    assert _unpack_zip_once(parts, tmp_path / "cache" / "m") == root


def test_zip_members_escaping_the_target_are_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../../escape.txt", "x")
    with pytest.raises(ModelNotFoundError, match="unsafe"):
        _unpack_zip_once([archive], tmp_path / "cache" / "evil")
    assert not (tmp_path / "escape.txt").exists()


def test_fingerprint_changes_with_weights(tiny_model, tmp_path):
    first = fingerprint(tiny_model)
    assert len(first) == 16 and fingerprint(tiny_model) == first
    other = save_tiny_sentence_transformer(tmp_path / "other", layers=1)
    assert fingerprint(other) != first


def test_encoder_returns_unit_float32_rows(tiny_model):
    encoder = SentenceTransformerEncoder("tiny", tiny_model, EncoderConfig(batch_size=2))
    vectors = encoder.encode_documents(["the cat sat", "a dog ran fast", "mat"])
    assert vectors.shape == (3, 32) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(encoder.encode_queries(["the cat sat"])[0], vectors[0], atol=1e-5)
    assert encoder.encode_queries([]).shape == (0, 32)


def test_registry_names(tmp_path, settings):
    assert model_location("teacher", tmp_path) == "all-MiniLM-L6-v2"
    assert model_location("org/model", tmp_path) == "org/model"
    with pytest.raises(ModelNotFoundError, match="distilsearch distill"):
        build_encoder("student", settings)
    assert encoder_slug("student-int8") == "student_int8"
    assert encoder_slug("/models/My.Model") == "my_model"


@pytest.mark.parametrize("bad", [{"batch_size": 0}, {"max_seq_length": 4}])
def test_encoder_config_validates(bad):
    with pytest.raises(ValueError):
        EncoderConfig(**bad)
