"""Ranked hits as the Search page shows them: header, text (highlighted or plain), timing.

Chunk text goes out only through ``st.text`` or Markdown escaped by
:func:`search_app.components.escape_markdown`, and as a reader sees it: without markup
(:func:`indexer.readable.readable_text`), the text as indexed one click away; a stored
section is shown only when it is a heading (:func:`indexer.readable.heading_label`).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from indexer.readable import heading_label, readable_text
from indexer.types import Hit
from search_app.components import WHOLE, SourceFormat, attempt, code_span, escape_markdown
from usecases.highlight import Highlight, Span
from usecases.results import SearchResult


def hit_header(rank: int, hit: Hit, show: SourceFormat = WHOLE) -> str:
    """``**1.** score `0.812` · docs/x.md · § Section · page 3`` (escaped; the source as
    ``show`` gives it)."""
    where = escape_markdown(show(hit.source))
    label = heading_label(hit.section)
    section = f" · § {escape_markdown(label)}" if label else ""
    page = f" · page {hit.page}" if hit.page >= 0 else ""
    return f"**{rank}.** score `{hit.score:.3f}` · {where}{section}{page}"


def highlighted_markdown(highlight: Highlight) -> str:
    """The sentences, escaped, the best ones in bold, words matching the query's terms
    on a background (keyword and hybrid search); the text's paragraphs kept."""
    out = []
    for i, sentence in enumerate(highlight.sentences):
        marked = marked_words(sentence, highlight.spans(i))
        if i in highlight.best:
            marked = f"**{marked}**"
        out.append(("\n\n" if i and i in highlight.starts else " " if i else "") + marked)
    return "".join(out)


def marked_words(text: str, spans: tuple[Span, ...]) -> str:
    """``text`` escaped, each span's word inside ``:orange-background[...]``."""
    out, end = [], 0
    for start, stop in spans:
        word = escape_markdown(text[start:stop])
        out += [escape_markdown(text[end:start]), f":orange-background[{word}]"]
        end = stop
    return "".join([*out, escape_markdown(text[end:])])


def shown_text(text: str) -> str:
    """A chunk's text as the pages show it: without markup; a chunk that was nothing but
    markup (a table of contents, a label) says so."""
    return readable_text(text) or "(only markup: nothing to read in this chunk)"


def render_hit_body(hit: Hit, highlight: Highlight | None) -> None:
    """The chunk text without markup: highlighted (escaped Markdown) with the full text
    folded, or plain; the text as indexed folded below when it differs."""
    readable = shown_text(hit.text)
    if highlight is not None and highlight.marked:
        st.markdown(highlighted_markdown(highlight))
        with st.expander("Full chunk text"):
            st.text(readable)
    else:
        st.text(readable)
    if readable != hit.text.strip():
        with st.expander("As indexed (with its markup)"):
            st.text(hit.text)


def timing_caption(result: SearchResult) -> str:
    """Hits, collection, system and mode, and the time each step took: highlighting
    beside the search, with what scored the sentences."""
    extra = ""
    if result.highlights:
        extra = (
            f" · highlighting **{result.highlight_ms:.0f} ms** "
            f"({escape_markdown(result.highlighted_by)})"
        )
    return (
        f"{len(result.hits)} hits for `{code_span(result.query)}` "
        f"from `{code_span(result.collection)}` ({escape_markdown(result.full_label)}) — "
        f"{result.encode_ms:.0f} ms encode + {result.search_ms:.0f} ms search = "
        f"**{result.total_ms:.0f} ms**{extra}"
    )


def render_results(
    result: SearchResult,
    highlighter: Callable[[SearchResult], SearchResult] | None = None,
    show: SourceFormat = WHOLE,
) -> None:
    """Ranked hits: rank, score, source, section, page, then the text (escaped).

    With ``highlighter``, the hits are drawn first as plain text and the highlighted
    sentences replace them once computed, so the results show at search latency.
    """
    caption = st.empty()
    caption.caption(timing_caption(result))
    if not result.hits:
        st.info("No matching chunks. Try other words, fewer filters, or index more documents.")
        return
    bodies = []
    for rank, hit in enumerate(result.hits, 1):
        with st.container(border=True):
            st.markdown(hit_header(rank, hit, show))
            bodies.append(st.empty())
            with bodies[-1].container():
                render_hit_body(hit, result.highlights.get(hit.id))
    if highlighter is None or result.highlights:
        return
    marked = attempt(lambda: highlighter(result))
    if marked is None:
        return
    caption.caption(timing_caption(marked))
    for hit, body in zip(result.hits, bodies, strict=True):
        with body.container():
            render_hit_body(hit, marked.highlights.get(hit.id))
