"""How close each sentence of a hit is to the query: the scorers the highlighter uses.

* :class:`StaticScorer` (the default for highlighting): a sentence is the mean of its
  tokens' rows in the encoder's own input word-embedding table (no transformer pass),
  stop words and punctuation left out; the score is its cosine with the query's mean
  row, plus a small bonus per query term the sentence contains (the keyword analyzer's
  terms). Tokenizing and averaging a page of sentences is a few array operations.
* :class:`EncoderScorer`: every sentence through the full encoder (what highlighting did
  before; the highlighting benchmark compares the two, see ``docs/results/README.md``).
* :class:`ShortlistScorer`: the full encoder on the sentences the static scorer ranks
  highest (the Ask page's extractive answer).

:func:`static_scorer_for` reads the table from the first of the given encoders' folders
that has one (``model.safetensors``, or the ONNX graph's initializer); None when none
has, and the caller falls back to the encoder.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from encoders import Encoder
from encoders.pairing import model_dir_of
from indexer.stores.bm25 import analyze

logger = logging.getLogger(__name__)

#: Score added per query term a sentence contains, as a share of the query's terms.
TERM_BONUS = 0.3
_TABLE_SUFFIX = "word_embeddings.weight"


@runtime_checkable
class SentenceScorer(Protocol):
    """Query + sentences -> one similarity per sentence (higher: closer)."""

    name: str

    def score(self, query: str, sentences: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class EncoderScorer:
    """Cosine under ``encoder``: the query encoded once, the sentences in one batch."""

    encoder: Encoder

    @property
    def name(self) -> str:
        return self.encoder.name

    def score(self, query: str, sentences: Sequence[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0)
        query_vec = self.encoder.encode_queries([query])[0]  # (dim,)
        return self.encoder.encode_documents(list(sentences)) @ query_vec  # (n,)


@dataclass(frozen=True)
class ShortlistScorer:
    """``full`` on the ``keep`` sentences ``fast`` ranks highest; every other sentence
    scores -1, below any cosine (the Ask page: the encoder's judgement where it matters,
    at a bounded cost)."""

    fast: SentenceScorer
    full: SentenceScorer
    keep: int = 16

    @property
    def name(self) -> str:
        return f"{self.full.name} on the {self.keep} best by {self.fast.name}"

    def score(self, query: str, sentences: Sequence[str]) -> np.ndarray:
        if len(sentences) <= self.keep:
            return self.full.score(query, sentences)
        rough = self.fast.score(query, sentences)
        top = np.argsort(-rough, kind="stable")[: self.keep]
        out = np.full(len(sentences), -1.0)
        out[top] = self.full.score(query, [sentences[i] for i in top])
        return out


class StaticScorer:
    """Mean input word vectors of the content tokens, cosine with the query's, plus a
    bonus for the query's terms (see the module docstring)."""

    def __init__(self, name: str, tokenizer: object, table: np.ndarray) -> None:
        self.name = f"static word vectors of {name}"
        self._tokenizer = tokenizer
        self._table = table.astype(np.float32, copy=False)  # (vocab, dim)
        self._skip = _skipped_ids(tokenizer, table.shape[0])  # (vocab,) bool

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """``(n, dim)`` unit mean vectors of each text's content tokens (zero if none)."""
        encoded = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)  # type: ignore[attr-defined]
        out = np.zeros((len(texts), self._table.shape[1]), dtype=np.float32)
        for row, item in enumerate(encoded):
            ids = np.asarray(item.ids, dtype=np.int64)
            ids = ids[(ids < len(self._skip)) & ~self._skip[np.minimum(ids, len(self._skip) - 1)]]
            if ids.size:
                out[row] = self._table[ids].mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def score(self, query: str, sentences: Sequence[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0)
        vectors = self.vectors([query, *sentences])
        cosine = vectors[1:] @ vectors[0]  # (n,)
        terms = set(analyze(query))
        if not terms:
            return cosine
        shares = [len(terms.intersection(analyze(s))) / len(terms) for s in sentences]
        return cosine + TERM_BONUS * np.asarray(shares, dtype=np.float32)


def _skipped_ids(tokenizer: object, vocab: int) -> np.ndarray:
    """Token ids left out of the mean: special tokens, punctuation, stop words."""
    skip = np.zeros(vocab, dtype=bool)
    for token, index in tokenizer.get_vocab(with_added_tokens=True).items():  # type: ignore[attr-defined]
        if index >= vocab:
            continue
        word = token.removeprefix("##")
        special = token.startswith("[") and token.endswith("]")
        skip[index] = special or not any(ch.isalnum() for ch in word) or not analyze(word)
    return skip


_CACHE: dict[Path, StaticScorer | None] = {}
_LOCK = threading.Lock()


def static_scorer_for(*encoders: Encoder) -> StaticScorer | None:
    """A :class:`StaticScorer` from the first encoder folder with a word-embedding table
    and a ``tokenizer.json`` (loaded once per folder); None when none has."""
    for encoder in encoders:
        folder = model_dir_of(encoder)
        if folder is None:
            continue
        with _LOCK:
            if folder not in _CACHE:
                _CACHE[folder] = _load(encoder.name, folder)
            scorer = _CACHE[folder]
        if scorer is not None:
            return scorer
    return None


def _load(name: str, folder: Path) -> StaticScorer | None:
    from tokenizers import Tokenizer

    if not (folder / "tokenizer.json").is_file():
        return None
    try:
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        table = _safetensors_table(folder)
        if table is None:
            table = _onnx_table(folder, tokenizer.get_vocab_size())
        return None if table is None else StaticScorer(name, tokenizer, table)
    except Exception as exc:  # a folder we cannot read: highlight with the encoder instead
        logger.info("no static word vectors in %s: %s", folder, exc)
        return None


def _safetensors_table(folder: Path) -> np.ndarray | None:
    from safetensors import safe_open

    for path in sorted(folder.glob("*.safetensors")):
        with safe_open(str(path), framework="np") as handle:
            for key in handle.keys():  # noqa: SIM118 (a safetensors handle, not a dict)
                if key.endswith(_TABLE_SUFFIX):
                    return handle.get_tensor(key)
    return None


def _onnx_table(folder: Path, vocab: int) -> np.ndarray | None:
    """The graph's word-embedding initializer: by name, else the one 2-D initializer with
    a row per token (an export may rename it)."""
    graphs = sorted(folder.glob("**/*.onnx"))
    if not graphs:
        return None
    import onnx
    from onnx import numpy_helper

    initializers = onnx.load(str(graphs[0])).graph.initializer
    named = [t for t in initializers if t.name.endswith(_TABLE_SUFFIX)]
    shaped = [t for t in initializers if len(t.dims) == 2 and t.dims[0] == vocab]
    chosen = named or shaped
    return numpy_helper.to_array(chosen[0]) if chosen else None


def highlight_scorer(queries: Encoder, documents: Encoder, exact: bool = False) -> SentenceScorer:
    """What highlights a page: static word vectors of ``queries`` (else of
    ``documents``); the ``queries`` encoder itself with ``exact``, or when neither folder
    has a word-embedding table."""
    fast = None if exact else static_scorer_for(queries, documents)
    return fast or EncoderScorer(queries)


def answer_scorer(queries: Encoder, documents: Encoder) -> SentenceScorer:
    """What scores the extractive answer's sentences: the ``queries`` encoder on the
    static scorer's shortlist (:class:`ShortlistScorer`), or on every sentence when there
    is no static scorer."""
    fast = static_scorer_for(queries, documents)
    full = EncoderScorer(queries)
    return ShortlistScorer(fast, full) if fast is not None else full
