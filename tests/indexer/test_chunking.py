"""Real ``unstructured`` partitioning and chunking, offline, for the text formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.chunking import ChunkingConfig, ChunkingError, chunk_file, file_type_of

RST = """\
======================
Writing custom filters
======================

Custom filters are Python functions that take one or two arguments. They live in a
templatetags module inside an installed application, and are registered with the
template library so templates can load them.

Registering a filter
====================

Once you have written your filter definition, you need to register it with your
Library instance, to make it available to Django's template language.
"""

MARKDOWN = """# Install guide

Run the installer and follow the prompts. It checks your Python version first.

## Configuration

Edit the settings file to point at your database. Restart the server afterwards.
"""

HTML = """<html><head><title>t</title><script>alert(1)</script></head><body>
<h1>Caching</h1><p>The cache framework stores rendered pages so they are served faster.</p>
<h2>Backends</h2><p>Memcached and Redis backends keep entries in memory across processes.</p>
</body></html>"""


@pytest.mark.parametrize(
    ("name", "content", "file_type"),
    [
        ("guide.rst", RST, "rst"),
        ("guide.txt", RST, "txt"),
        ("readme.md", MARKDOWN, "md"),
        ("page.html", HTML, "html"),
    ],
)
def test_text_formats_chunk_offline_with_metadata(tmp_path, name, content, file_type):
    path = tmp_path / name
    path.write_text(content)
    chunks = chunk_file(
        path,
        ChunkingConfig(max_characters=200, new_after_n_chars=150, combine_text_under_n_chars=0),
    )
    assert len(chunks) >= 2
    assert all(c.source == str(path.resolve()) and c.file_type == file_type for c in chunks)
    assert [c.chunk_index for c in chunks] == list(range(len(chunks)))
    assert all(len(c.text) <= 200 for c in chunks)
    assert len({c.id for c in chunks}) == len(chunks)
    assert any(c.section for c in chunks)
    joined = " ".join(c.text for c in chunks)
    assert "alert(1)" not in joined  # script content is not document text


def test_sections_come_from_titles(tmp_path):
    path = tmp_path / "readme.md"
    path.write_text(MARKDOWN)
    chunks = chunk_file(
        path,
        ChunkingConfig(max_characters=120, new_after_n_chars=100, combine_text_under_n_chars=0),
    )
    by_text = {c.section for c in chunks if "database" in c.text}
    assert by_text == {"Configuration"}


def test_empty_file_gives_no_chunks(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("")
    assert chunk_file(path) == []


def test_failure_names_the_file(tmp_path):
    path = tmp_path / "missing.txt"
    with pytest.raises(ChunkingError, match=r"missing\.txt"):
        chunk_file(path)


def test_file_types_and_config_validation():
    assert file_type_of(Path("a/B.HTM")) == "html"
    assert file_type_of(Path("x.pdf")) == "pdf"
    with pytest.raises(ValueError):
        ChunkingConfig(strategy="sentences")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ChunkingConfig(max_characters=100, new_after_n_chars=200)


def test_default_overlap_is_fifteen_percent_of_the_chunk_size():
    assert ChunkingConfig().overlap == 150
    small = ChunkingConfig(max_characters=200, new_after_n_chars=150, combine_text_under_n_chars=0)
    assert small.overlap == 30
    assert ChunkingConfig(overlap=0).overlap == 0
    assert ChunkingConfig() == ChunkingConfig(overlap=150)


SPHINX_TXT = """\
========================
Custom template filters
========================

.. _howto-writing-custom-template-filters:

Registering custom filters
==========================

.. method:: django.template.Library.filter()

Once you've written your filter, register it with your ``Library`` instance, as
:ref:`custom template filters <howto-writing-custom-template-filters>` and
:class:`~django.template.Library` explain::

    register.filter("cut", cut)
    register.filter("lower", lower)

.. versionadded:: 5.0

    The :setting:`TEMPLATES` option.
"""


def test_sphinx_text_is_partitioned_as_rst_without_markup(tmp_path):
    from indexer.sniff import RST_MIME, detect

    path = tmp_path / "custom-template-tags.txt"
    path.write_text(SPHINX_TXT)
    kind = detect(path)
    assert (kind.label, kind.mime) == ("txt", RST_MIME)
    config = ChunkingConfig(
        max_characters=400, new_after_n_chars=300, combine_text_under_n_chars=0, read_rst=True
    )
    chunks = chunk_file(path, config, mime=kind.mime, file_type=kind.label)
    text = "\n".join(c.text for c in chunks)
    for markup in (":ref:", ":class:", "``", ".. method::", "<howto-", "====", ".. _"):
        assert markup not in text, markup
    assert "custom template filters and Library explain" in " ".join(text.split())
    assert "django.template.Library.filter()" in text
    assert 'register.filter("cut", cut)\nregister.filter("lower", lower)' in text  # code whole
    assert "New in version 5.0." in text
    assert {c.file_type for c in chunks} == {"txt"}
    assert "Registering custom filters" in {c.section for c in chunks}
    assert chunk_file(path, config) == chunks  # without a MIME type, the content decides too


def test_rst_is_read_as_plain_text_unless_asked(tmp_path):
    """reST reading is an option (it cost nDCG on the Django FAQ set): by default a Sphinx
    page is cut as plain text, markup and all, as before."""
    path = tmp_path / "custom-template-tags.txt"
    path.write_text(SPHINX_TXT)
    text = "\n".join(c.text for c in chunk_file(path))
    assert ":ref:`custom template filters <howto-writing-custom-template-filters>`" in " ".join(
        text.split()
    )
    assert ".. method::" in text


def test_plain_text_stays_plain_text(tmp_path):
    from indexer.sniff import detect

    path = tmp_path / "notes.txt"
    path.write_text("Meeting notes\n\nThe kettle descaling schedule moves to Fridays.\n")
    assert detect(path).mime == "text/plain"


def test_an_indexed_page_never_pulls_in_another_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("token-4f9a-not-for-the-index\n")
    page = tmp_path / "page.rst"
    page.write_text(
        f"Page\n====\n\nVisible text.\n\n.. include:: {secret}\n\n"
        f".. csv-table:: Leak\n   :file: {secret}\n\n.. literalinclude:: {secret}\n"
    )
    for read_rst in (False, True):
        text = " ".join(c.text for c in chunk_file(page, ChunkingConfig(read_rst=read_rst)))
        assert "Visible text." in text
        assert "token-4f9a" not in text


def test_a_huge_paragraph_is_precut_at_whitespace_keeping_every_character():
    from unstructured.documents.elements import NarrativeText

    from indexer.chunking import precut_long_elements

    text = "The kettle is descaled every Friday before noon. " * 400  # ~20k characters
    element = NarrativeText(text=text)
    pieces = precut_long_elements([element], 1000)
    assert len(pieces) > 19
    assert all(len(p.text) <= 1000 and isinstance(p, NarrativeText) for p in pieces)
    assert "".join(p.text for p in pieces) == text
    assert all(p.text.endswith(" ") for p in pieces[:-1])  # cut between words
    assert precut_long_elements([element], len(text)) == [element]


def test_a_one_paragraph_file_is_chunked_whole(tmp_path):
    path = tmp_path / "one_sentence.txt"
    sentence = "The kettle is descaled every Friday before noon. "
    path.write_text(sentence * 20_000)  # ~1 MB, one paragraph
    chunks = chunk_file(path)
    assert len(chunks) > 500
    assert all(len(c.text) <= ChunkingConfig().max_characters for c in chunks)
    assert sum(c.text.count("kettle") for c in chunks) >= 20_000  # nothing dropped
