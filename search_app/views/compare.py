"""Compare: one query through the student and the teacher side by side.

Either side may also be ``student docs + teacher queries`` (teacher-query mode), so the
student can face its own index searched with the teacher's queries, and each side has
its own search mode, so one encoder can face itself dense against hybrid. Below the one
query's verdict, a student's recorded agreement over the user's documents is shown.
"""

from __future__ import annotations

import streamlit as st

from search_app.components import (
    attempt,
    code_span,
    escape_markdown,
    filter_inputs,
    indexed_or_stop,
    require_service,
    source_format,
    system_choices,
    system_select,
)
from search_app.encoder_notes import missing_encoders_note
from search_app.mode_widgets import default_mode_caption, fusion_inputs, mode_select, offered_modes
from usecases.compare import ComparedHit, Comparison

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
        return "only " + ("reference" if row.candidate_rank is None else "candidate")
    if row.rank_shift == 0:
        return "="
    return f"▼{row.rank_shift}" if row.rank_shift > 0 else f"▲{-row.rank_shift}"


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def render(comparison: Comparison) -> None:
    cand, ref = comparison.candidate, comparison.reference
    show = source_format(service)
    st.subheader(escape_markdown(comparison.verdict))
    for name in dict.fromkeys((cand.encoder, ref.encoder)):
        note = attempt(lambda n=name: service.agreement(n))
        if note:  # recorded by `distilsearch distill`: over many queries, not only this one
            st.caption(escape_markdown(note))
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
        "Shift = candidate rank − reference rank (▼ ranked lower by the candidate). "
        "cos(q, chunk): the chunk's dense score in each side's own index, also where that "
        "side did not retrieve it and where it ranked by keyword or hybrid score; "
        "embedding cos: the chunk's two embeddings compared."
    )
    table = [
        {
            f"{ref.label} rank": row.reference_rank,
            f"{cand.label} rank": row.candidate_rank,
            "shift": _shift(row),
            "source": show(row.hit.source),
            "section": row.hit.section,
            f"cos(q, chunk) {ref.label}": row.reference_score,
            f"cos(q, chunk) {cand.label}": row.candidate_score,
            "embedding cos": row.embedding_cosine,
        }
        for row in comparison.rows
    ]
    st.dataframe(table, hide_index=True, width="stretch")
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
                    st.text(hit.text[:400] + ("…" if len(hit.text) > 400 else ""))


with st.form("compare"):
    query = st.text_input("Query", placeholder="how do I write a custom template filter?")
    c1, c2, c3 = st.columns([2, 2, 2])
    candidate = system_select(c1, "Candidate (student)", systems, ["student", "student-int8"])
    reference = system_select(
        c2, "Reference (teacher)", systems, ["teacher", "student docs + teacher queries"]
    )
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
