"""``distilsearch export``: the teacher's (here a tiny model's) int8 encoders, calibrated on
the user's passages, usable by name or folder; a stale export is refused with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from core.settings import load_settings
from encoders import build_encoder
from encoders.registry import StaleExportError
from shell.cli import EXIT_ERROR, EXIT_OK, main
from tests.support.fakes import save_tiny_sentence_transformer
from tests.support.tiny_models import tiny_corpus


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch) -> dict[str, Path]:
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DISTILSEARCH_MODELS_DIR", str(tmp_path / "models"))
    return {
        "model": save_tiny_sentence_transformer(tmp_path / "model" / "mini", layers=2),
        "corpus": tiny_corpus(tmp_path / "docs" / "corpus.jsonl", docs=30),
    }


def test_int8_variants_are_exported_and_load_as_encoders(tiny, capsys) -> None:
    argv = ["export", "--model", str(tiny["model"]), "--data", str(tiny["corpus"])]
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    settings = load_settings()
    for suffix in ("onnx-int8", "openvino-int8"):
        folder = tiny["model"].with_name(f"{tiny['model'].name}-{suffix}")
        assert f"{suffix}: {folder}" in out and "distilsearch index PATH --encoder" in out
        vectors = build_encoder(str(folder), settings).encode_documents(["alpha beta"])
        assert vectors.shape == (1, 32)
        assert abs(float((vectors**2).sum()) - 1.0) < 1e-4


def test_static_int8_without_passages_is_one_clear_line(tiny, capsys) -> None:
    argv = ["export", "--model", str(tiny["model"]), "--backends", "openvino-int8"]
    assert main(argv) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "calibrated on your own passages: give --data" in err and "Traceback" not in err


def test_an_export_of_weights_that_changed_since_is_refused_with_the_fix(tiny, capsys) -> None:
    argv = ["export", "--model", str(tiny["model"]), "--backends", "onnx"]
    assert main(argv) == EXIT_OK
    folder = tiny["model"].with_name(f"{tiny['model'].name}-onnx")
    settings = load_settings()
    build_encoder(str(folder), settings)  # fresh: loads
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(tiny["model"]))
    with torch.no_grad():
        model.embeddings.word_embeddings.weight.add_(0.5)
    model.save_pretrained(str(tiny["model"]))  # the source is retrained
    with pytest.raises(StaleExportError, match="distilsearch export --model"):
        build_encoder(str(folder), settings)
    argv = ["index", str(tiny["corpus"].parent), "--encoder", str(folder)]
    assert main(argv) == EXIT_ERROR
    assert "weights changed since" in capsys.readouterr().err
