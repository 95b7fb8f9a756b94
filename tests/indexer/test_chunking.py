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
