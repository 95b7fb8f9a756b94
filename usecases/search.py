"""``SearchService``: everything the UI needs, as plain dataclasses; no Streamlit here.

The UI talks to this class only: search with highlights, comparisons (:mod:`.compare`),
answers (:mod:`.rag`), index management (``.library``) and evaluation reports
(``.reports``). Encoders and retrievers are built once and reused.
"""

from __future__ import annotations

import logging

import numpy as np

from core.settings import Settings, load_settings
from encoders import STUDENT, TEACHER, Encoder, build_encoder
from encoders.pairing import model_dir_of
from encoders.student_meta import StudentMeta
from indexer.retrieval import Mode, Retriever, collection_name
from indexer.stores import Filters, Fusion, VectorStore, store_for
from usecases.agreement_note import agreement_note
from usecases.compare import Comparison, compare_results
from usecases.highlight import highlight_result
from usecases.library import IndexLibrary
from usecases.rag import Answer, Generator, OpenAICompatibleGenerator, compose_answer
from usecases.reports import ReportCatalog
from usecases.results import CollectionStats, SearchResult
from usecases.search_modes import ModeSupport, fusion_for
from usecases.sentence_scores import answer_scorer, highlight_scorer
from usecases.workspace import (
    EncoderFactory,
    EncoderUnavailableError,
    IndexContext,
    NotIndexedError,
)

__all__ = [
    "CollectionStats",
    "Comparison",
    "EncoderUnavailableError",
    "ModeSupport",
    "NotIndexedError",
    "SearchResult",
    "SearchService",
]

