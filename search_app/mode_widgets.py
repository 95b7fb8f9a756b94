"""The search-mode widgets the Search, Ask and Compare pages share.

A page offers only the modes every indexed collection serves: a collection built before
full text gets a warning naming the rebuild command, and keyword and hybrid are not
offered until it is rebuilt. The default mode comes from the settings
(``DISTILSEARCH_SEARCH_MODE``), and a caption says what it is and where the evidence is.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from indexer import MODES, Mode
from indexer.stores import Fusion
from search_app.components import attempt, code_span, escape_markdown
from usecases.search import SearchService
from usecases.search_modes import MODE_EVIDENCE

MODE_HELP = (
    "dense: by meaning (the query's embedding). keyword: by the query's words (BM25 "
    "inside Milvus; nothing is encoded). hybrid: both rankings fused (RRF by default)."
)
FUSION_NAMES = {"rrf": "reciprocal rank (RRF)", "weighted": "weighted scores"}


def offered_modes(service: SearchService, encoders: list[str]) -> tuple[Mode, ...]:
    """The modes every one of ``encoders``' collections serves; each collection built
    before full text gets a warning with the command that rebuilds it."""
    offered = list(MODES)
    for name in encoders:
        support = attempt(lambda n=name: service.mode_support(n))
        if support is None or support.full_text:
            continue
        st.warning(f"{escape_markdown(support.note)} `{code_span(support.command)}`")
        offered = [mode for mode in offered if mode in support.modes]
    return tuple(offered)


def default_mode_caption(service: SearchService, container: DeltaGenerator | None = None) -> None:
    """``default: dense — see docs/results/hybrid.md``, with why and how to change it."""
    mode = service.settings.search_mode
    why = (
        " (on the dev suite hybrid gained on SciFact but lost to dense on both FAQ sets)"
        if mode == "dense"
        else ""
    )
    (container or st).caption(
        f"default: **{escape_markdown(mode)}** — see `{MODE_EVIDENCE}`{why}; "
        "the operator sets it with `DISTILSEARCH_SEARCH_MODE`."
    )


def mode_select(
    offered: tuple[Mode, ...],
    default: str,
    key: str,
    label: str = "Mode",
    container: DeltaGenerator | None = None,
) -> Mode:
    """A horizontal choice among ``offered``, ``default`` preselected when offered."""
    index = offered.index(default) if default in offered else 0  # type: ignore[arg-type]
    chosen = (container or st).radio(
        label, offered, index=index, horizontal=True, key=f"{key}_mode", help=MODE_HELP
    )
    return chosen or offered[0]


def fusion_inputs(offered: tuple[Mode, ...], key: str) -> Fusion | None:
    """The hybrid fusion (advanced, folded): RRF with its k, or a dense weight. None when
    hybrid is not offered."""
    if "hybrid" not in offered:
        return None
    with st.expander("Hybrid fusion (advanced)"):
        kind = st.radio(
            "Fusion",
            list(FUSION_NAMES),
            format_func=FUSION_NAMES.__getitem__,
            horizontal=True,
            key=f"{key}_fusion",
        )
        rrf_k = st.number_input(
            "RRF k",
            min_value=1,
            max_value=16383,
            value=60,
            step=1,
            key=f"{key}_rrf_k",
            help="RRF: each ranking adds 1 / (k + rank); a larger k flattens the ranks.",
        )
        weight = st.slider(
            "Dense weight",
            min_value=0.0,
            max_value=1.0,
            value=0.5,
            step=0.05,
            key=f"{key}_dense_weight",
            help="Weighted: dense score × w + keyword score × (1 − w), both normalised.",
        )
    return Fusion(kind or "rrf", int(rrf_k), float(weight))
