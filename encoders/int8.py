"""int8 student: what the folder looks like and how its encoder is quantized (import-light).

The folder holds fp16 weights in ``0_Int8Transformer/`` and, in ``modules.json``, the
module type ``encoders.int8_module.Int8Transformer``. On load the encoder is cast to fp32 and
``torch.ao.quantization.quantize_dynamic`` turns its ``nn.Linear`` layers into int8
(weights int8 with one scale per output channel, activations quantized per batch).
Per-channel scales were kept over one scale per tensor for their fidelity to the teacher
(docs/distillation.md). Feed-forward output projections can also stay in fp32 (``skip``),
closer to fp32 for MPNet students.

sentence-transformers >= 6 imports module classes outside its own namespace only with
``trust_remote_code=True``; :func:`is_int8_export` tells a loader when this folder is ours
(the class comes from this installed package; nothing is fetched or read from the folder).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

logger = logging.getLogger(__name__)

CONFIG_NAME = "int8_config.json"
MODULE_DIR = "0_Int8Transformer"
CLASS_REF = "encoders.int8_module.Int8Transformer"
#: What folders exported before the ``encoders`` package name (a shim keeps them loading).
LEGACY_CLASS_REFS = ("distill.int8_module.Int8Transformer",)


def is_int8_export(model_dir: Path) -> bool:
    """True for a folder written by :func:`distill.export.export_int8` (cheap: reads JSON)."""
    modules = Path(model_dir) / "modules.json"
    if not modules.is_file():
        return False
    try:
        known = (CLASS_REF, *LEGACY_CLASS_REFS)
        return any(m.get("type") in known for m in json.loads(modules.read_text()))
    except (json.JSONDecodeError, AttributeError):
        return False


#: Regex for the feed-forward output projections (BERT and MPNet naming).
FFN_OUTPUT = r"layer\.\d+\.output\.dense$"


#: How weight scales are chosen; recorded in each export's ``int8_config.json``.
WEIGHT_SCALES = "per output channel"


def quantize_encoder(encoder, skip: tuple[str, ...] = (), per_channel: bool = True):
    """Dynamic int8 quantization of every ``nn.Linear`` whose name matches no regex in ``skip``.

    Weights get one scale per output channel (row of the ``(out, in)`` weight matrix), or
    one per tensor with ``per_channel=False`` (measured only; never exported).
    """
    import torch
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig

    encoder = encoder.float().eval()
    qconfig = per_channel_dynamic_qconfig if per_channel else default_dynamic_qconfig
    plan = {
        name: qconfig
        for name, module in encoder.named_modules()
        if isinstance(module, torch.nn.Linear) and not any(re.search(p, name) for p in skip)
    }
    return torch.ao.quantization.quantize_dynamic(encoder, plan, dtype=torch.qint8)
