"""distilsearch — the search page. Run with ``distilsearch serve``."""

from __future__ import annotations

import streamlit as st

from search_app.components import escape_markdown, render_results
from search_app.resources import get_service

st.set_page_config(page_title="distilsearch", page_icon="🔎", layout="wide")
st.title("distilsearch")
st.caption("Semantic search over your documents with a BERT teacher or its distilled student.")

try:
    service = get_service()
    encoders = service.indexed_encoders()
except Exception as exc:  # the store may be locked or unreachable: say so, don't crash
    st.error(f"Cannot open the index: {escape_markdown(str(exc))}")
    st.stop()

if not encoders:
    st.info("Nothing is indexed yet. Run `distilsearch index PATH` (or `make demo`) first.")
    st.stop()

with st.form("search"):
    query = st.text_input("Query", placeholder="how do I write a custom template filter?")
    left, right = st.columns([3, 1])
    encoder = left.selectbox("Encoder", encoders, index=0)
    top_k = right.slider("Top k", min_value=1, max_value=50, value=10)
    submitted = st.form_submit_button("Search", type="primary")

if submitted and query.strip():
    try:
        with st.spinner("Searching…"):
            result = service.search(query, encoder=encoder, top_k=top_k)
    except (ValueError, KeyError) as exc:
        st.error(escape_markdown(str(exc.args[0] if exc.args else exc)))
    else:
        render_results(result)
elif submitted:
    st.warning("Type a query first.")
