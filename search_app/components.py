"""Rendering helpers for the UI; retrieved text always goes out escaped."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from search_app.service import SearchResult

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])")


def escape_markdown(text: str) -> str:
    """``text`` with every Markdown/HTML-significant character backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def short_source(source: str, keep_parts: int = 3) -> str:
    """The last ``keep_parts`` components of a source path, for display."""
    parts = Path(source).parts
    return "/".join(parts[-keep_parts:]) if len(parts) > keep_parts else source


def render_results(result: SearchResult) -> None:
    """Ranked hits: rank, score, source, section, page, then the chunk text (escaped)."""
    st.caption(
        f"{len(result.hits)} hits from `{escape_markdown(result.collection)}` — "
        f"{result.encode_ms:.0f} ms encode + {result.search_ms:.0f} ms search"
    )
    if not result.hits:
        st.info("No matching chunks. Try other words, or index more documents.")
    for rank, hit in enumerate(result.hits, 1):
        with st.container(border=True):
            where = escape_markdown(short_source(hit.source))
            section = f" · § {escape_markdown(hit.section)}" if hit.section else ""
            page = f" · page {hit.page}" if hit.page >= 0 else ""
            st.markdown(f"**{rank}.** score `{hit.score:.3f}` · {where}{section}{page}")
            st.text(hit.text)
