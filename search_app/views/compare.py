"""Compare: one query through the student and the teacher side by side.

Either side may also be ``student docs + teacher queries`` (teacher-query mode), so the
student can face its own index searched with the teacher's queries, and each side has
its own search mode, so one encoder can face itself dense against hybrid; any two indexed
systems can face each other. Below the one query's verdict, the page says which system
each side used and why, and every indexed student's recorded agreement over the user's
documents. The table names the sides A (reference) and B (candidate), so it fits a
1280-pixel window; texts are shown without their markup.
"""

from __future__ import annotations

import streamlit as st

from indexer.readable import heading_label
from search_app.components import (
    SourceFormat,
    attempt,
    code_span,
    default_index,
    escape_markdown,
    filter_inputs,
    indexed_or_stop,
    require_service,
    source_format,
    system_choices,
    system_select,
)
from search_app.encoder_notes import (
    missing_encoders_note,
    reason_caption,
    student_notes,
)
from search_app.hits import shown_text
from search_app.mode_widgets import default_mode_caption, fusion_inputs, mode_select, offered_modes
from usecases.compare import ComparedHit, Comparison
from usecases.results import system_label

st.title("Compare")
st.caption(
    "One query through two encoders (or one encoder in two search modes), each on its "
    "own collection, joined by chunk id: overlap@k, rank shifts, each side's "
    "cosine(query, chunk) and latency."
)

service = require_service()
encoders = indexed_or_stop(service)
systems = system_choices(service, encoders)
modes = offered_modes(service, encoders)
if len(systems) < 2:
    missing = "student" if "student" not in encoders else "teacher"
    alone = (
        "compare its search modes here (dense against hybrid)"
        if len(modes) > 1
        else "there is nothing to compare it with"
    )
    st.info(
        f"Only `{code_span(encoders[0])}` is indexed, so {alone}. To compare encoders, index "
        f"the same documents with the other one, e.g. `distilsearch index PATH --encoder "
        f"{missing}` (the student needs a distilled model: `distilsearch distill`), "
        "or pick it on the **Index** page when uploading."
    )
    missing_encoders_note(service)
    if len(modes) < 2:
        st.stop()


def _shift(row: ComparedHit) -> str:
    if row.rank_shift is None:
        return "A only" if row.candidate_rank is None else "B only"
    if row.rank_shift == 0:
        return "="
    return f"▼{row.rank_shift}" if row.rank_shift > 0 else f"▲{-row.rank_shift}"


#: Pixel widths that keep the eight columns inside a 1280-pixel window with the sidebar.
COLUMN_WIDTHS = {
    **{name: st.column_config.TextColumn(width=56) for name in ("A rank", "B rank", "shift")},
    **{name: st.column_config.TextColumn(width=64) for name in ("cos A", "cos B", "emb cos")},
    "source": st.column_config.TextColumn(width=230),
    "section": st.column_config.TextColumn(width=210),
}


def student_label() -> str:
    """The student's picker label with its default pairing (``student docs + teacher-onnx
    queries``); ``student`` when it has none or is not indexed."""
    paired = (
        attempt(lambda: service.default_query_encoder("student")) if "student" in encoders else None
    )
    return system_label("student", paired)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _rank(value: int | None) -> str:
    return "—" if value is None else str(value)


def table_rows(comparison: Comparison, show: SourceFormat) -> list[dict[str, str]]:
    """The joined rows as text (``—`` where a side has no rank or score; never None),
    sides named A (reference) and B (candidate) to keep the columns narrow."""
    return [
        {
            "A rank": _rank(row.reference_rank),
            "B rank": _rank(row.candidate_rank),
            "shift": _shift(row),
            "source": show(row.hit.source),
            "section": heading_label(row.hit.section),
            "cos A": _fmt(row.reference_score),
            "cos B": _fmt(row.candidate_score),
            "emb cos": _fmt(row.embedding_cosine),
        }
        for row in comparison.rows
    ]


