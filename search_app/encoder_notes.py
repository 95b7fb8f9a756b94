"""Encoders a page does not offer: shown greyed with the command that makes them searchable.

Pages offer only encoders with a collection (``SearchService.indexed_encoders``); the rest
of the registry (``SearchService.missing_encoders``) is named next to the encoder picker,
struck through and grey, each with its command, instead of a warning.
"""

from __future__ import annotations

import re

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from search_app.components import attempt, code_span, escape_markdown
from usecases.search import SearchService

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
