"""The systems on the speed-quality frontier of one data set, and where their models live.

A system is a document encoder and a query encoder: the teacher (PyTorch fp32) and its
exports, students of several depths as the product exports them (fp32, ONNX Runtime int8,
OpenVINO int8) each with its own queries and with the teacher's, model2vec distilled from
the teacher, and BM25. Models live under ``benchmarks/.cache/frontier/<set>/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from harness.scoring import CACHE

FRONTIER = CACHE / "frontier"
STUDENT_VARIANTS = ("fp32", "onnx-int8", "openvino-int8")
TEACHER_VARIANTS = ("onnx", "onnx-int8", "openvino-int8")
MODEL2VEC_DIR = FRONTIER / "model2vec"


@dataclass(frozen=True)
class System:
    """``documents`` and ``queries`` name model folders, ``teacher``, ``model2vec`` or
    ``bm25``; ``kind`` groups systems on the plot."""

    name: str
    documents: str
    queries: str
    kind: str
    depth: int | None = None
    variant: str = "fp32"

    @property
    def teacher_queries(self) -> bool:
        return self.queries == "teacher" and self.documents != "teacher"


def set_dir(name: str) -> Path:
    return FRONTIER / name


def student_dir(name: str, depth: int, variant: str = "fp32") -> Path:
    base = set_dir(name) / f"student-d{depth}"
    return base if variant == "fp32" else base.with_name(f"{base.name}-{variant}")


def teacher_variant_dir(name: str, variant: str) -> Path:
    return set_dir(name) / f"teacher-{variant}"


def systems(name: str, depths: list[int]) -> list[System]:
    """Every system of set ``name`` whose models are on disk (BM25 always)."""
    out = [System("teacher", "teacher", "teacher", "teacher")]
    for variant in TEACHER_VARIANTS:
        folder = teacher_variant_dir(name, variant)
        if folder.is_dir():
            out.append(
                System(f"teacher-{variant}", str(folder), str(folder), "teacher", None, variant)
            )
    for depth in depths:
        for variant in STUDENT_VARIANTS:
            folder = student_dir(name, depth, variant)
            if not folder.is_dir():
                continue
            label = f"student-d{depth}" + ("" if variant == "fp32" else f"-{variant}")
            out.append(System(label, str(folder), str(folder), "student", depth, variant))
            out.append(
                System(
                    f"{label} + teacher queries", str(folder), "teacher", "student", depth, variant
                )
            )
    if MODEL2VEC_DIR.is_dir():
        out.append(System("model2vec", "model2vec", "model2vec", "model2vec"))
    out.append(System("bm25", "bm25", "bm25", "bm25"))
    return out


class Model2VecEncoder:
    """A model2vec static model as an :class:`encoders.Encoder` (unit-length rows)."""

    def __init__(self, folder: Path = MODEL2VEC_DIR) -> None:
        from model2vec import StaticModel

        from encoders import fingerprint

        self.model = StaticModel.from_pretrained(str(folder))
        self.name = "model2vec"
        self.fingerprint = fingerprint(folder)
        self.dim = int(self.model.dim)

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self.model.encode(texts, max_length=256), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)
