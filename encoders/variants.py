"""Backend variants of an encoder: ONNX and OpenVINO folders, fp32 and int8 (import-light).

A variant is a folder of its own next to the model it came from (``models/student`` ->
``models/student-openvino-int8``), laid out as sentence-transformers lays out its
backends, so ``SentenceTransformer(folder, backend=variant.backend)`` loads it wherever
Optimum is installed: the configs, tokenizer and pooling of the source folder, its
``distill_meta.json`` (so teacher-query pairing holds for every variant of a paired
student), the graph at the backend's default file name (``onnx/model.onnx`` or
``openvino/openvino_model.xml`` + ``.bin``), and :data:`MARKER` saying what it is. No
PyTorch weights are copied, so the folder's fingerprint is the graph's.

Variants:

* ``onnx``: the encoder exported by ``torch.onnx`` (ids, mask -> last hidden state), fp32;
* ``onnx-int8``: ONNX Runtime dynamic int8 of that graph (int8 weights with one scale per
  output channel, activations quantized per batch), no calibration;
* ``openvino``: the ONNX graph converted by OpenVINO, fp32 weights, fp32 inference;
* ``openvino-int8``: NNCF post-training static int8 of the OpenVINO graph, activation
  ranges calibrated on a sample of the user's own documents (``model_type=TRANSFORMER``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

#: The file in a variant folder that names its backend, graph file and quantization.
MARKER = "distilsearch_backend.json"
#: The marker's key for the weight fingerprint of the folder the variant was exported from.
SOURCE_FINGERPRINT = "source_fingerprint"


@dataclass(frozen=True)
class Variant:
    """One backend variant: registry suffix, sentence-transformers backend, graph file."""

    suffix: str
    backend: str
    file_name: str
    quantization: str  # "" for fp32


VARIANTS: dict[str, Variant] = {
    v.suffix: v
    for v in (
        Variant("onnx", "onnx", "onnx/model.onnx", ""),
        Variant("onnx-int8", "onnx", "onnx/model.onnx", "dynamic int8 (ONNX Runtime)"),
        Variant("openvino", "openvino", "openvino/openvino_model.xml", ""),
        Variant(
            "openvino-int8",
            "openvino",
            "openvino/openvino_model.xml",
            "static int8 (NNCF, calibrated on the user's passages)",
        ),
    )
}

#: Suffixes of the variants that keep fp32 weights (their graphs compute the source's vectors).
FP32_SUFFIXES = tuple(s for s, v in VARIANTS.items() if not v.quantization)

#: The registry bases that variants hang off: ``student-onnx``, ``teacher-openvino-int8``...
BASES = ("student", "teacher")


def variant_name(base: str, suffix: str) -> str:
    """``("student", "openvino-int8")`` -> ``student-openvino-int8`` (a registry name)."""
    if suffix not in VARIANTS:
        raise ValueError(f"unknown backend variant {suffix!r}; known: {', '.join(VARIANTS)}")
    return f"{base}-{suffix}"


def split_variant_name(name: str) -> tuple[str, Variant] | None:
    """``student-onnx-int8`` -> ``("student", VARIANTS["onnx-int8"])``; None for other names."""
    for base in BASES:
        suffix = name.removeprefix(f"{base}-")
        if suffix != name and suffix in VARIANTS:
            return base, VARIANTS[suffix]
    return None


def variant_dir(source_dir: Path, suffix: str) -> Path:
    """Where the ``suffix`` variant of the model at ``source_dir`` goes: a sibling folder."""
    variant_name("x", suffix)  # validates
    return Path(source_dir).with_name(f"{Path(source_dir).name}-{suffix}")


def read_variant(model_dir: Path) -> dict | None:
    """The marker of a variant folder (backend, file_name, quantization...), else None."""
    path = Path(model_dir) / MARKER
    if not path.is_file():
        return None
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    if not isinstance(marker, dict) or marker.get("backend") not in ("onnx", "openvino"):
        raise ValueError(f"{path}: 'backend' must be 'onnx' or 'openvino'")
    if not (Path(model_dir) / str(marker.get("file_name", ""))).is_file():
        raise ValueError(f"{path}: its 'file_name' {marker.get('file_name')!r} is missing")
    return marker


def fp32_source(marker: dict) -> str | None:
    """The source fingerprint of an fp32 variant (its graph computes the source's numbers,
    up to float rounding); None for an int8 variant or a marker written before the key."""
    if marker.get("variant") not in FP32_SUFFIXES:
        return None
    value = marker.get(SOURCE_FINGERPRINT)
    return value if isinstance(value, str) and value else None


def is_backend_variant(model_dir: Path) -> bool:
    """True for a folder written by :func:`encoders.backend_export.export_variant`."""
    return (Path(model_dir) / MARKER).is_file()
