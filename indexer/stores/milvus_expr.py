"""Build Milvus boolean expressions from validated filters with one strict escaper.

Filter templating (``filter_params``) fails in both Milvus Lite engines (3.2.2 rejects
the ``{`` placeholder; 2.5.1 errors server-side), so values are embedded as string
literals through :func:`quote_string`, which is the only place user text enters an
expression. Field names come from the allow-list in :mod:`indexer.types`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from indexer.stores.base import Filters, validate_filters


def quote_string(value: str) -> str:
    """A double-quoted Milvus string literal holding exactly ``value``.

    Backslashes and double quotes are escaped; control characters are refused (the
    validator rejects them before this point, and this re-checks).
    """
    if any(ord(ch) < 32 for ch in value):
        raise ValueError("string literal contains control characters")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _literal(value: str | int) -> str:
    if isinstance(value, bool):
        raise ValueError("booleans are not filter values")
    if isinstance(value, int):
        return str(int(value))
    return quote_string(value)


def term(field: str, values: Sequence[str] | Sequence[int]) -> str:
    """``field == v`` for one value, ``field in [v1, v2]`` for several."""
    if len(values) == 1:
        return f"{field} == {_literal(values[0])}"
    return f"{field} in [{', '.join(_literal(v) for v in values)}]"


def build_expression(filters: Filters | None) -> str:
    """An AND of one term per filtered field; ``""`` when there are no filters."""
    clean: Mapping[str, Sequence[str] | Sequence[int]] = validate_filters(filters)
    return " and ".join(term(field, values) for field, values in sorted(clean.items()))


def ids_expression(ids: Sequence[str]) -> str:
    """``id in [...]`` for chunk ids (hex strings by construction, still escaped)."""
    return term("id", list(ids))
