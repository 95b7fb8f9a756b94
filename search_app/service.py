"""``SearchService``: everything the UI needs, as plain dataclasses; no Streamlit here.

The UI talks to this class only: search (with sentence highlighting), the
student-vs-teacher comparison (terms defined in :mod:`search_app.compare`), RAG-style
answers (:mod:`search_app.rag`), index management (``.library``) and evaluation
reports (``.reports``). Encoders and retrievers are built once and reused.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from distill.resolve import ModelNotFoundError
from indexer.encoders import STUDENT, STUDENT_INT8, TEACHER, Encoder, build_encoder
from indexer.retrieval import Retriever, collection_name
from indexer.settings import Settings, load_settings
from indexer.stores import VectorStore, open_store
from indexer.stores.base import MAX_TOP_K, Filters
from indexer.types import Hit, text_hash
from search_app.compare import Comparison, join_hits
from search_app.library import IndexLibrary
from search_app.rag import (
    Answer,
    ExtractiveGenerator,
    GenerationError,
    Generator,
    OpenAICompatibleGenerator,
)
from search_app.reports import ReportCatalog
from search_app.results import CollectionStats, SearchResult
from search_app.text import highlight_texts

__all__ = ["CollectionStats", "Comparison", "SearchResult", "SearchService"]

logger = logging.getLogger(__name__)

EncoderFactory = Callable[[str], Encoder]


class NotIndexedError(KeyError):
    """Nothing is indexed for an encoder; the message says how to index it."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not indexed"


class EncoderUnavailableError(RuntimeError):
    """An encoder's model cannot be loaded (e.g. the student is not distilled yet)."""


