"""Rendering helpers shared by the pages; retrieved text always goes out escaped.

Chunk text reaches the page only through ``st.text`` (plain text) or Markdown built
with :func:`escape_markdown` (every Markdown/HTML-significant character escaped), never
with ``unsafe_allow_html``.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from indexer.chunking import file_type_of
from indexer.names import shown_source
from indexer.stores import Filters
from search_app.resources import get_service
from usecases.results import system_label
from usecases.search import SearchService

logger = logging.getLogger(__name__)
T = TypeVar("T")

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:=^\"'%@/])")
#: Seconds a page waits for the source list before showing the form without it.
FILTER_WAIT_S = 2.0
NOTHING_INDEXED = (
    "Nothing is indexed yet. Run `distilsearch index PATH` (or `make demo`) first, "
    "or upload files on the **Index** page."
)


def escape_markdown(text: str) -> str:
    """``text`` with every Markdown/HTML-significant character backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def code_span(text: str) -> str:
    """Text for inside a Markdown code span (escapes are literal there): no backticks."""
    return text.replace("`", "'").replace("\n", " ")


@dataclass(frozen=True)
class SourceFormat:
    """How a page shows a stored source: relative to the first of ``roots`` holding it
    (whole when none does); :func:`indexer.names.shown_source`."""

    roots: tuple[str, ...] = ()

    def __call__(self, source: str) -> str:
        return shown_source(source, self.roots)


#: Sources shown whole (no root known).
WHOLE = SourceFormat()


def source_format(service: SearchService) -> SourceFormat:
    """Sources as every page and the CLI show them: relative to the folder the index was
    built from (``IndexLibrary.source_roots``); whole while the source lists of a large
    index are still loading."""
    return SourceFormat(attempt(lambda: service.library.source_roots(wait=FILTER_WAIT_S)) or ())


def table_text(rows: list[dict[str, Any]], digits: int = 2) -> list[dict[str, str]]:
    """Rows for ``st.dataframe`` as text: a missing figure (None, NaN, a key a row lacks)
    reads ``—`` (a table draws None as the word), floats with ``digits`` decimals."""

    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        return f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    keys = list(dict.fromkeys(key for row in rows for key in row))
    return [{key: cell(row.get(key)) for key in keys} for row in rows]


def format_bytes(size: int | None) -> str:
    if size is None:
        return "n/a"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def error_message(exc: BaseException) -> str:
    """What to tell the user about ``exc`` (KeyError's quotes dropped)."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc) or type(exc).__name__


def attempt(action: Callable[[], T]) -> T | None:
    """Run ``action``; on failure show the reason (escaped) and return None."""
    try:
        return action()
    except (ValueError, KeyError, RuntimeError, OSError) as exc:
        logger.info("user-facing error: %s", exc)
        st.error(escape_markdown(error_message(exc)))
    except Exception as exc:  # an unexpected failure still gets a message, not a traceback
        logger.exception("unexpected error")
        st.error(
            f"Unexpected error: {escape_markdown(type(exc).__name__)}: {escape_markdown(str(exc))}"
        )
    return None


def require_service() -> SearchService:
    """The process-wide service; on failure (locked or unreachable store) explain and stop."""
    try:
        return get_service()
    except Exception as exc:  # the store may be locked or unreachable: say so, don't crash
        st.error(f"Cannot open the index: {escape_markdown(error_message(exc))}")
        st.stop()
        raise  # unreachable: st.stop() raises


def indexed_or_stop(service: SearchService) -> list[str]:
    """The indexed encoders; an empty index shows how to start and stops the page."""
    encoders = attempt(service.indexed_encoders)
    if encoders is None:
        st.stop()
    if not encoders:
        st.info(NOTHING_INDEXED)
        st.stop()
    return encoders


def default_index(options: list[str], preferred: list[str]) -> int:
    """Index of the first ``preferred`` name present in ``options`` (else 0)."""
    return next((options.index(p) for p in preferred if p in options), 0)


#: A search system: (document encoder, query encoder; the same name for its own queries).
System = tuple[str, str]


def system_choices(service: SearchService, encoders: list[str]) -> dict[str, System]:
    """Search systems by label: each indexed encoder, and after a student distilled from
    the teacher, ``student docs + teacher queries`` (teacher-query mode)."""
    choices: dict[str, System] = {}
    for name in encoders:
        for query_encoder in attempt(lambda n=name: service.query_encoders(n)) or [name]:
            paired = None if query_encoder == name else query_encoder
            choices[system_label(name, paired)] = (name, query_encoder)
    return choices


def system_select(
    container: DeltaGenerator,
    label: str,
    choices: dict[str, System],
    preferred: list[str],
    help_text: str | None = None,
) -> System:
    """A select over ``choices``' labels, preferring the first of ``preferred`` present."""
    options = list(choices)
    if help_text is None and any(q != d for d, q in choices.values()):
        help_text = (
            "`X docs + teacher queries`: X's index, queries encoded by the teacher "
            "X was distilled from (its vectors share the teacher's space); "
            "`+ teacher-onnx queries`: the same teacher, its ONNX graph, "
            "faster."
        )
    chosen = container.selectbox(
        label, options, index=default_index(options, preferred), help=help_text
    )
    return choices[chosen]


def filter_inputs(service: SearchService, encoders: list[str], key: str) -> Filters | None:
    """Source and file-type pickers (inside a form); values go to the store's escaper.

    The options come from the default encoder's collection, without waiting: on a large
    index the list is fetched in the background and appears on a later run.
    """
    encoder = encoders[default_index(encoders, [service.settings.encoder])]
    sources = attempt(lambda: service.library.sources(encoder, wait=FILTER_WAIT_S))
    with st.expander("Filters"):
        if sources is None:
            st.caption("Listing the indexed sources… they appear here on your next search.")
            sources = {}
        chosen = st.multiselect(
            "Source", sorted(sources), format_func=source_format(service), key=f"{key}_src"
        )
        types = sorted({file_type_of(Path(source)) for source in sources})
        kinds = st.multiselect("File type", types, key=f"{key}_type")
    filters: dict[str, list[str]] = {}
    if chosen:
        filters["source"] = list(chosen)
    if kinds:
        filters["file_type"] = list(kinds)
    return filters or None


#: Where a session keeps the write key that unlocked writes.
WRITE_KEY_STATE = "write_key"


def write_key(service: SearchService, purpose: str) -> str | None:
    """The session's write key once it unlocks writes, else None with the reason shown.

    Writes (uploads, deletes, evaluation runs) are off unless the operator turned them on;
    then the page asks for the operator's key once per session. The service checks the
    key again on every write.
    """
    writes = service.index.writes
    if not writes.enabled:
        st.info(
            f"Read-only: no {purpose} here. The operator turns writes on with "
            "`distilsearch serve --allow-writes`."
        )
        return None
    known = st.session_state.get(WRITE_KEY_STATE)
    if writes.allows(known):
        return known
    entered = st.text_input(
        "Write key",
        type="password",
        key=f"write-key-{purpose}",
        help="The key the operator set (DISTILSEARCH_UI_SECRET) or the "
        "one `distilsearch serve --allow-writes` printed.",
    )
    if entered and writes.allows(entered):
        st.session_state[WRITE_KEY_STATE] = entered
        return entered
    if entered:
        st.error("That key does not unlock writes.")
    else:
        st.caption(f"Enter the write key to allow {purpose}.")
    return None
