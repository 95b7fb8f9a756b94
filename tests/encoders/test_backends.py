"""ONNX and OpenVINO variants: names, export, loading, closeness to fp32, fingerprints,
pairing. Real (tiny, random) models exported for real; no fakes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from core.settings import load_settings
from encoders import (
    ModelNotFoundError,
    QueryEncoderMismatchError,
    SentenceTransformerEncoder,
    build_encoder,
    check_pairing,
)
from encoders.backend_encoder import BackendEncoder, pool
from encoders.backend_export import export_variants
from encoders.pairing import DISTILL_META
from encoders.registry import VARIANT_NAMES, model_location
from encoders.resolve import fingerprint
from encoders.variants import (
    MARKER,
    VARIANTS,
    read_variant,
    split_variant_name,
    variant_dir,
    variant_name,
)
from tests.support.fakes import save_tiny_sentence_transformer, write_distill_meta
from tests.support.tiny_models import WORDS

TEXTS = [" ".join(WORDS[i % 12 : i % 12 + 3 + i % 5]) for i in range(40)]
#: Measured on these tiny random models: int8 worst row 0.9996 (ONNX dynamic) and 0.9996
#: (OpenVINO static), fp32 graphs equal to 1e-6; on MiniLM layers (0, 3, 5) int8 0.9985.
FP32_COSINE, INT8_COSINE = 0.9999, 0.995


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict:
    """A tiny teacher, a tiny student naming it in distill_meta.json, the student's variants."""
    root = tmp_path_factory.mktemp("backends")
    teacher_dir = save_tiny_sentence_transformer(root / "teacher", layers=2)
    student_dir = save_tiny_sentence_transformer(root / "build", layers=1)
    models = root / "models"
    models.mkdir()
    student_dir = student_dir.rename(models / "student")
    write_distill_meta(student_dir, fingerprint(teacher_dir))
    before = fingerprint.__wrapped__(student_dir)
    folders = export_variants(student_dir, TEXTS, max_seq_length=48)
    return {
        "teacher": SentenceTransformerEncoder("teacher", teacher_dir),
        "student": SentenceTransformerEncoder("student", student_dir),
        "student_fingerprint_before": before,
        "folders": folders,
        "models": models,
    }


def test_variant_names_round_trip() -> None:
    assert variant_name("student", "openvino-int8") == "student-openvino-int8"
    assert split_variant_name("teacher-onnx-int8") == ("teacher", VARIANTS["onnx-int8"])
    assert split_variant_name("student-int8") is None  # the legacy torch.ao folder's name
    assert split_variant_name("student") is None and split_variant_name("my-onnx") is None
    assert variant_dir(Path("models/student"), "onnx") == Path("models/student-onnx")
    assert len(VARIANT_NAMES) == 8 and "teacher-openvino" in VARIANT_NAMES
    with pytest.raises(ValueError, match="unknown backend variant"):
        variant_name("student", "tensorrt")


def test_missing_variant_folder_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="distilsearch distill"):
        model_location("student-onnx", tmp_path)
    with pytest.raises(ModelNotFoundError, match="export_variants"):
        model_location("teacher-openvino-int8", tmp_path)


def test_pooling_matches_sentence_transformers_modes() -> None:
    hidden = np.arange(12, dtype=np.float32).reshape(1, 3, 4) + 1
    mask = np.array([[1, 1, 0]])
    mean = pool(hidden, mask, "mean")[0]
    expected = hidden[0, :2].mean(0)
    assert np.allclose(mean, expected / np.linalg.norm(expected), atol=1e-6)
    assert np.allclose(pool(hidden, mask, "max")[0], pool(hidden[:, 1:2], mask[:, :1], "cls")[0])


def test_each_variant_folder_is_a_sentence_transformers_backend_folder(exported) -> None:
    assert set(exported["folders"]) == set(VARIANTS)
    for suffix, folder in exported["folders"].items():
        variant = VARIANTS[suffix]
        marker = read_variant(folder)
        assert marker["backend"] == variant.backend and (folder / variant.file_name).is_file()
        assert not list(folder.rglob("*.safetensors")), "no PyTorch weights are copied"
        assert (folder / "modules.json").is_file() and (folder / "tokenizer_config.json").is_file()
        assert json.loads((folder / DISTILL_META).read_text()) == json.loads(
            (exported["student"].model_dir / DISTILL_META).read_text()
        )
    assert exported["folders"]["openvino-int8"].joinpath(MARKER).read_text().count("calibration")


