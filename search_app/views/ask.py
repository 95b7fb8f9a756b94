"""Ask: retrieve, then answer from the retrieved chunks with numbered, linked citations.

The extractive answer is drawn in its own order (the lead passage first): sentences run
on as a paragraph, a procedure's steps as a list, a code block as code; every piece links
to the chunk it came from. Chunks are shown without their markup.
"""

from __future__ import annotations

import re

import streamlit as st

from indexer.types import Hit
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
from search_app.encoder_notes import default_system_label, reason_caption, student_notes
from search_app.hits import hit_header, shown_text
from search_app.mode_widgets import default_mode_caption, fusion_inputs, mode_select, offered_modes
from usecases.answer_text import AnswerPoint
from usecases.rag import Answer

_ESCAPED_CITE = re.compile(r"\\\[(\d{1,3})\\\]")

st.title("Ask")
st.caption(
    "Retrieves chunks, then answers only from them: whole sentences quoted from the best "
    "passage first, in reading order, with a procedure or code block whole when it is the "
    "answer. Every piece carries a numbered citation that links to the chunk it came from."
)

service = require_service()
encoders = indexed_or_stop(service)
modes = offered_modes(service, encoders)
show = source_format(service)


def linked(answer: Answer) -> str:
    """The escaped answer with each valid ``[n]`` turned into a link to chunk n."""

    def link(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return f"[\\[{number}\\]](#cite-{number})" if number in answer.cited else match.group(0)

    return _ESCAPED_CITE.sub(link, escape_markdown(answer.text))


def cite_links(point: AnswerPoint) -> str:
    return "".join(f"[\\[{n}\\]](#cite-{n})" for n in point.numbers)


def render_points(points: tuple[AnswerPoint, ...]) -> None:
    """The answer in its order: sentences as one paragraph, list items as a list, code
    blocks as code (``st.code`` shows text literally), each piece with its links."""
    run: list[AnswerPoint] = []

    def flush() -> None:
        if run:
            pieces = [f"{escape_markdown(p.sentence)} {cite_links(p)}" for p in run]
            items = run[0].kind == "item"
            st.markdown("\n".join(f"- {p}" for p in pieces) if items else " ".join(pieces))
            run.clear()

    for point in points:
        if point.kind == "code":
            flush()
            st.code(point.sentence, language=None)
            st.markdown(f"from {cite_links(point)}")
            continue
        if run and run[0].kind != point.kind:
            flush()
        run.append(point)
    flush()


def render_chunk(number: int, hit: Hit) -> None:
    st.markdown(hit_header(number, hit, show))
    st.text(shown_text(hit.text))


def render(answer: Answer) -> None:
    st.subheader("Answer")
    if answer.points:
        render_points(answer.points)
    elif answer.text:
        st.markdown(linked(answer))
    else:
        st.info("No answer could be drawn from the retrieved chunks.")
    for note in answer.notes:
        st.warning(escape_markdown(note))
    st.caption(
        f"{escape_markdown(answer.generator)} · retrieval {answer.retrieval_ms:.0f} ms · "
        f"answer {answer.generate_ms:.0f} ms · {len(answer.citations)} of "
        f"{len(answer.retrieved)} retrieved chunks cited"
    )
    if answer.citations:
        st.markdown("#### Chunks the answer used")
    for citation in answer.citations:
        label = f"[{citation.number}] {show(citation.hit.source)}"
        st.subheader(escape_markdown(label), anchor=f"cite-{citation.number}")
        render_chunk(citation.number, citation.hit)
    unused = [(n, h) for n, h in enumerate(answer.retrieved, 1) if n not in answer.cited]
    if unused:
        with st.expander(f"Retrieved but not cited ({len(unused)})"):
            for number, hit in unused:
                render_chunk(number, hit)


with st.form("ask"):
    question = st.text_input("Question", placeholder="How do I register a template filter?")
    c1, c2 = st.columns(2)
    encoder, query_encoder = system_select(
        c1,
        "Retrieve with",
        system_choices(service, encoders),
        [default_system_label(service, encoders)],
    )
    top_k = c2.slider("Chunks to read", min_value=1, max_value=20, value=5)
    mode = mode_select(modes, service.settings.search_mode, key="ask")
    default_mode_caption(service)
    fusion = fusion_inputs(modes, key="ask")
    use_llm = False
    if service.llm_configured:
        name = escape_markdown(service.llm.name if service.llm else "")
        use_llm = st.checkbox(f"Answer with the LLM endpoint ({name})", value=True)
    else:
        st.caption(
            "Answers are extractive and offline. Set `DISTILSEARCH_LLM_URL` and "
            "`DISTILSEARCH_LLM_MODEL` to use an OpenAI-compatible endpoint instead."
        )
    filters = filter_inputs(service, encoders, key="ask")
    submitted = st.form_submit_button("Ask", type="primary")

if submitted and not question.strip():
    st.warning("Type a question first.")
elif submitted:
    with st.spinner("Reading the retrieved chunks…"):
        answer = attempt(
            lambda: service.answer(
                question, encoder, top_k, filters, use_llm, query_encoder, mode=mode, fusion=fusion
            )
        )
    if answer is not None:
        render(answer)
        reason_caption(service, encoder, None if query_encoder == encoder else query_encoder)
        student_notes(service, encoders)
