"""``distilsearch search``: query an index from the terminal.

``--query-encoder teacher`` with ``--encoder student`` is teacher-query mode: the
student's index, queries encoded by the teacher it was distilled from. ``--mode``
matches the query by meaning (``dense``), by its words (``keyword``, BM25) or both
(``hybrid``, fused by RRF or by weighted scores); it combines with ``--query-encoder``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable

from core.settings import SEARCH_MODES, Settings
from indexer.names import shown_source
from indexer.readable import heading_label, readable_text
from indexer.stores import Fusion
from shell.common import EXIT_OK, Handler, Subparsers, add_store_options


def register(sub: Subparsers, handlers: dict[str, Handler]) -> None:
    """Add the ``search`` subcommand."""
    p = sub.add_parser("search", help="search an index from the terminal")
    p.add_argument("query")
    p.add_argument("-k", "--top-k", type=int, default=5, help="how many hits (default 5)")
    p.add_argument(
        "--source",
        help="only chunks from this source: its path as the results "
        "show it (relative to the folder indexed) or its absolute path",
    )
    p.add_argument("--file-type", help="only chunks of this file type (txt, md, html, ...)")
    p.add_argument("--json", action="store_true", help="print hits as JSON")
    p.add_argument(
        "--query-encoder",
        metavar="NAME",
        help="encode the query with this encoder instead of --encoder's: the teacher that "
        "--encoder's student was distilled from (its distill_meta.json names the teacher) "
        "or that teacher's fp32 export (teacher-onnx: the same vectors, faster). "
        "e.g. --encoder student --query-encoder teacher-onnx",
    )
    add_mode_options(p)
    add_store_options(p)
    handlers["search"] = run_search


def add_mode_options(p: argparse.ArgumentParser) -> None:
    """``--mode`` and the hybrid fusion's ``--fusion``, ``--rrf-k`` and ``--dense-weight``."""
    p.add_argument(
        "--mode",
        choices=SEARCH_MODES,
        help="dense: by meaning (embeddings); keyword: by the query's words (BM25, "
        "nothing encoded); hybrid: both rankings fused (default: "
        "$DISTILSEARCH_SEARCH_MODE or dense). Keyword and hybrid need a collection "
        "with full text: one indexed before it existed needs "
        "`distilsearch index PATH --rebuild`",
    )
    p.add_argument(
        "--fusion",
        choices=("rrf", "weighted"),
        help="how --mode hybrid fuses: rrf (reciprocal rank, the default) or "
        "weighted (normalised scores; implied by --dense-weight)",
    )
    p.add_argument(
        "--rrf-k",
        type=int,
        metavar="K",
        help="RRF's k: each ranking adds 1 / (K + rank) (default 60)",
    )
    p.add_argument(
        "--dense-weight",
        type=float,
        metavar="W",
        help="weighted fusion: W x dense + (1 - W) x keyword, W in [0, 1] (default 0.5)",
    )


def fusion_from_args(args: argparse.Namespace, mode: str) -> Fusion | None:
    """The fusion the flags describe (None outside hybrid); ``ValueError`` on flags that
    contradict each other or the mode."""
    given = [
        f
        for f, v in (
            ("--fusion", args.fusion),
            ("--rrf-k", args.rrf_k),
            ("--dense-weight", args.dense_weight),
        )
        if v is not None
    ]
    if mode != "hybrid":
        if given:
            raise ValueError(f"{', '.join(given)} only apply to --mode hybrid (mode: {mode})")
        return None
    kind = args.fusion or ("weighted" if args.dense_weight is not None else "rrf")
    if kind == "rrf" and args.dense_weight is not None:
        raise ValueError("--dense-weight applies to --fusion weighted, not rrf")
    if kind == "weighted" and args.rrf_k is not None:
        raise ValueError("--rrf-k applies to --fusion rrf, not weighted")
    defaults = Fusion()
    return Fusion(
        kind,
        defaults.rrf_k if args.rrf_k is None else args.rrf_k,
        defaults.dense_weight if args.dense_weight is None else args.dense_weight,
    )


def stored_source(given: str, roots: tuple[str, ...], known: Iterable[str]) -> str:
    """The stored source a ``--source`` value names: absolute as given, else the ``known``
    source it is shown as (relative to one of ``roots``), else as given."""
    if given.startswith("/"):
        return given
    candidates = {f"{root.rstrip('/')}/{given}" for root in roots}
    return next((source for source in known if source in candidates), given)


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    """Handler: the top hits with their sources, or JSON."""
    from usecases.search import SearchService

    mode = args.mode or settings.search_mode
    fusion = fusion_from_args(args, mode)  # before the store opens: flags fail fast
    service = SearchService.from_settings(settings)
    try:
        encoder = settings.encoder if args.encoder else service.default_encoder()
        try:
            roots = service.library.source_roots() or ()
        except RuntimeError:  # the source list failed (logged): show sources whole
            roots = ()
        source = None
        if args.source:
            try:
                known = service.library.sources(encoder) or {}
            except RuntimeError:  # not indexed (the search says so) or the list failed
                known = {}
            source = stored_source(args.source, roots, known)
        filters = {k: v for k, v in (("source", source), ("file_type", args.file_type)) if v}
        result = service.search(
            args.query,
            encoder=encoder,
            top_k=args.top_k,
            filters=filters or None,
            query_encoder=args.query_encoder,
            mode=mode,
            fusion=fusion,
        )
    finally:
        service.close()
    if args.json:
        print(json.dumps([h.__dict__ for h in result.hits], indent=2))
        return EXIT_OK
    for rank, hit in enumerate(result.hits, 1):
        label = heading_label(hit.section)
        where = shown_source(hit.source, roots) + (f" § {label}" if label else "")
        print(f"{rank:>2}. {hit.score:.3f}  {where}")
        print("    " + " ".join(readable_text(hit.text).split())[:200])
    timing = f"{result.encode_ms:.0f} ms encode + {result.search_ms:.0f} ms search"
    relative = f"; sources relative to {roots[0]}" if roots else ""
    print(f"({result.system}: {result.mode_label} search, {timing}{relative})")
    return EXIT_OK