def test_variants_encode_close_to_the_fp32_student(exported) -> None:
    reference = exported["student"].encode_documents(TEXTS)  # (n, dim)
    for suffix, folder in exported["folders"].items():
        encoder = BackendEncoder(suffix, folder, threads=1)
        vectors = encoder.encode_documents(TEXTS)
        assert vectors.dtype == np.float32 and vectors.shape == reference.shape
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
        cosine = (vectors * reference).sum(1)
        bound = INT8_COSINE if VARIANTS[suffix].quantization else FP32_COSINE
        assert cosine.min() > bound, (suffix, cosine.min())
        one = encoder.encode_queries([TEXTS[7]])[0]  # alone, unpadded
        if VARIANTS[suffix].quantization:  # dynamic int8 scales activations per batch
            assert one @ vectors[7] > bound
        else:
            assert np.allclose(one, vectors[7], atol=1e-4), "batch 1 = row of a padded batch"
    assert BackendEncoder("x", exported["folders"]["onnx"]).encode_queries([]).shape == (0, 32)


def test_fingerprints_are_stable_distinct_and_leave_the_source_alone(exported) -> None:
    prints = {s: fingerprint.__wrapped__(f) for s, f in exported["folders"].items()}
    assert len(set(prints.values())) == len(prints)
    assert exported["student"].fingerprint not in prints.values()
    assert (
        fingerprint.__wrapped__(exported["student"].model_dir)
        == exported["student_fingerprint_before"]
    )
    again = {s: fingerprint.__wrapped__(f) for s, f in exported["folders"].items()}
    assert again == prints


def test_registry_builds_variants_that_pair_with_the_teacher(exported) -> None:
    settings = load_settings({"DISTILSEARCH_MODELS_DIR": str(exported["models"])})
    for suffix in VARIANTS:
        encoder = build_encoder(variant_name("student", suffix), settings)
        assert isinstance(encoder, BackendEncoder) and encoder.dim == exported["student"].dim
        check_pairing(encoder, exported["teacher"])  # raises if the metadata were lost
    assert isinstance(build_encoder("student", settings), SentenceTransformerEncoder)


def test_teacher_fp32_exports_encode_queries_for_its_student(exported, tmp_path: Path) -> None:
    teacher_dir = exported["teacher"].model_dir
    folders = export_variants(teacher_dir, TEXTS, ("onnx", "onnx-int8"), 48, out_base=tmp_path)
    fp32, int8 = (BackendEncoder(f"teacher-{s}", folders[s]) for s in ("onnx", "onnx-int8"))
    assert fp32.fingerprint != exported["teacher"].fingerprint  # the graph's own files
    assert fp32.source_fingerprint == exported["teacher"].fingerprint
    assert int8.source_fingerprint is None  # int8 computes other numbers: never paired
    student = exported["student"]
    check_pairing(student, fp32)
    with pytest.raises(QueryEncoderMismatchError, match="teacher-onnx-int8"):
        check_pairing(student, int8)
    queries = ["alpha beta", "gamma"]
    same = (fp32.encode_queries(queries) * exported["teacher"].encode_queries(queries)).sum(1)
    assert same.min() > FP32_COSINE


def test_static_int8_needs_calibration_texts(exported, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="calibration"):
        export_variants(exported["student"].model_dir, [], ("openvino-int8",), out_base=tmp_path)
    with pytest.raises(ValueError, match="unknown backend variants"):
        export_variants(exported["student"].model_dir, TEXTS, ("tflite",), out_base=tmp_path)


@pytest.mark.skipif(
    importlib.util.find_spec("optimum") is None,
    reason="sentence-transformers' onnx/openvino backends need Optimum, which is not installed "
    "(its PyPI releases require transformers < 5.6)",
)
@pytest.mark.parametrize("suffix", list(VARIANTS))
def test_sentence_transformers_loads_each_variant(exported, suffix: str) -> None:
    from sentence_transformers import SentenceTransformer

    folder = exported["folders"][suffix]
    model = SentenceTransformer(str(folder), backend=VARIANTS[suffix].backend)
    vectors = model.encode(TEXTS, normalize_embeddings=True)
    reference = exported["student"].encode_documents(TEXTS)
    assert ((vectors * reference).sum(1)).min() > INT8_COSINE