class SearchService:
    """Query the collections under one base name, with encoders loaded once and reused."""

    def __init__(
        self,
        store: VectorStore,
        base_collection: str,
        encoder_factory: EncoderFactory,
        *,
        settings: Settings | None = None,
        llm: Generator | None = None,
    ) -> None:
        self.store = store
        self.base_collection = base_collection
        self.settings = settings or load_settings()
        self.llm = llm
        self._encoder_factory = encoder_factory
        self._encoders: dict[str, Encoder] = {}
        self._retrievers: dict[str, Retriever] = {}
        self._lock = threading.RLock()
        self.library = IndexLibrary(self)
        self.reports = ReportCatalog(self)

    @classmethod
    def from_settings(cls, settings: Settings) -> SearchService:
        store = open_store(settings.milvus_uri, settings.milvus_token)
        llm = None
        if settings.llm_url:
            llm = OpenAICompatibleGenerator(settings.llm_url, settings.llm_model, settings.llm_key)
        return cls(
            store,
            settings.collection,
            lambda name: build_encoder(name, settings),
            settings=settings,
            llm=llm,
        )

    def open_collections(self) -> None:
        """Load every indexed collection now, from this one thread.

        Milvus Lite 3.2.2 lost a collection's loaded state when two threads touched it for
        the first time at once (a source scan next to a count left it "released"); opening
        them before the UI's background work starts keeps any engine clear of that race.
        """
        for name in self.indexed_encoders():
            coll = collection_name(self.base_collection, name)
            info = self.store.collection_info(coll)
            if info is not None:
                self.store.search(coll, np.zeros((1, info.dim), dtype=np.float32), 1)

    def close(self) -> None:
        """Release the store's client (Milvus Lite frees its data file for other processes)."""
        close = getattr(self.store, "close", None)
        if close is not None:
            close()

    # -- encoders ----------------------------------------------------------------------

    def indexed_encoders(self) -> list[str]:
        """Encoder names that have a collection under the base name."""
        prefix = f"{self.base_collection}_"
        names = []
        for coll in self.store.list_collections():
            info = self.store.collection_info(coll) if coll.startswith(prefix) else None
            if info is not None and collection_name(self.base_collection, info.encoder) == coll:
                names.append(info.encoder)
        return sorted(names)

    def available_encoders(self) -> list[str]:
        """Encoders that can be used to index: the teacher, distilled models on disk, and
        whatever is already indexed."""
        models = self.settings.models_dir
        names = {TEACHER, *self.indexed_encoders()}
        names.update(n for n in (STUDENT, STUDENT_INT8) if (models / n).is_dir())
        return sorted(names)

    def missing_encoders(self) -> dict[str, str]:
        """Registry encoders that cannot be searched yet, with what to do about it."""
        indexed, models = set(self.indexed_encoders()), self.settings.models_dir
        missing = {}
        for name in (STUDENT, TEACHER, STUDENT_INT8):
            if name in indexed:
                continue
            if name == TEACHER or (models / name).is_dir():
                missing[name] = f"not indexed (distilsearch index PATH --encoder {name})"
            else:
                missing[name] = f"no model at {models / name} yet (distilsearch distill)"
        return missing

    def encoder(self, name: str) -> Encoder:
        """The encoder registered as ``name``, loaded on first use."""
        with self._lock:
            if name not in self._encoders:
                try:
                    self._encoders[name] = self._encoder_factory(name)
                except ModelNotFoundError as exc:
                    raise EncoderUnavailableError(str(exc)) from exc
                except (OSError, ValueError) as exc:
                    raise EncoderUnavailableError(f"cannot load encoder {name!r}: {exc}") from exc
            return self._encoders[name]

    def retriever(self, encoder: str) -> Retriever:
        """The retriever for ``encoder``, built on first use."""
        with self._lock:
            if encoder not in self._retrievers:
                coll = collection_name(self.base_collection, encoder)
                if self.store.collection_info(coll) is None:
                    raise NotIndexedError(
                        f"nothing is indexed for encoder {encoder!r} (collection {coll!r}); "
                        f"run `distilsearch index PATH --encoder {encoder}`"
                    )
                self._retrievers[encoder] = Retriever(self.encoder(encoder), self.store, coll)
            return self._retrievers[encoder]

    def stats(self) -> list[CollectionStats]:
        """Chunks, files and disk bytes per indexed encoder."""
        return self.library.overview().collections

    # -- search, compare, answer -------------------------------------------------------

    def search(
        self,
        query: str,
        encoder: str,
        top_k: int = 10,
        filters: Filters | None = None,
        highlight: bool = False,
    ) -> SearchResult:
        """Top ``top_k`` hits; ``ValueError`` on bad input, ``NotIndexedError`` if not indexed.

        With ``highlight``, each hit's sentences are scored against the query with the
        same encoder and the best two marked (timed separately as ``highlight_ms``).
        """
        retriever = self.retriever(encoder)
        result = retriever.search(query, top_k, filters)
        plain = SearchResult(
            query=query,
            encoder=encoder,
            collection=retriever.collection,
            hits=result.hits,
            encode_ms=result.encode_ms,
            search_ms=result.search_ms,
        )
        return self.highlight(plain) if highlight else plain

    def highlight(self, result: SearchResult) -> SearchResult:
        """``result`` with each hit's best-matching sentences marked (see :mod:`.text`)."""
        if not result.hits:
            return result
        t0 = time.perf_counter()
        encoder = self.retriever(result.encoder).encoder
        marked = highlight_texts(result.query, [h.text for h in result.hits], encoder)
        highlights = {hit.id: h for hit, h in zip(result.hits, marked, strict=True)}
        return replace(
            result, highlights=highlights, highlight_ms=(time.perf_counter() - t0) * 1000
        )

    def compare(
        self,
        query: str,
        candidate: str = STUDENT,
        reference: str = TEACHER,
        top_k: int = 10,
        filters: Filters | None = None,
        embeddings: bool = True,
    ) -> Comparison:
        """One query through ``candidate`` and ``reference``, joined by chunk id.

        Scores of chunks outside one side's top k come from that side's own collection
        (a search restricted to the chunks' content hashes); with ``embeddings`` and
        equal dimensions, every row also gets the cosine between the chunk's two
        embeddings (the chunk texts are encoded by both encoders for that).
        """
        if candidate == reference:
            raise ValueError("pick two different encoders to compare")
        cand = self.search(query, candidate, top_k, filters)
        ref = self.search(query, reference, top_k, filters)
        union = {h.id: h for h in [*ref.hits, *cand.hits]}
        cand_scores = self._scores(query, candidate, cand.hits, union)
        ref_scores = self._scores(query, reference, ref.hits, union)
        cosines, note = None, ""
        c_enc, r_enc = self.encoder(candidate), self.encoder(reference)
        if embeddings and union and c_enc.dim == r_enc.dim:
            texts = [h.text for h in union.values()]
            a, b = c_enc.encode_documents(texts), r_enc.encode_documents(texts)  # (n, dim)
            cosines = dict(zip(union, np.einsum("ij,ij->i", a, b).tolist(), strict=True))
        elif embeddings and c_enc.dim != r_enc.dim:
            note = f"embedding cosine needs equal dimensions ({c_enc.dim} vs {r_enc.dim})"
        rows = join_hits(cand, ref, cand_scores, ref_scores, cosines)
        return Comparison(query, top_k, cand, ref, rows, note)

    def _scores(
        self, query: str, encoder: str, own: list[Hit], union: dict[str, Hit]
    ) -> dict[str, float]:
        """cosine(query, chunk) under ``encoder`` for every chunk in ``union``."""
        scores = {h.id: h.score for h in own}
        missing = [h for i, h in union.items() if i not in scores]
        if not missing:
            return scores
        retriever = self.retriever(encoder)
        hashes = sorted({text_hash(h.text) for h in missing})
        vector = retriever.encoder.encode_queries([query])  # (1, dim)
        limit = min(MAX_TOP_K, 4 * len(missing))
        found = self.store.search(retriever.collection, vector, limit, {"content_hash": hashes})
        wanted = {h.id for h in missing}
        scores.update({h.id: h.score for h in found[0] if h.id in wanted})
        return scores

    @property
    def llm_configured(self) -> bool:
        return self.llm is not None

    def answer(
        self,
        query: str,
        encoder: str,
        top_k: int = 5,
        filters: Filters | None = None,
        use_llm: bool = True,
    ) -> Answer:
        """Retrieve ``top_k`` chunks, then answer from them with numbered citations.

        Uses the LLM endpoint when one is configured and ``use_llm``; if it fails, the
        extractive answer is returned with a note saying so.
        """
        result = self.search(query, encoder, top_k, filters)
        if not result.hits:
            return Answer(
                query, "", (), (), "none", ("Nothing was retrieved for this question.",),
                retrieval_ms=result.total_ms,
            )  # fmt: skip
        notes: list[str] = []
        t0 = time.perf_counter()
        answer = None
        if use_llm and self.llm is not None:
            try:
                answer = self.llm.generate(query, result.hits)
            except GenerationError as exc:
                logger.warning("LLM answer failed: %s", exc)
                notes.append(f"The LLM endpoint failed ({exc}); showing the extractive answer.")
        if answer is None:
            answer = ExtractiveGenerator(self.retriever(encoder).encoder).generate(
                query, result.hits
            )
        return replace(
            answer,
            notes=(*notes, *answer.notes),
            retrieval_ms=result.total_ms,
            generate_ms=(time.perf_counter() - t0) * 1000,
        )
