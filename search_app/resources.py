"""Process-wide resources for the UI; the only user of ``st.cache_resource``."""

from __future__ import annotations

import logging
import threading

import streamlit as st

from core.settings import hide_lite_uri_from_pymilvus, load_settings
from usecases.search import SearchService

logger = logging.getLogger(__name__)

UI_TORCH_THREADS = 1


def _release(service: SearchService) -> None:
    """Close the Milvus client when the cached service is dropped (``get_service.clear()``)."""
    service.close()


@st.cache_resource(show_spinner="Opening the index…", on_release=_release)
def get_service() -> SearchService:
    """One ``SearchService`` (Milvus client + loaded encoders) per server process.

    The default encoder is loaded in a background thread so the page appears at once
    and the first query does not pay for the model load. Torch runs one thread here: a
    single short query gains little from more, and on a busy machine more threads were
    much slower (``docs/results/query_latency.md``).
    """
    settings = load_settings().with_overrides(threads=UI_TORCH_THREADS)
    hide_lite_uri_from_pymilvus()
    service = SearchService.from_settings(settings)
    service.open_collections()  # before any background thread touches them
    threading.Thread(target=_warm_up, args=(service, settings.encoder), daemon=True).start()
    return service


def _warm_up(service: SearchService, preferred: str) -> None:
    """Load the default encoder and list the sources (slow on big indexes) ahead of use."""
    try:
        indexed = service.indexed_encoders()
        if indexed:
            name = preferred if preferred in indexed else indexed[0]
            service.library.sources(name, wait=0)
            service.retriever(name)
    except Exception as exc:  # a failed warm-up is reported again, properly, on first use
        logger.info("warm-up skipped: %s", exc)
