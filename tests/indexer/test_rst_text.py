"""reST and Sphinx markup reduced to readable text (pure functions, no parser)."""

from __future__ import annotations

import pytest

from indexer.rst_text import clean_roles, looks_like_rst, prepare_rst, role_text

DJANGO_LIKE = """\
==============================================
How to create custom template tags and filters
==============================================

.. _howto-writing-custom-template-filters:

Writing custom template filters
===============================

Read :ref:`custom template filters <howto-writing-custom-template-filters>` and
:class:`~django.template.Library` first; the :doc:`built-in
tags and filters </ref/templates/builtins>` come with Django.

.. method:: django.template.Library.filter()

Once you've written your filter, register it with your ``Library`` instance::

    # not a role here: :ref:`kept <as-is>`
    register.filter("cut", cut)

.. versionadded:: 5.0

    The ``name`` argument.

.. toctree::
   :maxdepth: 1

   intro/index
"""


@pytest.mark.parametrize(
    ("role", "body", "shown"),
    [
        (
            "ref",
            "custom template filters <howto-writing-custom-template-filters>",
            "custom template filters",
        ),
        ("class", "~django.template.Library", "Library"),
        ("meth", "~django.db.models.Model.save()", "save()"),
        ("class", "django.template.Library", "django.template.Library"),
        ("setting", "INSTALLED_APPS", "INSTALLED_APPS"),
        ("ttag", "{% load %}<load>", "{% load %}"),
        (
            "doc",
            "built-in\ntags and filters </ref/templates/builtins>",
            "built-in tags and filters",
        ),
        ("doc", "/ref/checks", "checks"),
        ("ref", "filters-auto-escaping", "filters auto escaping"),
        ("rfc", "2616", "RFC 2616"),
        ("py:func", "!len", "len"),
    ],
)
def test_role_text_is_what_sphinx_shows(role, body, shown):
    assert role_text(role, body) == shown


def test_roles_become_escaped_text_and_literals_stay():
    line = "Use :setting:`MY_SETTING_` or ``:ref:`x <y>``` and :class:`~a.b.C`."
    assert clean_roles(line) == r"Use MY\_SETTING\_ or ``:ref:`x <y>``` and C."


def test_prepare_rewrites_sphinx_markup_and_keeps_code():
    out = prepare_rst(DJANGO_LIKE)
    assert ":ref:`custom" not in out and ":class:" not in out
    assert "custom template filters and" in out
    assert "built-in tags and filters come with Django" in out  # a role broken over lines
    assert ".. method:: django.template.Library.filter()" in out  # pandoc shows the argument
    assert "    # not a role here: :ref:`kept <as-is>`" in out  # code is never touched
    assert ".. versionadded:: New in version 5.0." in out
    assert "toctree" not in out and "intro/index" not in out
    assert "``Library``" in out  # inline literals are pandoc's to render


@pytest.mark.parametrize(
    ("directive", "expected"),
    [
        (".. class:: Model(**kwargs)", ".. py-class:: Model(**kwargs)"),
        (".. console::", ".. code-block:: console"),
        (".. snippet::", ".. code-block:: python"),
        (".. setting:: DEBUG", ""),
    ],
)
def test_directives_a_plain_reader_would_misread(directive, expected):
    out = prepare_rst(f"{directive}\n\n    body line\n\nAfter.\n")
    first = next(line for line in out.splitlines() if line.strip())
    assert first == (expected or "After.")


def test_detection_tells_rst_from_prose_and_markdown():
    assert looks_like_rst(DJANGO_LIKE)
    assert looks_like_rst("Title\n=====\n\nSee ``x`` for details.\n")
    assert not looks_like_rst("Meeting notes\n\nThe kettle descaling moves to Fridays.\n")
    assert not looks_like_rst("Notes\n=====\n\nJust prose, no markup at all.\n")
    assert not looks_like_rst("# Title\n\nSome *markdown* with `code` and [a link](x).\n")


def test_directives_that_read_files_are_dropped():
    out = prepare_rst(
        ".. include:: /etc/hostname\n\n.. raw:: html\n   :file: /etc/hostname\n\n"
        ".. note::\n\n   :file: is just text here\n"
    )
    assert "/etc/hostname" not in out
    assert ".. note::" in out and ":file: is just text here" in out
