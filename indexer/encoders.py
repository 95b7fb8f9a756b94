"""The ``Encoder`` boundary and the registry that builds encoders by name.

Every encoder returns float32 arrays of shape ``(n, dim)`` with L2-normalised rows,
so inner product equals cosine similarity everywhere downstream.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from distill.resolve import MINILM, ModelNotFoundError, fingerprint, resolve_model

if TYPE_CHECKING:
    from indexer.settings import Settings

logger = logging.getLogger(__name__)

#: Registry names and what they resolve to; anything else is a model id or path.
TEACHER = "teacher"
STUDENT = "student"
STUDENT_INT8 = "student-int8"
DEFAULT_TEACHER_MODEL = MINILM


@runtime_checkable
class Encoder(Protocol):
    """Text -> unit vectors."""

    name: str
    dim: int
    fingerprint: str

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32, L2-normalised."""
        ...

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32, L2-normalised."""
        ...


@dataclass(frozen=True)
class EncoderConfig:
    """How a sentence-transformers encoder runs."""

    batch_size: int = 32
    max_seq_length: int = 256
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not 8 <= self.max_seq_length <= 8192:
            raise ValueError(f"max_seq_length must be in [8, 8192], got {self.max_seq_length}")


class SentenceTransformerEncoder:
    """An :class:`Encoder` over a local sentence-transformers directory."""

    def __init__(self, name: str, model_dir: Path, config: EncoderConfig | None = None) -> None:
        from sentence_transformers import SentenceTransformer  # slow import: keep it lazy

        from distill.int8 import is_int8_export

        self.name = name
        self.model_dir = Path(model_dir)
        self.config = config or EncoderConfig()
        # The int8 student's quantizing module is a class of this package (distill.int8_module);
        # sentence-transformers only loads custom module classes with trust_remote_code, and
        # nothing from the model folder itself is executed.
        self._model = SentenceTransformer(
            str(self.model_dir),
            device=self.config.device,
            trust_remote_code=is_int8_export(self.model_dir),
        )
        self._model.max_seq_length = self.config.max_seq_length
        self.dim = int(self._model.get_embedding_dimension())
        self.fingerprint = fingerprint(self.model_dir)
        # torch modules are not re-entrant across threads for inference on CPU
        # (shared buffers in the tokenizer); serialise calls from UI threads.
        self._lock = threading.Lock()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self.config.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def model_location(name: str, models_dir: Path) -> str:
    """Map a registry name to a model id or directory (other names pass through)."""
    if name == TEACHER:
        return DEFAULT_TEACHER_MODEL
    if name in (STUDENT, STUDENT_INT8):
        folder = models_dir / name
        if not folder.is_dir():
            raise ModelNotFoundError(
                f"encoder {name!r} needs a distilled model at {folder}; "
                f"run `distilsearch distill --out {models_dir / STUDENT}` first"
            )
        return str(folder)
    return name


def build_encoder(
    name: str, settings: Settings, config: EncoderConfig | None = None
) -> SentenceTransformerEncoder:
    """Load the encoder registered as ``name`` (``teacher``, ``student``, ...) or by id/path."""
    import torch

    torch.set_num_threads(settings.threads)
    model_dir = resolve_model(model_location(name, settings.models_dir))
    logger.info("loading encoder %s from %s", name, model_dir)
    return SentenceTransformerEncoder(name, model_dir, config)


def encoder_slug(name: str) -> str:
    """A collection-name-safe form of an encoder name: ``student-int8`` -> ``student_int8``."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", Path(name).name if "/" in name else name).strip("_")
    return slug.lower() or "encoder"
