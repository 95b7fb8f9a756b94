"""Test doubles: a keyword encoder whose scores can be computed by hand, a tiny BERT."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np


class KeywordEncoder:
    """Vector = L2-normalised counts of each vocabulary word in the text.

    With vocabulary ``["cat", "dog"]``, ``"cat cat dog"`` -> ``[2, 1] / sqrt(5)``. Texts
    with no vocabulary word map to the zero vector (score 0 against everything).
    Equal vocabularies give equal vectors and fingerprints, whatever the name.
    """

    def __init__(
        self, vocabulary: list[str], name: str = "keyword", model_dir: Path | None = None
    ) -> None:
        self.vocabulary = [w.lower() for w in vocabulary]
        self.name = name
        #: Set to pair it with a teacher: a folder holding ``write_distill_meta``'s file.
        self.model_dir = model_dir
        self.dim = len(self.vocabulary)
        self.fingerprint = hashlib.sha256("|".join(self.vocabulary).encode()).hexdigest()[:16]
        self.calls: list[int] = []

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"[a-z0-9]+", text.lower())
            for col, word in enumerate(self.vocabulary):
                out[row, col] = words.count(word)
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)


def save_tiny_sentence_transformer(folder: Path, layers: int = 2, hidden: int = 32) -> Path:
    """A random tiny BERT saved as a sentence-transformers folder (``tiny_models``)."""
    from tests.support.tiny_models import tiny_teacher

    return tiny_teacher(folder, layers=layers, hidden=hidden)


def write_distill_meta(folder: Path, teacher_fingerprint: str | None) -> Path:
    """``folder/distill_meta.json`` as an export writes it, naming ``teacher_fingerprint``
    (None: metadata without one); returns ``folder``."""
    import json

    from encoders.pairing import DISTILL_META, TEACHER_FINGERPRINT

    folder.mkdir(parents=True, exist_ok=True)
    meta = {"teacher": "all-MiniLM-L6-v2", "layer_map": [0, 3, 5]}
    if teacher_fingerprint is not None:
        meta[TEACHER_FINGERPRINT] = teacher_fingerprint
    (folder / DISTILL_META).write_text(json.dumps(meta, indent=2) + "\n")
    return folder


def keyword_index(docs: dict[str, str], *encoders: KeywordEncoder, base: str = "docs", store=None):
    """An ``InMemoryStore`` holding ``docs`` (source -> text, one chunk each) in one
    collection per encoder, named as the indexer names them (into ``store`` if given)."""
    from indexer.retrieval import collection_name
    from indexer.stores.base import CollectionInfo
    from indexer.stores.memory import InMemoryStore
    from indexer.types import Chunk

    store = InMemoryStore() if store is None else store
    for enc in encoders:
        coll = collection_name(base, enc.name)
        store.ensure_collection(coll, CollectionInfo(enc.name, enc.dim, enc.fingerprint))
        chunks = [Chunk(text=t, source=s, file_type="txt") for s, t in docs.items()]
        store.upsert(coll, chunks, enc.encode_documents([c.text for c in chunks]))
    return store


def old_collections_store(*old: str):
    """An ``InMemoryStore`` whose collections named in ``old`` act as if built before full
    text: ``has_full_text`` False, keyword and hybrid search raise
    ``FullTextUnavailableError``; dropping or upgrading one makes it new."""
    from indexer.stores.base import FullTextUnavailableError
    from indexer.stores.memory import InMemoryStore

    class OldCollectionsStore(InMemoryStore):
        def __init__(self) -> None:
            super().__init__()
            self.old = set(old)

        def has_full_text(self, name: str) -> bool:
            return super().has_full_text(name) and name not in self.old

        def search_text(self, name, *args, **kwargs):
            self._refuse(name)
            return super().search_text(name, *args, **kwargs)

        def search_hybrid(self, name, *args, **kwargs):
            self._refuse(name)
            return super().search_hybrid(name, *args, **kwargs)

        def drop(self, name: str) -> None:
            super().drop(name)
            self.old.discard(name)

        def upgrade_full_text(self, name: str) -> int:
            self.old.discard(name)
            return self.count(name)

        def _refuse(self, name: str) -> None:
            if name in self.old:
                raise FullTextUnavailableError(name, self.location)

    return OldCollectionsStore()
