"""A folder of hostile files indexed beside good ones: good files in, bad ones reported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.chunking import ChunkingConfig
from indexer.pipeline import IndexOptions, index_files
from indexer.sniff import Limits
from indexer.stores.memory import InMemoryStore
from indexer.walk import iter_files
from tests import doc_factory
from tests.fakes import KeywordEncoder

GOOD = {
    "good one.md": "# Rivers\n\nThe river floods the valley each spring.\n",
    "ünïcödé.txt": "Notes about a mountain pass and its weather.\n",
    "dots..in..name.txt": "A forest path winds between old oaks.\n",
}


def _hostile_folder(root: Path) -> dict[str, str]:
    """Write hostile files; return name -> expected status ('failed' or 'skipped')."""
    root.mkdir(parents=True)
    for name, text in GOOD.items():
        (root / name).write_text(text)
    expected = {}
    (root / "zero.txt").write_bytes(b"")
    expected["zero.txt"] = "skipped"
    (root / "junk.txt").write_bytes(os.urandom(4096).replace(b"\n", b"\x00"))
    expected["junk.txt"] = "failed"
    (root / "junk.pdf").write_bytes(b"\x00\xff" * 2048)
    expected["junk.pdf"] = "failed"
    (root / "junk.docx").write_bytes(b"PK\x03\x04" + os.urandom(2048))
    expected["junk.docx"] = "failed"
    (root / "truncated.pdf").write_bytes(doc_factory.pdf_bytes(["cut here"])[:70])
    expected["truncated.pdf"] = "failed"
    doc_factory.encrypted_pdf(root / "encrypted.pdf", "locked text")
    expected["encrypted.pdf"] = "failed"
    doc_factory.zip_bomb_docx(root / "bomb.docx")
    expected["bomb.docx"] = "failed"
    (root / "huge.txt").write_bytes(b"x" * (5 * 2**20))
    expected["huge.txt"] = "failed"  # over the test's 4 MiB limit
    paragraphs = (
        f"Paragraph {i}: " + f"river bend {i} and reach {i * 7}. " * 40 for i in range(2400)
    )
    (root / "slow.txt").write_text("\n\n".join(paragraphs))
    expected["slow.txt"] = "failed"  # per-file timeout
    os.symlink(root / "self-loop.txt", root / "self-loop.txt")
    expected["self-loop.txt"] = "failed"
    os.symlink(root, root / "loop-dir")  # a folder loop: never followed
    return expected


def test_hostile_folder(tmp_path):
    root = tmp_path / "hostile"
    expected = _hostile_folder(root)
    # also benign-but-odd text: not failures, and never leaking what they reference
    (root / "xxe.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<d><i>Kites fly over the river. &x;</i></d>"
    )
    (root / "utf16.txt").write_bytes("Glaciers and river ice.\n".encode("utf-16"))
    (root / "bad-utf8.txt").write_bytes(b"river \xff\xfe\xc3\x28 text \xe2\x82\xac end\n")
    (root / "deep.html").write_text("<html><body>" + "<div>" * 5000 + "owls" + "</div>" * 5000)
    raw_name = os.fsdecode(b"latin1-\xe9.txt")  # a name that is not UTF-8
    (root / raw_name).write_text("The desert at noon.\n")
    store, encoder = InMemoryStore(), KeywordEncoder(["river", "mountain", "forest", "desert"])
    options = IndexOptions(
        chunking=ChunkingConfig(),
        limits=Limits(max_file_bytes=4 * 2**20),
        workers=1,
        timeout_s=4,
    )
    report = index_files(list(iter_files([root])), [encoder], store, "docs", options)
    by_name = {Path(f.path).name: f for f in report.files}
    for name in [*GOOD, "xxe.xml", "utf16.txt", "bad-utf8.txt", raw_name]:
        assert by_name[name].status == "indexed", by_name[name]
    for name, status in expected.items():
        assert by_name[name].status == status, by_name[name]
        assert by_name[name].reason, f"{name} has no reason"
    assert by_name["deep.html"].status in ("indexed", "skipped")
    assert "timed out" in by_name["slow.txt"].reason
    assert "encrypted" in by_name["encrypted.pdf"].reason
    assert "zip bomb" in by_name["bomb.docx"].reason
    assert "loop-dir" not in " ".join(by_name)
    texts = " ".join(
        h.text for h in store.search("docs_keyword", encoder.encode_queries(["river"]), 50)[0]
    )
    assert "root:" not in texts and "Kites" in texts
    assert not report.ok


@pytest.mark.parametrize("name", ["../escape.txt", "a/../../b.txt"])
def test_dotdot_paths_are_stored_normalised(tmp_path, name):
    (tmp_path / "inner" / "a").mkdir(parents=True)
    target = (tmp_path / "inner" / name).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("The river bends here.\n")
    store = InMemoryStore()
    report = index_files(
        [tmp_path / "inner" / name],
        [KeywordEncoder(["river"])],
        store,
        "d",
        IndexOptions(workers=0),
    )
    assert report.count("indexed") == 1
    assert list(store.sources("d_keyword")) == [str(target)]
