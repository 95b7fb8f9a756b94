"""Index: what the index holds (chunks, files and disk per collection), each distilled
student's record (agreement, under-trained or not, the speed/agreement frontier), and,
when the operator turned writes on, uploads with progress and deleting a source.

A read-only page offers nothing it would refuse: no upload or delete form, no mention
of them beyond how the operator turns writes on.
"""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor

import streamlit as st

from search_app.components import (
    attempt,
    code_span,
    escape_markdown,
    format_bytes,
    require_service,
    source_format,
    write_key,
)
from usecases.library import supported_suffixes
from usecases.results import IndexOverview, UploadReport
from usecases.system_notes import UNDERTRAINED, student_statuses
from usecases.uploads import UploadProgress

st.title("Index")
service = require_service()
WRITES = service.index.writes.enabled
st.caption(
    "What the index holds, per encoder collection. Add documents "
    + ("by upload below, or " if WRITES else "")
    + "from the terminal with `distilsearch index PATH --encoder NAME`."
)
LIST_WAIT_S = 5.0  # longer scans go on in the background; the page shows what is ready
stats_box = st.container()  # filled last, so it shows the effect of this run's changes


def render_stats(overview: IndexOverview) -> None:
    cols = st.columns(4)
    cols[0].metric("chunks", f"{overview.chunks:,}")
    listed = all(c.files is not None for c in overview.collections)
    cols[1].metric("files", f"{len(overview.sources):,}" if listed else "…")
    cols[2].metric("encoders", len(overview.collections))
    cols[3].metric("disk", format_bytes(overview.disk_bytes))
    if not overview.collections:
        st.info("Nothing is indexed yet: upload files below, or run `distilsearch index PATH`.")
        return
    if not listed:
        st.caption("Listing the sources of a large index in the background: reload soon.")
    on_server = service.store.is_server
    st.dataframe(
        [
            {
                "encoder": c.encoder,
                "collection": c.collection,
                "chunks": f"{c.chunks:,}",
                "files": "…" if c.files is None else f"{c.files:,}",
                "disk": disk_cell(c.disk_bytes, on_server),
            }
            for c in overview.collections
        ],
        hide_index=True,
        width="stretch",
    )
    student_section([c.encoder for c in overview.collections])
    show = source_format(service)
    with st.expander(f"Sources ({len(overview.sources)})"):
        if show.roots:
            folders = " and ".join(f"`{code_span(root)}`" for root in reversed(show.roots))
            st.caption(f"Paths relative to {folders} (uploads: under the data folder).")
        names = [c.encoder for c in overview.collections]
        st.dataframe(
            [
                {"source": show(s), **{n: counts.get(n, 0) for n in names}}
                for s, counts in overview.sources.items()
            ],
            hide_index=True,
            width="stretch",
        )


def disk_cell(size: int | None, on_server: bool) -> str:
    """A collection's bytes in the Lite file; a server keeps its own storage."""
    if size is None:
        return "kept by the server" if on_server else "—"
    return format_bytes(size)


def student_section(encoders: list[str]) -> None:
    """Each indexed distilled student: its recorded agreement with the teacher, a warning
    when its training was cut short, and the speed/agreement frontier ``distill`` measured
    on these documents (when recorded)."""
    for status in attempt(lambda: student_statuses(service, encoders)) or []:
        st.markdown(f"#### Student `{code_span(status.encoder)}`")
        st.caption(escape_markdown(status.agreement))
        if status.undertrained:
            st.warning(escape_markdown(f"{status.encoder} is {UNDERTRAINED}."))
        if status.frontier:
            recommended = status.recommended or "—"
            st.caption(
                "Speed against agreement with the teacher, measured by `distilsearch distill` "
                f"on these documents; recommended: `{code_span(recommended)}` (agreement "
                f"threshold {escape_markdown(status.threshold or '—')})."
            )
            st.dataframe(list(status.frontier), hide_index=True, width="stretch")


