"""Search: query, encoder, mode, top k, filters; ranked hits, the best sentences (and in
keyword and hybrid mode the matched words) highlighted.

A student distilled from the teacher is also offered as ``student docs + teacher
queries``: its index, queries encoded by the teacher. With a student, the caption also
gives its recorded agreement with the teacher on the user's documents.
"""

from __future__ import annotations

import streamlit as st

from search_app.components import (
    attempt,
    escape_markdown,
    filter_inputs,
    indexed_or_stop,
    require_service,
    source_format,
    system_choices,
    system_select,
)
from search_app.encoder_notes import missing_encoders_note
from search_app.hits import render_results
from search_app.mode_widgets import default_mode_caption, fusion_inputs, mode_select, offered_modes

st.title("distilsearch")
st.caption("Semantic search over your documents with a BERT teacher or its distilled student.")

service = require_service()
encoders = indexed_or_stop(service)
modes = offered_modes(service, encoders)

with st.form("search"):
    query = st.text_input("Query", placeholder="how do I write a custom template filter?")
    left, middle, right = st.columns([2, 2, 1])
    encoder, query_encoder = system_select(
        left, "Encoder", system_choices(service, encoders), [service.settings.encoder]
    )
    missing_encoders_note(service, left)
    top_k = middle.slider("Top k", min_value=1, max_value=50, value=10)
    highlight = right.checkbox(
        "Highlight matches",
        value=True,
        help="The sentences closest in meaning in bold; in keyword and hybrid mode the "
        "words matching the query's terms are marked too.",
    )
    mode = mode_select(modes, service.settings.search_mode, key="search")
    default_mode_caption(service)
    fusion = fusion_inputs(modes, key="search")
    filters = filter_inputs(service, encoders, key="search")
    submitted = st.form_submit_button("Search", type="primary")

if submitted and query.strip():
    with st.spinner("Searching…"):
        result = attempt(
            lambda: service.search(
                query,
                encoder,
                top_k,
                filters,
                query_encoder=query_encoder,
                mode=mode,
                fusion=fusion,
            )
        )
    if result is not None:
        note = attempt(lambda: service.agreement(encoder))
        if note:  # a distilled student: how well it agrees with the teacher on these documents
            st.caption(escape_markdown(note))
        render_results(result, service.highlight if highlight else None, source_format(service))
elif submitted:
    st.warning("Type a query first.")
