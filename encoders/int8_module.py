"""The sentence-transformers module of an int8 student (see :mod:`encoders.int8`)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sentence_transformers.base.modules.transformer import Transformer

from encoders.int8 import CONFIG_NAME, quantize_encoder

logger = logging.getLogger(__name__)


class Int8Transformer(Transformer):
    """A :class:`Transformer` whose model is dynamically quantized to int8 after loading."""

    @classmethod
    def load(cls, model_name_or_path: str, subfolder: str = "", **kwargs):  # type: ignore[override]
        module = super().load(model_name_or_path, subfolder=subfolder, **kwargs)
        folder = Path(model_name_or_path) / subfolder
        settings = {}
        if (folder / CONFIG_NAME).is_file():
            settings = json.loads((folder / CONFIG_NAME).read_text())
        skip = tuple(settings.get("skip", ()))
        module.model = quantize_encoder(module.model, skip)
        logger.info("int8: quantized %s (kept in fp32: %s)", folder, skip or "nothing")
        return module

    def save(self, output_path: str, *args, **kwargs) -> None:
        raise NotImplementedError("an int8 module is written by distill.export.export_int8")
