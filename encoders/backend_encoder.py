"""An :class:`~encoders.protocol.Encoder` over an ONNX or OpenVINO variant folder.

It runs the folder's graph directly with ONNX Runtime or the OpenVINO runtime, with the
folder's own tokenizer and pooling (``1_Pooling/config.json``), then L2-normalises:
what ``SentenceTransformer(folder, backend=...)`` computes, without Optimum (whose
releases on PyPI here need an older ``transformers`` than the project's) and without
``trust_remote_code``. Texts are batched longest first, as sentence-transformers does, so
a batch pads to lengths close to its own.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import numpy as np

from encoders.protocol import EncoderConfig
from encoders.resolve import fingerprint
from encoders.variants import fp32_source, read_variant

logger = logging.getLogger(__name__)

POOLING_MODES = ("mean", "cls", "max")


def pooling_mode(model_dir: Path) -> str:
    """``mean``, ``cls`` or ``max`` from the folder's ``1_Pooling/config.json`` (mean if none)."""
    modules = Path(model_dir) / "modules.json"
    entries = json.loads(modules.read_text()) if modules.is_file() else []
    for entry in entries:
        if str(entry.get("type", "")).endswith("Pooling"):
            config = json.loads((Path(model_dir) / entry["path"] / "config.json").read_text())
            if config.get("pooling_mode") in POOLING_MODES:  # sentence-transformers >= 6
                return str(config["pooling_mode"])
            for mode in POOLING_MODES:  # older folders: one flag per mode
                key = "pooling_mode_cls_token" if mode == "cls" else f"pooling_mode_{mode}_tokens"
                if config.get(key):
                    return mode
            raise ValueError(f"{model_dir}: pooling {config} is not one of {POOLING_MODES}")
    return "mean"


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """``(b, l, d)`` hidden states, ``(b, l)`` mask -> ``(b, d)`` unit vectors."""
    if mode == "cls":
        pooled = hidden[:, 0]
    elif mode == "max":
        pooled = np.where(mask[..., None] > 0, hidden, -np.inf).max(axis=1)
    else:
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class OnnxRunner:
    """ONNX Runtime session on CPU: feed -> last hidden state ``(b, l, d)``."""

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def __call__(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]


class OpenVinoRunner:
    """OpenVINO compiled model on CPU, fp32 inference precision: feed -> ``(b, l, d)``."""

    def __init__(self, path: Path, threads: int) -> None:
        import openvino as ov

        compiled = ov.Core().compile_model(
            str(path),
            "CPU",
            {
                "INFERENCE_NUM_THREADS": threads,
                "NUM_STREAMS": 1,
                "PERFORMANCE_HINT": "LATENCY",
                "INFERENCE_PRECISION_HINT": "f32",  # no silent bf16 on CPUs that have it
            },
        )
        self.inputs = {port.get_any_name() for port in compiled.inputs}
        self.request = compiled.create_infer_request()

    def __call__(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        self.request.infer({k: v for k, v in feed.items() if k in self.inputs})
        return np.array(self.request.get_output_tensor(0).data, copy=True)


class BackendEncoder:
    """An :class:`Encoder` over a variant folder (see :mod:`encoders.variants`).

    CPU only (``config.device`` is not used); ``threads`` intra-op threads for the runtime.
    """

    def __init__(
        self, name: str, model_dir: Path, config: EncoderConfig | None = None, threads: int = 1
    ) -> None:
        from transformers import AutoTokenizer

        self.name = name
        self.model_dir = Path(model_dir)
        self.config = config or EncoderConfig()
        marker = read_variant(self.model_dir)
        if marker is None:
            raise ValueError(f"{self.model_dir} is not an ONNX or OpenVINO variant folder")
        self.backend = str(marker["backend"])
        runner = OnnxRunner if self.backend == "onnx" else OpenVinoRunner
        self._run = runner(self.model_dir / marker["file_name"], threads)
        self._tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir))
        self._pooling = pooling_mode(self.model_dir)
        self._lock = threading.Lock()  # one infer request / session call at a time
        self.dim = int(self._encode_batch(["warm-up"]).shape[1])  # also the first-call cost
        self.fingerprint = fingerprint(self.model_dir)
        #: for an fp32 variant, the fingerprint of the weights it was exported from
        self.source_fingerprint = fp32_source(marker)
        logger.info("%s: %s backend, %s pooling", name, self.backend, self._pooling)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        size = self.config.batch_size
        with self._lock:
            for start in range(0, len(texts), size):
                rows = order[start : start + size]
                out[rows] = self._encode_batch([texts[i] for i in rows])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        """One batch, padded to its longest text: ``(len(texts), dim)`` unit vectors."""
        batch = self._tokenizer(
            texts,
            truncation=True,
            max_length=self.config.max_seq_length,
            padding=True,
            return_tensors="np",
        )
        feed = {k: np.asarray(v, dtype=np.int64) for k, v in batch.items()}
        return pool(self._run(feed), feed["attention_mask"], self._pooling)
