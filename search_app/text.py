"""Sentences of retrieved text, and which of them best match a query (no Streamlit here)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexer.encoders import Encoder

_BLOCKS = re.compile(r"\n\s*\n")
#: Decoration: reST/Markdown rules and title under/overlines (``=====``, ``----``), also
#: where the partitioner joined them into the title's line.
_RULE = re.compile(r"^[ \t]*([=\-~^*#+_`.:'\"])\1{2,}[ \t]*$|([=\-~^#+_])\2{3,}", re.MULTILINE)
#: A sentence ends at . ! or ? followed by space and something that starts a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[`*]?[A-Z0-9])")
MAX_SENTENCES_PER_TEXT = 60
MAX_SENTENCE_CHARS = 600


def collapse_whitespace(text: str) -> str:
    """``text`` with every run of whitespace replaced by one space, stripped."""
    return " ".join(text.split())


def split_sentences(text: str, limit: int = MAX_SENTENCES_PER_TEXT) -> list[str]:
    """At most ``limit`` sentences of ``text``, whitespace collapsed, in order.

    Blank lines end a sentence (titles, list items), decoration-only lines are dropped,
    and overlong runs without punctuation (code) are cut at ``MAX_SENTENCE_CHARS``.
    """
    sentences: list[str] = []
    for block in _BLOCKS.split(_RULE.sub("", text)):
        for piece in _SENTENCE_END.split(collapse_whitespace(block)):
            while piece:
                sentences.append(piece[:MAX_SENTENCE_CHARS])
                piece = piece[MAX_SENTENCE_CHARS:].lstrip()
                if len(sentences) >= limit:
                    return sentences
    return sentences


@dataclass(frozen=True)
class Highlight:
    """A text as sentences with their query similarity; ``best`` indexes the top ones."""

    sentences: tuple[str, ...]
    scores: tuple[float, ...]
    best: frozenset[int]


def highlight_texts(
    query: str, texts: Sequence[str], encoder: Encoder, per_text: int = 2, relative: float = 0.75
) -> list[Highlight]:
    """Split each text into sentences and mark its ``per_text`` most query-like ones.

    Similarity is the cosine under ``encoder`` (one batch for all sentences). Marked
    sentences score above 0 and at least ``relative`` × the text's best score. A text
    with a single sentence gets nothing marked: emphasising all of it says nothing.
    """
    split = [split_sentences(text) for text in texts]
    flat = [s for sentences in split for s in sentences]
    if not flat:
        return [Highlight((), (), frozenset()) for _ in texts]
    query_vec = encoder.encode_queries([query])[0]  # (dim,)
    scores = encoder.encode_documents(flat) @ query_vec  # (n_sentences,)
    out, start = [], 0
    for sentences in split:
        own = np.asarray(scores[start : start + len(sentences)], dtype=np.float64)
        start += len(sentences)
        best: frozenset[int] = frozenset()
        if len(sentences) > 1 and own.max() > 0:
            floor = relative * own.max()
            top = np.argsort(-own, kind="stable")[:per_text]
            best = frozenset(int(i) for i in top if own[i] >= floor)
        out.append(Highlight(tuple(sentences), tuple(float(s) for s in own), best))
    return out
