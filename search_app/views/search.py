"""Search: query, encoder, top k, filters; ranked hits with the best sentences highlighted."""

from __future__ import annotations

import streamlit as st

from search_app.components import (
    attempt,
    default_index,
    filter_inputs,
    indexed_or_stop,
    missing_encoders_note,
    render_results,
    require_service,
)

st.title("distilsearch")
st.caption("Semantic search over your documents with a BERT teacher or its distilled student.")

service = require_service()
encoders = indexed_or_stop(service)

with st.form("search"):
    query = st.text_input("Query", placeholder="how do I write a custom template filter?")
    left, middle, right = st.columns([2, 2, 1])
    encoder = left.selectbox(
        "Encoder", encoders, index=default_index(encoders, [service.settings.encoder])
    )
    top_k = middle.slider("Top k", min_value=1, max_value=50, value=10)
    highlight = right.checkbox("Highlight best sentences", value=True)
    filters = filter_inputs(service, encoders, key="search")
    submitted = st.form_submit_button("Search", type="primary")
missing_encoders_note(service)

if submitted and query.strip():
    with st.spinner("Searching…"):
        result = attempt(lambda: service.search(query, encoder, top_k, filters))
    if result is not None:
        render_results(result, service.highlight if highlight else None)
elif submitted:
    st.warning("Type a query first.")
