"""What a page says about its encoders: those it does not offer, which one it used and
why, and each distilled student's agreement with its teacher.

Pages offer only encoders with a collection (``SearchService.indexed_encoders``); the rest
of the registry (``SearchService.missing_encoders``) is named next to the encoder picker,
struck through and grey, each with its command, instead of a warning. The texts come from
:mod:`usecases.system_notes`.
"""

from __future__ import annotations

import re

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from search_app.components import attempt, code_span, escape_markdown
from usecases.results import system_label
from usecases.search import SearchService
from usecases.system_notes import default_system, student_statuses, system_reason

#: The command at the end of a ``missing_encoders`` reason: ``not indexed (COMMAND)``.
_COMMAND = re.compile(r"\((distilsearch [^()]*)\)\s*$")


def missing_encoders_note(service: SearchService, container: DeltaGenerator | None = None) -> None:
    """The registry encoders a page does not offer (no collection yet), greyed, each with
    the command that makes it searchable; nothing once every one is indexed.

    ``make demo`` indexes the teacher, the student and its int8 export, so after it the
    note is gone.
    """
    missing = attempt(service.missing_encoders) or {}
    notes = []
    for name, how in missing.items():
        command = _COMMAND.search(how)
        what = f"`{code_span(command.group(1))}`" if command else escape_markdown(how)
        notes.append(f"~~{escape_markdown(name)}~~ {what}")
    if notes:
        (container or st).caption(":gray[Not offered until indexed: " + " · ".join(notes) + "]")


def default_system_label(service: SearchService, encoders: list[str]) -> str:
    """The picker label of the system a page starts with (:func:`default_system`)."""
    encoder, queries = default_system(service, encoders)
    return system_label(encoder, None if queries == encoder else queries)


def student_notes(service: SearchService, encoders: list[str]) -> None:
    """Every indexed distilled student's recorded agreement with its teacher (or that none
    is recorded), whichever system the page uses; a warning for an under-trained one."""
    for status in attempt(lambda: student_statuses(service, encoders)) or []:
        st.caption(escape_markdown(status.lines[0]))
        for warning in status.lines[1:]:
            st.warning(escape_markdown(warning))


def reason_caption(service: SearchService, encoder: str, query_encoder: str | None) -> None:
    """Which index and query encoder the page used, and why (:func:`system_reason`)."""
    reason = attempt(lambda: system_reason(service, encoder, query_encoder))
    if reason:
        st.caption(f"Searched with {escape_markdown(reason)}")
