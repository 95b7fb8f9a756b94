"""Write the ONNX and OpenVINO variants of a sentence-transformers folder.

:func:`export_variants` turns a model folder (the fp32 student, or the teacher) into the
sibling folders of :mod:`encoders.variants`. The graph is exported once by ``torch.onnx``
(inputs ``input_ids``, ``attention_mask``; output ``last_hidden_state``, the names
Optimum uses), then quantized by ONNX Runtime (dynamic int8), converted by OpenVINO
(fp32), and quantized by NNCF (static int8, calibrated on ``calibration_texts``: the
user's own passages, one unpadded text per sample so padding never widens a range).
Each folder is built in a staging folder and moved into place whole.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from encoders.resolve import fingerprint
from encoders.variants import MARKER, SOURCE_FINGERPRINT, VARIANTS, variant_dir

logger = logging.getLogger(__name__)

#: Files of a model folder that a variant does not copy (weights and other graphs).
SKIPPED_SUFFIXES = (".safetensors", ".bin", ".pt", ".onnx", ".xml")
SKIPPED_DIRS = ("onnx", "openvino", "0_Int8Transformer")
#: How many passages calibrate static int8 (NNCF's default subset is 300).
CALIBRATION_SAMPLES = 300
ONNX_OPSET = 17


def export_variants(
    source_dir: Path,
    calibration_texts: Sequence[str],
    suffixes: Sequence[str] = tuple(VARIANTS),
    max_seq_length: int = 256,
    seed: int = 0,
    out_base: Path | None = None,
) -> dict[str, Path]:
    """Export every variant in ``suffixes`` of the model at ``source_dir``; suffix -> folder.

    Folders go next to ``out_base`` (default ``source_dir``): ``models/teacher`` ->
    ``models/teacher-onnx``... ``calibration_texts`` is needed only for ``openvino-int8``
    (a seeded sample of :data:`CALIBRATION_SAMPLES` is used).
    """
    source_dir = Path(source_dir)
    out_base = Path(out_base) if out_base is not None else source_dir
    unknown = [s for s in suffixes if s not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown backend variants {unknown}; known: {', '.join(VARIANTS)}")
    if "openvino-int8" in suffixes and not calibration_texts:
        raise ValueError("static int8 (openvino-int8) needs calibration texts")
    out: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="distilsearch-export-") as scratch:
        graphs = {"onnx": export_onnx(source_dir, Path(scratch) / "model.onnx")}
        if any(s.startswith("openvino") for s in suffixes):
            graphs["openvino"] = convert_openvino(
                graphs["onnx"], Path(scratch) / "openvino_model.xml"
            )
        for suffix in suffixes:
            sample = _sample(calibration_texts, seed) if suffix == "openvino-int8" else []
            details = {"calibration_passages": len(sample)} if sample else {}
            write = partial(_write_graph, suffix, graphs, source_dir, sample, max_seq_length)
            target = variant_dir(out_base, suffix)
            out[suffix] = write_variant_folder(source_dir, target, suffix, write, details)
    return out


def _write_graph(
    suffix: str,
    graphs: dict[str, Path],
    source_dir: Path,
    sample: list[str],
    max_seq_length: int,
    target: Path,
) -> None:
    """Write the ``suffix`` variant's graph at ``target`` from the fp32 ``graphs``."""
    if suffix == "onnx":
        shutil.copy2(graphs["onnx"], target)
    elif suffix == "onnx-int8":
        quantize_onnx_dynamic(graphs["onnx"], target)
    elif suffix == "openvino":
        save_openvino(graphs["openvino"], target)
    else:
        quantize_openvino_static(graphs["openvino"], target, source_dir, sample, max_seq_length)


def _sample(texts: Sequence[str], seed: int) -> list[str]:
    texts = [t for t in texts if t.strip()]
    if len(texts) <= CALIBRATION_SAMPLES:
        return texts
    return random.Random(seed).sample(texts, CALIBRATION_SAMPLES)


def write_variant_folder(source_dir: Path, out: Path, suffix: str, write, details: dict) -> Path:
    """Copy ``source_dir``'s configs, tokenizer and metadata to ``out``, ``write(graph_path)``
    there, and mark it as the ``suffix`` variant."""
    variant = VARIANTS[suffix]
    staging = out.with_name(f".{out.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(
        source_dir,
        staging,
        ignore=lambda folder, names: [
            n
            for n in names
            if n.endswith(SKIPPED_SUFFIXES) or (Path(folder) == source_dir and n in SKIPPED_DIRS)
        ],
    )
    graph = staging / variant.file_name
    graph.parent.mkdir(parents=True, exist_ok=True)
    write(graph)
    marker = {
        "backend": variant.backend,
        "file_name": variant.file_name,
        "variant": suffix,
        "quantization": variant.quantization or "none (fp32)",
        "source": str(source_dir),
        SOURCE_FINGERPRINT: fingerprint(source_dir),
        **details,
    }
    (staging / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    logger.info("exported %s variant to %s", suffix, out)
    return out


def export_onnx(source_dir: Path, target: Path) -> Path:
    """The folder's transformer as ONNX: (ids, mask) -> last hidden state, fp32."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    encoder = AutoModel.from_pretrained(str(source_dir), attn_implementation="eager").eval()

    class HiddenStates(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask):
            return self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]

    tokenizer = AutoTokenizer.from_pretrained(str(source_dir))
    dummy = tokenizer(["a short text", "a longer text, padded"], padding=True, return_tensors="pt")
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            HiddenStates().eval(),
            (dummy["input_ids"], dummy["attention_mask"]),
            str(target),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    return target


def quantize_onnx_dynamic(fp32_onnx: Path, target: Path) -> Path:
    """ONNX Runtime dynamic int8: int8 weights per output channel, activations per batch."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32_onnx), str(target), weight_type=QuantType.QInt8, per_channel=True)
    return target


def convert_openvino(fp32_onnx: Path, target: Path) -> Path:
    """OpenVINO IR (``.xml`` + ``.bin``) of the ONNX graph, weights kept in fp32."""
    import openvino as ov

    ov.save_model(ov.convert_model(str(fp32_onnx)), str(target), compress_to_fp16=False)
    return target


def save_openvino(fp32_xml: Path, target: Path) -> None:
    """Copy an IR pair (``.xml`` and its ``.bin``) to ``target``."""
    shutil.copy2(fp32_xml, target)
    shutil.copy2(Path(fp32_xml).with_suffix(".bin"), Path(target).with_suffix(".bin"))


def quantize_openvino_static(
    fp32_xml: Path, target: Path, tokenizer_dir: Path, texts: list[str], max_seq_length: int
) -> Path:
    """NNCF post-training int8 (transformer preset) calibrated on ``texts``, one per sample."""
    import nncf
    import numpy as np
    import openvino as ov
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    inputs = {port.get_any_name() for port in ov.Core().read_model(str(fp32_xml)).inputs}

    def sample(text: str) -> dict[str, np.ndarray]:
        batch = tokenizer([text], truncation=True, max_length=max_seq_length, return_tensors="np")
        return {k: np.asarray(v, dtype=np.int64) for k, v in batch.items() if k in inputs}

    quantized = nncf.quantize(
        ov.Core().read_model(str(fp32_xml)),
        nncf.Dataset([sample(t) for t in texts]),
        model_type=nncf.ModelType.TRANSFORMER,
        subset_size=len(texts),
    )
    ov.save_model(quantized, str(target), compress_to_fp16=False)
    return target
