"""The one escaper through which user text reaches a Milvus expression."""

from __future__ import annotations

import pytest

from indexer.stores.milvus_expr import build_expression, ids_expression, quote_string


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", '"plain"'),
        ('") or true or ("', '"\\") or true or (\\""'),
        ("trailing\\", '"trailing\\\\"'),
        ('x" || 1==1 || "', '"x\\" || 1==1 || \\""'),
        ("", '""'),
    ],
)
def test_quote_string_escapes_backslash_then_quote(value, literal):
    assert quote_string(value) == literal


def test_quote_string_refuses_control_characters():
    with pytest.raises(ValueError, match="control"):
        quote_string("a\x00b")


def test_build_expression_sorts_fields_and_uses_in_for_lists():
    expr = build_expression({"source": ["a", 'b"'], "page": 3})
    assert expr == 'page == 3 and source in ["a", "b\\""]'
    assert build_expression(None) == ""
    assert build_expression({}) == ""


@pytest.mark.parametrize(
    "filters",
    [
        {"text": "x"},
        {"id": "x"},
        {"source) or (1": "x"},
        {"page": True},
        {"page": 1.5},
        {"source": 3},
        {"source": []},
        {"source": "x" * 5000},
    ],
)
def test_build_expression_rejects_fields_and_values_outside_the_allow_list(filters):
    with pytest.raises(ValueError):
        build_expression(filters)


def test_ids_expression():
    assert ids_expression(["ab", "cd"]) == 'id in ["ab", "cd"]'
