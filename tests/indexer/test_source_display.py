"""Stored sources shown relative to the folder they were indexed from (one rule for all)."""

from __future__ import annotations

from indexer.names import shown_source, source_name, source_root

DJANGO = "/data/demo/django-docs"


def test_root_is_the_folder_indexed_and_sources_show_below_it():
    sources = [
        f"{DJANGO}/howto/custom-template-tags.txt",
        f"{DJANGO}/ref/templates/language.txt",
        f"{DJANGO}/index.txt",
    ]
    root = source_root(sources)
    assert root == DJANGO
    shown = [shown_source(s, root) for s in sources]
    assert shown == ["howto/custom-template-tags.txt", "ref/templates/language.txt", "index.txt"]


def test_two_folders_show_from_the_folder_above_both():
    root = source_root(["/home/u/notes/a.md", "/home/u/papers/b/c.pdf"])
    assert root == "/home/u"
    assert shown_source("/home/u/papers/b/c.pdf", root) == "papers/b/c.pdf"


def test_one_file_shows_its_name_and_no_common_folder_shows_whole_paths():
    assert shown_source("/x/y/z.txt", source_root(["/x/y/z.txt"])) == "z.txt"
    assert source_root(["/etc/a.txt", "/home/b.txt"]) == ""
    assert shown_source("/etc/a.txt", "") == "/etc/a.txt"
    assert source_root([]) == "" and source_root(["a.txt", "/b/c.txt"]) == ""


def test_a_sibling_with_the_same_prefix_is_not_inside_the_root():
    assert shown_source("/data/docs-old/a.txt", ("/data/docs",)) == "/data/docs-old/a.txt"


def test_each_source_shows_below_the_deepest_root_holding_it():
    roots = ("/srv/data/demo/django-docs", "/srv/data")  # indexed folder, uploads' data dir
    assert shown_source("/srv/data/demo/django-docs/faq/general.txt", roots) == "faq/general.txt"
    assert shown_source("/srv/data/uploads/notes.pdf", roots) == "uploads/notes.pdf"


def test_escaped_names_keep_their_escapes(tmp_path):
    odd = source_name(tmp_path / "new\nline.txt")
    assert shown_source(odd, source_root([odd, source_name(tmp_path / "b.txt")])) == (
        "new\\x0aline.txt"
    )
