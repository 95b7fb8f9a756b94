"""What the service and its helpers share: one store, the settings, encoders loaded once.

:class:`~usecases.search.SearchService`, :class:`~usecases.library.IndexLibrary` and
:class:`~usecases.reports.ReportCatalog` each hold the same :class:`IndexContext`, so
none of them needs the others (no import circle).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from core.settings import Settings
from encoders import (
    STUDENT,
    STUDENT_INT8,
    TEACHER,
    VARIANT_NAMES,
    Encoder,
    ModelNotFoundError,
    QueryEncoderMismatchError,
    distilled_from,
)
from encoders.variants import FP32_SUFFIXES, split_variant_name, variant_name
from indexer import Retriever, collection_name
from indexer.stores import VectorStore
from usecases.access import WriteAccess

logger = logging.getLogger(__name__)

#: Teacher exports that compute the teacher's own vectors (fp32), so they may pair too.
TEACHER_FP32_VARIANTS = tuple(variant_name(TEACHER, s) for s in FP32_SUFFIXES)
#: The teacher's query encoders, fastest first for one query at a time (the query latency
#: topic of docs/results/README.md): a student's default pairing takes the first present.
FASTEST_TEACHER_QUERIES = ("teacher-onnx", "teacher-openvino", TEACHER)

EncoderFactory = Callable[[str], Encoder]


class NotIndexedError(KeyError):
    """Nothing is indexed for an encoder; the message says how to index it."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not indexed"


class EncoderUnavailableError(RuntimeError):
    """An encoder's model cannot be loaded (e.g. the student is not distilled yet)."""


class IndexContext:
    """The collections under one base name, and the encoders that query them."""

    def __init__(
        self,
        store: VectorStore,
        base_collection: str,
        encoder_factory: EncoderFactory,
        settings: Settings,
    ) -> None:
        self.store = store
        self.base_collection = base_collection
        self.settings = settings
        self.writes = WriteAccess.from_settings(settings)
        self._encoder_factory = encoder_factory
        self._encoders: dict[str, Encoder] = {}
        self._retrievers: dict[tuple[str, str], Retriever] = {}
        self._lock = threading.RLock()

    def collection(self, encoder: str) -> str:
        """The collection that holds ``encoder``'s vectors."""
        return collection_name(self.base_collection, encoder)

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
        names = {TEACHER, *self.indexed_encoders(), *self._models_on_disk()}
        return sorted(names)

    def _models_on_disk(self) -> list[str]:
        """Registry names with a folder under ``models_dir``: the student, its int8 export
        and every ONNX / OpenVINO variant that ``distill --backends`` wrote."""
        models = self.settings.models_dir
        return [n for n in (STUDENT, STUDENT_INT8, *VARIANT_NAMES) if (models / n).is_dir()]

    def missing_encoders(self) -> dict[str, str]:
        """Registry encoders that cannot be searched yet, with what to do about it.

        Backend variants are named only once their folder exists (``distill --backends``);
        the teacher's fp32 exports never are: they encode the teacher's own vectors, and
        serve as its faster query encoders (:meth:`query_encoders`).
        """
        indexed, models = set(self.indexed_encoders()), self.settings.models_dir
        missing = {}
        variants = [
            n
            for n in self._models_on_disk()
            if n in VARIANT_NAMES and n not in TEACHER_FP32_VARIANTS
        ]
        for name in (STUDENT, TEACHER, STUDENT_INT8, *variants):
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

    def retriever(self, encoder: str, query_encoder: str | None = None) -> Retriever:
        """The retriever over ``encoder``'s collection whose queries ``query_encoder``
        encodes (default: ``encoder``), built on first use and cached per pair.

        Another query encoder must be the teacher ``encoder`` was distilled from
        (``QueryEncoderMismatchError``, a ``ValueError``, otherwise).
        """
        key = (encoder, query_encoder or encoder)
        with self._lock:
            if key not in self._retrievers:
                coll = collection_name(self.base_collection, encoder)
                if self.store.collection_info(coll) is None:
                    raise NotIndexedError(
                        f"nothing is indexed for encoder {encoder!r} (collection {coll!r}); "
                        f"run `distilsearch index PATH --encoder {encoder}`"
                    )
                queries = None if key[1] == encoder else self.encoder(key[1])
                self._retrievers[key] = Retriever(self.encoder(encoder), self.store, coll, queries)
            return self._retrievers[key]

    def full_text(self, encoder: str) -> bool:
        """Whether ``encoder``'s collection has the full-text field keyword and hybrid
        search need (collections built before it have none); ``NotIndexedError`` when
        nothing is indexed for ``encoder``."""
        coll = collection_name(self.base_collection, encoder)
        if self.store.collection_info(coll) is None:
            raise NotIndexedError(f"nothing is indexed for encoder {encoder!r} ({coll!r})")
        return self.store.has_full_text(coll)

    def query_encoders(self, encoder: str) -> list[str]:
        """Who may encode queries for ``encoder``'s collection: ``encoder`` itself, then
        the teacher when ``encoder`` is a student distilled from it (teacher-query mode),
        and the teacher's fp32 ONNX / OpenVINO exports on disk (the same vectors, faster).

        Loads the teacher only when the student's metadata names a teacher.
        """
        if (split_variant_name(encoder) or (encoder,))[0] == TEACHER:
            return [encoder]
        try:
            if distilled_from(self.encoder(encoder)) is None:
                return [encoder]
        except EncoderUnavailableError as exc:
            logger.info("no teacher queries for %s: %s", encoder, exc)
            return [encoder]
        fast = [n for n in self._models_on_disk() if n in TEACHER_FP32_VARIANTS]
        paired = [encoder]
        for candidate in (TEACHER, *fast):
            try:
                self.retriever(encoder, candidate)
            except (QueryEncoderMismatchError, EncoderUnavailableError, NotIndexedError) as exc:
                logger.info("no %s queries for %s: %s", candidate, encoder, exc)
                continue
            paired.append(candidate)
        return paired

    def default_query_encoder(self, encoder: str) -> str | None:
        """The query encoder ``encoder``'s collection is searched with by default: for a
        student paired with its teacher, the teacher's fastest fp32 form on disk
        (:data:`FASTEST_TEACHER_QUERIES`); None (its own queries) otherwise."""
        paired = set(self.query_encoders(encoder)[1:])
        return next((name for name in FASTEST_TEACHER_QUERIES if name in paired), None)

    def default_encoder(self) -> str:
        """The encoder a page or ``distilsearch search`` uses when none is chosen: one set
        by ``DISTILSEARCH_ENCODER``; else the encoder the student's frontier recommends
        (``distill``'s table on the user's documents) when it is indexed; else the teacher."""
        from usecases.frontier import recommended_encoder

        if self.settings.encoder != TEACHER:
            return self.settings.encoder
        best = recommended_encoder(self.settings)
        return best if best in self.indexed_encoders() else TEACHER
