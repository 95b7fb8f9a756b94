"""Search: query, encoder, mode, top k, filters; ranked hits, the best sentences (and in
keyword and hybrid mode the matched words) highlighted.

A student distilled from the teacher is also offered as ``student docs + teacher
queries``: its index, queries encoded by the teacher (the default for a student). The
page says which system it searched with and why, and gives every indexed student's
recorded agreement with the teacher on the user's documents.
"""

from __future__ import annotations

import streamlit as st

from search_app.components import (
    attempt,
    filter_inputs,
    indexed_or_stop,
    require_service,
    source_format,
    system_choices,
    system_select,
)
from search_app.encoder_notes import (
    default_system_label,
    missing_encoders_note,
    reason_caption,
    student_notes,
)
from search_app.hits import render_results
from search_app.mode_widgets import default_mode_caption, fusion_inputs, mode_select, offered_modes

st.title("distilsearch")
st.caption(
    "Semantic search over your documents with a BERT teacher or its distilled student. "
    "Text is shown without its markup; the text as indexed is one click away."
)

service = require_service()
encoders = indexed_or_stop(service)
modes = offered_modes(service, encoders)

with st.form("search"):
    query = st.text_input("Query", placeholder="how do I write a custom template filter?")
    left, middle, right = st.columns([2, 2, 1])
    encoder, query_encoder = system_select(
        left,
        "Encoder",
        system_choices(service, encoders),
        [default_system_label(service, encoders)],
    )
    missing_encoders_note(service, left)
    top_k = middle.slider("Top k", min_value=1, max_value=50, value=10)
    highlight = right.checkbox(
        "Highlight matches",
        value=True,
        help="The sentences closest in meaning in bold, scored by static word vectors of "
        "the encoder (fast); in keyword and hybrid mode the words matching the query's "
        "terms are marked too.",
    )
    exact = right.checkbox(
        "Exact highlights",
        value=False,
        help="Score every sentence with the full encoder instead: slower, drawn after the hits.",
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
        reason_caption(service, result.encoder, result.query_encoder)
        student_notes(service, encoders)
        highlighter = (lambda r: service.highlight(r, exact=exact)) if highlight else None
        render_results(result, highlighter, source_format(service))
elif submitted:
    st.warning("Type a query first.")