def render(comparison: Comparison) -> None:
    cand, ref = comparison.candidate, comparison.reference
    show = source_format(service)
    st.subheader(escape_markdown(comparison.verdict))
    reason_caption(service, ref.encoder, ref.query_encoder)
    reason_caption(service, cand.encoder, cand.query_encoder)
    student_notes(service, encoders)
    cols = st.columns(4)
    cols[0].metric(f"overlap@{comparison.top_k}", f"{comparison.overlap} / {comparison.depth}")
    shift = comparison.mean_abs_rank_shift
    cols[1].metric("mean |rank shift|", "—" if shift is None else f"{shift:.1f}")
    c_name, r_name = escape_markdown(cand.label), escape_markdown(ref.label)
    cols[2].metric(f"{c_name} latency", f"{cand.total_ms:.0f} ms")
    cols[3].metric(f"{r_name} latency", f"{ref.total_ms:.0f} ms")
    st.caption(
        f"{c_name}: {cand.encode_ms:.0f} ms encode + {cand.search_ms:.0f} ms search · "
        f"{r_name}: {ref.encode_ms:.0f} ms encode + {ref.search_ms:.0f} ms search. "
        f"**A** = {r_name} (reference), **B** = {c_name} (candidate). "
        "Shift = B's rank − A's rank (▼ ranked lower by B; A only / B only: one side "
        "retrieved it; — : no figure). "
        "cos A / cos B: cos(query, chunk), the chunk's dense score in each side's own index, "
        "also where that side did not retrieve it and where it ranked by keyword or hybrid "
        "score; emb cos: the chunk's two embeddings compared."
    )
    st.dataframe(
        table_rows(comparison, show),
        hide_index=True,
        width="stretch",
        column_config=COLUMN_WIDTHS,
    )
    if comparison.embedding_note:
        st.caption(escape_markdown(comparison.embedding_note))
    left, right = st.columns(2)
    by_id = {row.hit.id: row for row in comparison.rows}
    for column, result in ((left, ref), (right, cand)):
        with column:
            st.markdown(f"**{escape_markdown(result.label)}** · {result.total_ms:.0f} ms")
            for rank, hit in enumerate(result.hits, 1):
                row = by_id[hit.id]
                with st.container(border=True):
                    where = escape_markdown(show(hit.source))
                    shift = escape_markdown(_shift(row))
                    st.markdown(f"**{rank}.** `{hit.score:.3f}` · {where} · {shift}")
                    text = shown_text(hit.text)
                    st.text(text[:400] + ("…" if len(text) > 400 else ""))


with st.form("compare"):
    query = st.text_input("Query", placeholder="how do I write a custom template filter?")
    c1, c2, c3 = st.columns([2, 2, 2])
    options, student_default = list(systems), student_label()
    cand_label = options[default_index(options, [student_default, "student", "student-int8"])]
    candidate = system_select(c1, "Candidate (B)", systems, [cand_label])
    others = [o for o in options if o != cand_label]  # the reference differs by default
    reference = system_select(c2, "Reference (A)", systems, ["teacher", *others])
    top_k = c3.slider("Top k", min_value=1, max_value=50, value=10)
    m1, m2 = st.columns(2)
    ref_default = cand_default = service.settings.search_mode
    if len(systems) < 2:  # one system alone: it faces itself in another mode
        cand_default = "hybrid" if ref_default != "hybrid" else "dense"
    cand_mode = mode_select(modes, cand_default, "compare_candidate", "Candidate mode", m1)
    ref_mode = mode_select(modes, ref_default, "compare_reference", "Reference mode", m2)
    default_mode_caption(service)
    fusion = fusion_inputs(modes, key="compare")
    embeddings = st.checkbox(
        "Also compare each chunk's two embeddings (encodes the hits with both encoders)",
        value=True,
    )
    filters = filter_inputs(service, encoders, key="compare")
    submitted = st.form_submit_button("Compare", type="primary")

if submitted and not query.strip():
    st.warning("Type a query first.")
elif submitted:
    with st.spinner("Searching both sides…"):
        (cand_docs, cand_queries), (ref_docs, ref_queries) = candidate, reference
        comparison = attempt(
            lambda: service.compare(
                query,
                cand_docs,
                ref_docs,
                top_k,
                filters,
                embeddings,
                candidate_query_encoder=cand_queries,
                reference_query_encoder=ref_queries,
                candidate_mode=cand_mode,
                reference_mode=ref_mode,
                fusion=fusion,
            )
        )
    if comparison is not None:
        render(comparison)
