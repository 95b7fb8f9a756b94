"""distilsearch — the web UI. Run with ``distilsearch serve``.

A multipage app (``st.navigation``): each page is its own script under ``views/``
(runnable on its own) and gets the process-wide ``SearchService`` from
:mod:`search_app.resources`. The folder is not called ``pages/``: Streamlit would also
route a ``pages/`` folder by itself, and a page opened by URL would then run without
this script (no navigation, no page config).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).resolve().parent / "views"

st.set_page_config(page_title="distilsearch", page_icon=":material/search:", layout="wide")
navigation = st.navigation(
    [
        st.Page(PAGES / "search.py", title="Search", icon=":material/search:", default=True),
        st.Page(PAGES / "compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page(PAGES / "ask.py", title="Ask", icon=":material/question_answer:"),
        st.Page(PAGES / "evaluate.py", title="Evaluate", icon=":material/analytics:"),
        st.Page(PAGES / "index.py", title="Index", icon=":material/folder_open:"),
    ]
)
with st.sidebar:
    st.caption("Semantic search with a BERT teacher and its distilled student.")
navigation.run()
