"""Evaluate: open a ``distilsearch eval`` report (or, when writes are on, run a small one);
drill down per query. A read-only page shows no run tab and does not mention one."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from evaluation import EvalReport, read_queries
from search_app.components import (
    attempt,
    escape_markdown,
    require_service,
    table_text,
    write_key,
)

st.title("Evaluate")
st.caption(
    "Retrieval quality (nDCG@10, recall, MRR, MAP), student-vs-teacher fidelity and "
    "latency from `distilsearch eval`, and per query: where does the student lose?"
)

service = require_service()


def pick_pair(report: EvalReport, key: str) -> tuple[str, str, str]:
    """``(system, reference, metric)`` chosen on the page."""
    systems, metrics = list(report.systems), report.metric_names()
    c1, c2, c3 = st.columns(3)
    first = next((s for s in systems if s.startswith("student")), systems[0])
    system = c1.selectbox("System", systems, index=systems.index(first), key=f"{key}_sys")
    others = [s for s in systems if s != system]
    ref_name = str(report.fidelity.get(system, {}).get("reference", "teacher"))
    reference = c2.selectbox(
        "Against",
        others,
        index=others.index(ref_name) if ref_name in others else 0,
        key=f"{key}_ref",
    )
    metric = c3.selectbox(
        "Metric",
        metrics,
        index=metrics.index("ndcg@10") if "ndcg@10" in metrics else 0,
        key=f"{key}_metric",
    )
    return system, reference, metric


def drill_down(report: EvalReport, key: str) -> None:
    st.markdown("#### Per query")
    if len(report.systems) < 2 or not report.metric_names():
        st.info("Per-query comparison needs two systems with metrics in the report.")
        return
    system, reference, metric = pick_pair(report, key)
    dataset_dir = st.text_input(
        "BEIR folder with queries.jsonl (optional, to show query texts)", key=f"{key}_data"
    )
    texts = read_queries(Path(dataset_dir)) if dataset_dir.strip() else {}
    deltas = report.per_query(system, reference, metric)
    scored = [d for d in deltas if d.diff is not None]
    losses = sum(1 for d in scored if d.diff < 0)
    wins = sum(1 for d in scored if d.diff > 0)
    st.markdown(
        f"**{escape_markdown(system)}** loses to **{escape_markdown(reference)}** on "
        f"**{losses}** of {len(scored)} queries by {escape_markdown(metric)}, wins on {wins}, "
        f"ties on {len(scored) - losses - wins}. Worst first:"
    )
    rows = [
        {
            "query": d.query_id,
            "text": texts.get(d.query_id, ""),
            system: d.system,
            reference: d.reference,
            "diff": d.diff,
            "overlap": d.overlap,
            "rbo": d.rbo,
        }
        for d in deltas
    ]
    st.dataframe(table_text(rows, 3), hide_index=True, width="stretch")
    ids = [d.query_id for d in deltas]
    chosen = st.selectbox("Inspect a query", ids, key=f"{key}_query") if ids else None
    if chosen is not None:
        mine = report.query_metrics(system, chosen)
        theirs = report.query_metrics(reference, chosen)
        if texts.get(chosen):
            st.text(texts[chosen])
        names = sorted(set(mine) | set(theirs))
        st.dataframe(
            table_text(
                [{"metric": m, system: mine.get(m), reference: theirs.get(m)} for m in names], 3
            ),
            hide_index=True,
        )


def render_report(report: EvalReport, key: str) -> None:
    st.subheader(escape_markdown(f"{report.dataset} ({report.split}) · created {report.created}"))
    st.caption(escape_markdown(str(report.folder)))
    for problem in report.problems:
        st.warning(escape_markdown(problem))
    if not report.systems:
        st.info("This report holds no systems.")
        return
    st.markdown("#### Quality (× 100)")
    st.dataframe(table_text(report.metric_rows()), hide_index=True, width="stretch")
    st.markdown("#### Efficiency")
    st.dataframe(table_text(report.efficiency_rows()), hide_index=True, width="stretch")
    if report.fidelity:
        st.markdown("#### Fidelity to the reference")
        st.dataframe(table_text(report.fidelity_rows(), 3), hide_index=True, width="stretch")
    if report.significance:
        st.markdown("#### Paired significance")
        st.dataframe(table_text(report.significance_rows(), 4), hide_index=True, width="stretch")
    if report.plots:
        columns = st.columns(min(3, len(report.plots)))
        for i, plot in enumerate(report.plots):
            columns[i % len(columns)].image(str(plot), caption=plot.name)
    drill_down(report, key)


def run_section(write: str) -> None:
    """The small-evaluation form; ``write`` is the key that unlocked writes."""
    indexable = attempt(service.available_encoders) or []
    with st.form("run_eval"):
        dataset_dir = st.text_input("BEIR folder (corpus.jsonl, queries.jsonl, qrels/)")
        chosen = st.multiselect(
            "Encoders", indexable, default=[e for e in ("student", "teacher") if e in indexable]
        )
        c1, c2, c3 = st.columns(3)
        max_queries = c1.number_input("Queries", min_value=1, max_value=1000, value=30)
        max_docs = c2.number_input("Documents", min_value=10, max_value=100_000, value=300)
        split = c3.text_input("Split", value="test")
        run = st.form_submit_button("Run", type="primary")
    if run and not dataset_dir.strip():
        st.warning("Name a BEIR folder first.")
    elif run:
        with st.spinner("Indexing the sample and running the queries…"):
            out = attempt(
                lambda: service.reports.run_small(
                    Path(dataset_dir.strip()),
                    chosen,
                    int(max_queries),
                    int(max_docs),
                    split.strip() or "test",
                    key=write,
                )
            )
        if out is not None:
            st.success(f"Report written to {escape_markdown(str(out))}")
            loaded = attempt(lambda: service.reports.load(out))
            if loaded is not None:
                render_report(loaded, "run")


WRITES = service.index.writes.enabled
tabs = st.tabs(["Open a report", "Run a small evaluation"] if WRITES else ["Open a report"])
with tabs[0]:
    found = attempt(service.reports.find) or []
    typed = st.text_input("Report folder", placeholder="reports/scifact")
    options = [str(p) for p in found]
    picked = st.selectbox("…or one found under reports/", options) if options else None
    folder = typed.strip() or picked
    if not folder:
        st.info(
            "No reports found under `reports/` or the data folder. Write one with "
            "`distilsearch eval --dataset PATH --encoders teacher,student --out reports/NAME`"
            + (", or run a small one in the next tab." if WRITES else ".")
        )
    else:
        report = attempt(lambda: service.reports.load(Path(folder)))
        if report is not None:
            render_report(report, "open")


if WRITES:
    with tabs[1]:
        unlocked = write_key(service, "evaluation runs")
        if unlocked is not None:
            run_section(unlocked)
