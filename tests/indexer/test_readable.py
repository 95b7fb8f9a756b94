"""What a reader sees: stored text without markup, and section labels that are headings,
on real reST (Sphinx), Markdown and HTML pages partitioned by the real chunker."""

from __future__ import annotations

import re

import pytest

from indexer.chunking import ChunkingConfig, chunk_file
from indexer.readable import RULE_LINE, heading_label, readable_text
from tests.support.paths import REPO

MARKUP = REPO / "tests" / "data" / "markup"
#: What a reader must not see: a role, a directive, a label, an inline literal's
#: backticks, an option line, a link target.
ROLE = re.compile(r"(?<![\w`]):[A-Za-z][\w.+:-]*:`")
DIRECTIVE = re.compile(r"(?:^|\s)\.\. [A-Za-z][\w:.+-]*::|^\s*\.\. _", re.M)
OPTION = re.compile(r"^\s*:[\w-]+:(\s|$)", re.M)
SMALL = ChunkingConfig(max_characters=400, new_after_n_chars=300, combine_text_under_n_chars=0)


def markup_left(text: str) -> list[str]:
    """The kinds of markup ``text`` still shows."""
    found = [name for name, rx in (("role", ROLE), ("directive", DIRECTIVE)) if rx.search(text)]
    found += ["option"] if OPTION.search(text) else []
    found += ["literal"] if "``" in text else []
    found += ["link"] if re.search(r"`_|<https?://[^>]+>`|^__ ", text, re.M) else []
    found += ["rule"] if any(RULE_LINE.match(line) for line in text.splitlines()) else []
    return found


def test_a_sphinx_page_reads_without_markup_and_keeps_its_code() -> None:
    raw = (MARKUP / "custom-filters.txt").read_text()
    assert set(markup_left(raw)) == {"role", "directive", "option", "literal", "link", "rule"}
    text = readable_text(raw)
    assert markup_left(text) == []
    prose = " ".join(text.split())
    assert "built-in tags and filters designed to address" in prose  # :doc: with a title
    assert "you need to register it with your Library instance" in prose  # ``Library``
    assert "to make it available to Django's template language:" in prose  # :: -> :
    assert 'register.filter("cut", cut)' in text  # code stays as it was
    assert '"""Removes all values of arg from the given string"""' in text  # not a rule
    assert '<form method="post">{% csrf_token %}' in text  # template code stays
    assert "news/templates/news/year_archive.html" in text  # a caption keeps its file name
    assert "New in version 5.0." in text and "Note:" in text
    assert "as described in the time zone notes." in prose  # `text <url>`_ -> text
    assert "maxdepth" not in text and "custom-tags" not in text  # toctree and its body
    assert "django.template.Library.filter()" in text  # .. method:: keeps its signature


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Use the **strong** and *emphasis* words.", "Use the strong and emphasis words."),
        ("**The basics:", "The basics:"),
        ("Call ``f(*args, **kwargs)`` now.", "Call f(*args, **kwargs) now."),
        ("def f(*args, **kwargs):", "def f(*args, **kwargs):"),  # code is not emphasis
        ("Read the [backend notes](https://x.example/b) first.", "Read the backend notes first."),
        ("# a comment in code", "# a comment in code"),
        (
            "See `Filters and time zones`_ and `the notes`__.",
            "See Filters and time zones and the notes.",
        ),
        ("===== Title joined with its rules =====", "Title joined with its rules"),
        ("<script>window.x=1</script> stays text", "<script>window.x=1</script> stays text"),
        ("Cities\n====  =======\nParis  France\n====  =======", "Cities\nParis  France"),
        ("+----+----+\n| a  | b  |\n+====+====+", "| a  | b  |"),
        (
            "Load it.\n\n:param str path: the file\n:rtype: Geometry",
            "Load it.\n\nParameter str path: the file\nReturn type: Geometry",
        ),
        (".. toctree::\n   :maxdepth: 2\n   :caption: Contents\n\n   intro\n\nNext.", "Next."),
        (":caption: views.py\n\ndef index(request):", "views.py\n\ndef index(request):"),
    ],
)
def test_inline_markup_becomes_text_and_code_stays(raw: str, shown: str) -> None:
    assert readable_text(raw) == shown


@pytest.mark.parametrize(
    "title",
    [
        ":caption: ``news/templates/news/year_archive.html``",
        ":maxdepth: 2",
        "def editors(self):",
        '<form method="post">{% csrf_token %}',
        "**The basics:",
        "See the :doc:`/topics/db/sql` for more information.",
        ".. code-block:: python",
        ".. _howto-writing-custom-template-filters:",
        "register = template.Library()",
        "@register.filter(is_safe=True)",
        "{% endblock %}",
        "__init__.py",
        "polls/",
        "return self.people",
        "",
    ],
)
def test_lines_that_are_not_headings_get_no_label(title: str) -> None:
    assert heading_label(title) == ""


@pytest.mark.parametrize(
    ("title", "label"),
    [
        ("Registering custom filters", "Registering custom filters"),
        ("Why does Django use ``settings.py``?", "Why does Django use settings.py?"),
        ("## Choosing a backend", "Choosing a backend"),
        ("The ``Library.filter()`` method", "The Library.filter() method"),
        ("Filters and time zones\n----------------------", "Filters and time zones"),
    ],
)
def test_headings_keep_their_text_without_markup(title: str, label: str) -> None:
    assert heading_label(title) == label


@pytest.mark.parametrize(
    ("name", "headings"),
    [
        (
            "custom-filters.txt",
            {
                "How to create custom template tags and filters",
                "Writing custom template filters",
                "Registering custom filters",
                "Filters and time zones",
            },
        ),
        ("caching-guide.md", {"Caching guide", "Choosing a backend", "Per-view caching"}),
        (
            "deployment-guide.html",
            {"Deploying to production", "Process managers", "Serving static files"},
        ),
    ],
)
def test_sections_are_the_pages_headings_on_rest_markdown_and_html(
    name: str, headings: set[str]
) -> None:
    chunks = chunk_file(MARKUP / name, SMALL)
    assert len(chunks) >= 3
    assert {c.section for c in chunks} == headings
    for chunk in chunks:
        assert markup_left(readable_text(chunk.text)) == []
