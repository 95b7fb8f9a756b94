"""``SearchService``: everything the UI needs, as plain dataclasses; no Streamlit here."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from indexer.encoders import Encoder, build_encoder
from indexer.retrieval import Retriever, collection_name
from indexer.settings import Settings
from indexer.stores import VectorStore, open_store
from indexer.stores.base import Filters
from indexer.types import Hit

EncoderFactory = Callable[[str], Encoder]


@dataclass(frozen=True)
class SearchResult:
    """Ranked hits for one query through one encoder, with timings in milliseconds."""

    query: str
    encoder: str
    collection: str
    hits: list[Hit]
    encode_ms: float
    search_ms: float

    @property
    def total_ms(self) -> float:
        return self.encode_ms + self.search_ms


@dataclass(frozen=True)
class CollectionStats:
    """What one encoder's collection holds."""

    encoder: str
    collection: str
    chunks: int


class SearchService:
    """Query the collections under one base name, with encoders loaded once and reused."""

    def __init__(self, store: VectorStore, base_collection: str, encoder_factory: EncoderFactory):
        self.store = store
        self.base_collection = base_collection
        self._encoder_factory = encoder_factory
        self._retrievers: dict[str, Retriever] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> SearchService:
        store = open_store(settings.milvus_uri, settings.milvus_token)
        return cls(store, settings.collection, lambda name: build_encoder(name, settings))

    def indexed_encoders(self) -> list[str]:
        """Encoder names that have a collection under the base name."""
        prefix = f"{self.base_collection}_"
        names = []
        for coll in self.store.list_collections():
            info = self.store.collection_info(coll) if coll.startswith(prefix) else None
            if info is not None and collection_name(self.base_collection, info.encoder) == coll:
                names.append(info.encoder)
        return sorted(names)

    def stats(self) -> list[CollectionStats]:
        return [
            CollectionStats(name, coll, self.store.count(coll))
            for name in self.indexed_encoders()
            for coll in [collection_name(self.base_collection, name)]
        ]

    def retriever(self, encoder: str) -> Retriever:
        """The retriever for ``encoder``, built on first use."""
        with self._lock:
            if encoder not in self._retrievers:
                coll = collection_name(self.base_collection, encoder)
                if self.store.collection_info(coll) is None:
                    raise KeyError(
                        f"nothing is indexed for encoder {encoder!r} (collection {coll!r}); "
                        f"run `distilsearch index PATH --encoder {encoder}`"
                    )
                self._retrievers[encoder] = Retriever(
                    self._encoder_factory(encoder), self.store, coll
                )
            return self._retrievers[encoder]

    def search(
        self, query: str, encoder: str, top_k: int = 10, filters: Filters | None = None
    ) -> SearchResult:
        """Top ``top_k`` hits; ``ValueError`` on bad input, ``KeyError`` if not indexed."""
        retriever = self.retriever(encoder)
        result = retriever.search(query, top_k, filters)
        return SearchResult(
            query=query,
            encoder=encoder,
            collection=retriever.collection,
            hits=result.hits,
            encode_ms=result.encode_ms,
            search_ms=result.search_ms,
        )
