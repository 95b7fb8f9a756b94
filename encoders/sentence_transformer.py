"""An :class:`~encoders.protocol.Encoder` over a local sentence-transformers folder."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from encoders.int8 import is_int8_export
from encoders.protocol import EncoderConfig
from encoders.resolve import fingerprint

#: Short texts of a few lengths, encoded once at load (see ``warm_up``).
WARM_UP_TEXTS = ("warm up", "a short query to warm the encoder up", "why")


class SentenceTransformerEncoder:
    """An :class:`Encoder` over a local sentence-transformers directory."""

    def __init__(self, name: str, model_dir: Path, config: EncoderConfig | None = None) -> None:
        from sentence_transformers import SentenceTransformer  # slow import: keep it lazy

        self.name = name
        self.model_dir = Path(model_dir)
        self.config = config or EncoderConfig()
        # The int8 student's quantizing module is a class of this package (encoders.int8_module);
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
        self.warm_up()

    def warm_up(self) -> None:
        """Encode a few short texts once, so the first real query does not pay for lazy
        set-up (the first calls after loading are several times slower than warm ones)."""
        for text in WARM_UP_TEXTS:
            self._encode([text])

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