def render_upload(report: UploadReport) -> None:
    indexed, rejected = report.count("indexed"), report.count("rejected")
    failed = report.count("failed") + report.count("skipped")
    message = (
        f"{indexed} indexed, {report.count('unchanged')} unchanged, {failed} failed or "
        f"empty, {rejected} rejected in {report.seconds:.1f} s"
    )
    (st.success if not (rejected or failed) else st.warning)(message)
    st.dataframe(
        [
            {
                "file": o.name,
                "status": o.status,
                "chunks": o.chunks,
                "encoders": ", ".join(o.encoders),
                "reason": o.reason,
            }
            for o in report.outcomes
        ],
        hide_index=True,
        width="stretch",
    )


def index_with_progress(
    uploads: list[tuple[str, bytes]], encoders: list[str], key: str
) -> UploadReport:
    """Index in a worker thread; this (script) thread draws its progress events: files
    through, chunks per second over the last minute and the time left, per phase (the
    run, and a large file being encoded).

    The indexer may report progress from its own threads, where Streamlit calls fail.
    """
    events: queue.Queue[UploadProgress] = queue.Queue()
    bar = st.progress(0.0, text="Checking the files…")
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(service.library.index_uploads, uploads, encoders, events.put, key=key)
        try:
            while not (future.done() and events.empty()):
                try:
                    event = events.get(timeout=0.2)
                except queue.Empty:
                    continue
                parts = [event.summary, event.batch, event.name]
                bar.progress(
                    event.fraction, text=escape_markdown(" · ".join(p for p in parts if p))
                )
        finally:
            bar.empty()
        return future.result()


def upload_section(key: str) -> None:
    st.subheader("Add documents")
    suffixes = sorted(s.lstrip(".") for s in supported_suffixes())
    available = attempt(service.available_encoders) or []
    indexed = attempt(service.indexed_encoders) or []
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            "Files",
            type=suffixes,
            accept_multiple_files=True,
            max_upload_size=service.settings.max_upload_mb,  # the one limit; the widget shows it
            help="A file with the name of an earlier upload replaces its chunks.",
        )
        wanted = indexed or [service.settings.encoder]
        default = [e for e in wanted if e in available]
        chosen = st.multiselect("Index with", available, default=default)
        upload = st.form_submit_button("Upload and index", type="primary")
    if upload and not files:
        st.warning("Choose one or more files first.")
    elif upload:
        uploads = [(f.name, f.getvalue()) for f in files]
        report = attempt(lambda: index_with_progress(uploads, chosen, key))
        if report is not None:
            render_upload(report)


def delete_section(key: str, overview: IndexOverview | None) -> IndexOverview | None:
    st.subheader("Delete a source")
    sources = sorted(overview.sources) if overview else []
    if not sources:
        st.caption("No sources to delete.")
        return overview
    show = source_format(service)
    with st.form("delete"):
        source = st.selectbox("Source", sources, format_func=show)
        confirm = st.checkbox("Yes, delete every chunk of this source from every encoder")
        delete = st.form_submit_button("Delete")
    if delete and not confirm:
        st.warning("Tick the confirmation box first.")
    elif delete:
        deleted = attempt(lambda: service.library.delete_source(source, key=key))
        if deleted is not None:
            counts = ", ".join(f"{n} from {escape_markdown(e)}" for e, n in deleted.items())
            st.success(f"Deleted {escape_markdown(show(source))}: {counts or 'nothing'}")
            return attempt(lambda: service.library.overview(wait=LIST_WAIT_S))
    return overview


key = write_key(service, "uploads or deletes")
if key is not None:
    upload_section(key)
overview = attempt(lambda: service.library.overview(wait=LIST_WAIT_S))
if key is not None:
    overview = delete_section(key, overview)

with stats_box:
    if overview is not None:
        render_stats(overview)
