"""Process-wide resources for the UI; the only user of ``st.cache_resource``."""

from __future__ import annotations

import streamlit as st

from indexer.settings import load_settings
from search_app.service import SearchService


@st.cache_resource(show_spinner="Opening the index…")
def get_service() -> SearchService:
    """One ``SearchService`` (Milvus client + loaded encoders) per server process."""
    return SearchService.from_settings(load_settings())