logger = logging.getLogger(__name__)


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
        self.index = IndexContext(store, base_collection, encoder_factory, self.settings)
        self.library = IndexLibrary(self.index)
        self.reports = ReportCatalog(self.index)

    @classmethod
    def from_settings(cls, settings: Settings) -> SearchService:
        store = store_for(settings)
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
        """Load every indexed collection now, from this one thread, before the UI's
        background work starts (two threads loading one collection at once raced in an
        older Milvus Lite)."""
        for name in self.indexed_encoders():
            coll = collection_name(self.base_collection, name)
            info = self.store.collection_info(coll)
            if info is not None:
                self.store.search(coll, np.zeros((1, info.dim), dtype=np.float32), 1)

    def close(self) -> None:
        """Release the store's client (Milvus Lite frees its data file for other processes)."""
        self.store.close()

    # -- encoders ----------------------------------------------------------------------

    def indexed_encoders(self) -> list[str]:
        """Encoder names that have a collection under the base name."""
        return self.index.indexed_encoders()

    def available_encoders(self) -> list[str]:
        """Encoders that can be used to index (see :class:`IndexContext`)."""
        return self.index.available_encoders()

    def missing_encoders(self) -> dict[str, str]:
        """Registry encoders that cannot be searched yet, with what to do about it."""
        return self.index.missing_encoders()

    def encoder(self, name: str) -> Encoder:
        """The encoder registered as ``name``, loaded on first use."""
        return self.index.encoder(name)

    def retriever(self, encoder: str, query_encoder: str | None = None) -> Retriever:
        """The retriever over ``encoder``'s collection, queries encoded by ``query_encoder``
        (default: ``encoder``; another must be its teacher), built on first use."""
        return self.index.retriever(encoder, query_encoder)

    def default_encoder(self) -> str:
        """The encoder used when none is chosen (:meth:`IndexContext.default_encoder`)."""
        return self.index.default_encoder()

    def default_query_encoder(self, encoder: str) -> str | None:
        """A student's default query encoder: its teacher, fastest form first; None when
        ``encoder`` searches with its own queries (:class:`IndexContext`)."""
        return self.index.default_query_encoder(encoder)

    def _default_queries(self, encoder: str, mode: Mode) -> str:
        """Who encodes queries when the caller does not say: nobody in keyword mode (the
        collection's own encoder is named), else :meth:`default_query_encoder`."""
        if mode == "keyword":
            return encoder
        return self.default_query_encoder(encoder) or encoder

    def query_encoders(self, encoder: str) -> list[str]:
        """Who may encode queries for ``encoder``'s documents: itself, then its teacher."""
        return self.index.query_encoders(encoder)

    def mode_support(self, encoder: str) -> ModeSupport:
        """Which search modes ``encoder``'s collection serves: all three, or dense only on a
        collection built before full text (its ``note`` names the rebuild command)."""
        full_text = self.index.full_text(encoder)
        return ModeSupport(encoder, self.index.collection(encoder), full_text)

    def agreement(self, encoder: str) -> str | None:
        """How well ``encoder`` (a distilled student) agrees with its teacher on the user's
        documents, as recorded by ``distill`` (:mod:`.agreement_note`); None if unknown."""
        try:
            return agreement_note(self.encoder(encoder))
        except EncoderUnavailableError:
            return None

    def student_record(self, encoder: str) -> StudentMeta | None:
        """``encoder``'s ``distill_meta.json`` (None for an encoder that is no distilled
        student): its teacher, training (``undertrained``), agreement and frontier."""
        try:
            return StudentMeta.read_optional(model_dir_of(self.encoder(encoder)))
        except EncoderUnavailableError:
            return None

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
        query_encoder: str | None = None,
        mode: Mode = "dense",
        fusion: Fusion | None = None,
    ) -> SearchResult:
        """Top ``top_k`` hits; ``ValueError`` on bad input, ``NotIndexedError`` if not indexed.

        ``encoder``'s collection is searched with the query encoded by ``query_encoder``:
        by default a student's teacher in its fastest form (:meth:`default_query_encoder`),
        else ``encoder`` itself; pass ``encoder`` for its own queries. Another must be the
        teacher ``encoder`` was distilled from (``QueryEncoderMismatchError``). ``mode``:
        ``dense``, ``keyword`` (BM25, nothing encoded) or ``hybrid`` (both, fused per
        ``fusion``, default RRF k=60);
        keyword and hybrid raise ``FullTextUnavailableError`` on a collection built
        before full text (see :meth:`mode_support`). With ``highlight``, see
        :meth:`highlight` (timed separately as ``highlight_ms``).
        """
        fused = fusion_for(mode, fusion)  # ValueError on an unknown mode
        query_encoder = query_encoder or self._default_queries(encoder, mode)
        retriever = self.retriever(encoder, query_encoder)
        found = retriever.search(query, top_k, filters, mode, fused or Fusion())
        plain = SearchResult(
            query=query,
            encoder=encoder,
            collection=retriever.collection,
            hits=found.hits,
            encode_ms=found.encode_ms,
            search_ms=found.search_ms,
            query_encoder=None if query_encoder == encoder else query_encoder,
            mode=mode,
            fusion=fused,
        )
        return self.highlight(plain) if highlight else plain

    def highlight(self, result: SearchResult, exact: bool = False) -> SearchResult:
        """``result`` with each hit's best-matching sentences marked
        (:func:`usecases.highlight.highlight_result`): scored by static word vectors of
        the query's (else the documents') encoder, or with ``exact`` (or when neither
        has a word-embedding table) by the query's encoder itself."""
        scorer = None
        if result.mode != "keyword" and result.hits:
            retriever = self.retriever(result.encoder, result.query_encoder)
            scorer = highlight_scorer(retriever.query_encoder, retriever.encoder, exact)
        return highlight_result(result, scorer)

    def compare(
        self,
        query: str,
        candidate: str = STUDENT,
        reference: str = TEACHER,
        top_k: int = 10,
        filters: Filters | None = None,
        embeddings: bool = True,
        *,
        candidate_query_encoder: str | None = None,
        reference_query_encoder: str | None = None,
        candidate_mode: Mode = "dense",
        reference_mode: Mode = "dense",
        fusion: Fusion | None = None,
    ) -> Comparison:
        """One query through ``candidate`` and ``reference``, joined by chunk id.

        Each side may have its queries encoded by another encoder (teacher-query mode,
        see :meth:`search`), so ``student`` can face ``student docs + teacher queries``,
        and each side searches in its own mode (a hybrid side fuses per ``fusion``), so
        one encoder can face itself dense against hybrid. Each side's cos(query, chunk)
        for chunks it did not rank comes from its own collection
        (:func:`~usecases.compare.query_scores`); with ``embeddings``, every row also
        gets the cosine between the chunk's two document embeddings (see
        :func:`~usecases.compare.embedding_cosines`).
        """
        c_query = candidate_query_encoder or self._default_queries(candidate, candidate_mode)
        r_query = reference_query_encoder or self._default_queries(reference, reference_mode)
        c_side = (candidate, c_query, candidate_mode, fusion_for(candidate_mode, fusion))
        if c_side == (reference, r_query, reference_mode, fusion_for(reference_mode, fusion)):
            raise ValueError("pick two different encoders or modes to compare")
        cand = self.search(
            query,
            candidate,
            top_k,
            filters,
            query_encoder=c_query,
            mode=candidate_mode,
            fusion=fusion,
        )
        ref = self.search(
            query,
            reference,
            top_k,
            filters,
            query_encoder=r_query,
            mode=reference_mode,
            fusion=fusion,
        )
        sides = self.retriever(candidate, c_query), self.retriever(reference, r_query)
        return compare_results(query, top_k, (cand, ref), sides, embeddings)

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
        query_encoder: str | None = None,
        *,
        mode: Mode = "dense",
        fusion: Fusion | None = None,
    ) -> Answer:
        """Retrieve ``top_k`` chunks, then answer from them with numbered citations.

        Retrieval as in :meth:`search` (``query_encoder``, ``mode`` and ``fusion``
        included). Uses the LLM endpoint when one is configured and ``use_llm``; if it
        fails, the extractive answer is returned with a note saying so. The extractive
        answer scores sentences with the query encoder, on the sentences static word
        vectors rank highest (:class:`~usecases.sentence_scores.ShortlistScorer`).
        """
        result = self.search(
            query, encoder, top_k, filters, query_encoder=query_encoder, mode=mode, fusion=fusion
        )
        retriever = self.retriever(encoder, result.query_encoder or encoder)
        sentences = answer_scorer(retriever.query_encoder, retriever.encoder)
        return compose_answer(result, sentences, self.llm if use_llm else None)
