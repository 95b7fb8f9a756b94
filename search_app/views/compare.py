"""Compare: one query through the student and the teacher side by side."""

from __future__ import annotations

import streamlit as st

from search_app.compare import ComparedHit, Comparison
from search_app.components import (
    attempt,
    default_index,
    escape_markdown,
    filter_inputs,
    indexed_or_stop,
    missing_encoders_note,
    require_service,
    short_source,
)

st.title("Compare")
st.caption(
    "One query through two encoders, each on its own collection, joined by chunk id: "
    "overlap@k, rank shifts, each side's cosine(query, chunk) and latency."
)

service = require_service()
encoders = indexed_or_stop(service)
if len(encoders) < 2:
    missing = "student" if "student" not in encoders else "teacher"
    st.info(
        f"Only `{encoders[0]}` is indexed, so there is nothing to compare it with. Index the "
        f"same documents with the other encoder, e.g. `distilsearch index PATH --encoder "
        f"{missing}` (the student needs a distilled model: `distilsearch distill`), "
        "or pick it on the **Index** page when uploading."
    )
    missing_encoders_note(service)
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
    st.subheader(escape_markdown(comparison.verdict))
    cols = st.columns(4)
    cols[0].metric(f"overlap@{comparison.top_k}", f"{comparison.overlap} / {comparison.depth}")
    shift = comparison.mean_abs_rank_shift
    cols[1].metric("mean |rank shift|", "—" if shift is None else f"{shift:.1f}")
    c_name, r_name = escape_markdown(cand.encoder), escape_markdown(ref.encoder)
    cols[2].metric(f"{c_name} latency", f"{cand.total_ms:.0f} ms")
    cols[3].metric(f"{r_name} latency", f"{ref.total_ms:.0f} ms")
    st.caption(
        f"{c_name}: {cand.encode_ms:.0f} ms encode + {cand.search_ms:.0f} ms search · "
        f"{r_name}: {ref.encode_ms:.0f} ms encode + {ref.search_ms:.0f} ms search. "
        "Shift = candidate rank − reference rank (▼ ranked lower by the candidate). "
        "cos(q, chunk): the chunk's score in each encoder's own index, also where that "
        "encoder did not retrieve it; embedding cos: the chunk's two embeddings compared."
    )
    table = [
        {
            f"{ref.encoder} rank": row.reference_rank,
            f"{cand.encoder} rank": row.candidate_rank,
            "shift": _shift(row),
            "source": short_source(row.hit.source),
            "section": row.hit.section,
            f"cos(q, chunk) {ref.encoder}": row.reference_score,
            f"cos(q, chunk) {cand.encoder}": row.candidate_score,
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
            st.markdown(f"**{escape_markdown(result.encoder)}** · {result.total_ms:.0f} ms")
            for rank, hit in enumerate(result.hits, 1):
                row = by_id[hit.id]
                with st.container(border=True):
                    where = escape_markdown(short_source(hit.source))
                    shift = escape_markdown(_shift(row))
                    st.markdown(f"**{rank}.** `{hit.score:.3f}` · {where} · {shift}")
                    st.text(hit.text[:400] + ("…" if len(hit.text) > 400 else ""))


with st.form("compare"):
    query = st.text_input("Query", placeholder="how do I write a custom template filter?")
    c1, c2, c3 = st.columns([2, 2, 2])
    candidate = c1.selectbox(
        "Candidate (student)", encoders, index=default_index(encoders, ["student", "student-int8"])
    )
    reference = c2.selectbox(
        "Reference (teacher)", encoders, index=default_index(encoders, ["teacher"])
    )
    top_k = c3.slider("Top k", min_value=1, max_value=50, value=10)
    embeddings = st.checkbox(
        "Also compare each chunk's two embeddings (encodes the hits with both encoders)",
        value=True,
    )
    filters = filter_inputs(service, encoders, key="compare")
    submitted = st.form_submit_button("Compare", type="primary")

if submitted and not query.strip():
    st.warning("Type a query first.")
elif submitted:
    with st.spinner("Searching with both encoders…"):
        comparison = attempt(
            lambda: service.compare(query, candidate, reference, top_k, filters, embeddings)
        )
    if comparison is not None:
        render(comparison)
