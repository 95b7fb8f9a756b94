"""A folder of hostile files indexed beside good ones: good files in, bad ones reported."""

from __future__ import annotations

import pytest

from indexer.names import display_name
from indexer.pipeline import IndexOptions, index_files
from indexer.stores.memory import InMemoryStore
from indexer.walk import walk_files
from tests.support import doc_factory
from tests.support.fakes import KeywordEncoder
from tests.support.fault_kit import record


def test_hostile_folder(tmp_path):
    root = tmp_path / "hostile"
    expected = doc_factory.write_hostile_folder(root)
    store, encoder = InMemoryStore(), KeywordEncoder(["river", "mountain", "forest", "desert"])
    walk = walk_files([root])
    report = index_files(
        walk.files, [encoder], store, "docs", doc_factory.HOSTILE_OPTIONS, skipped=walk.skipped
    )
    by_name = {f.path.rsplit("/", 1)[-1]: f for f in report.files}
    expected = {display_name(name): status for name, status in expected.items()}
    assert set(by_name) == set(expected)  # every entry reported once, no loop walked
    for name, status in expected.items():
        assert by_name[name].status in status.split("|"), by_name[name]
        if by_name[name].status != "indexed":
            assert by_name[name].reason, f"{name} has no reason"
    assert "timed out" in by_name["slow.txt"].reason
    assert "encrypted" in by_name["encrypted.pdf"].reason
    assert "zip bomb" in by_name["bomb.docx"].reason
    texts = " ".join(
        h.text for h in store.search("docs_keyword", encoder.encode_queries(["river"]), 50)[0]
    )
    assert "root:" not in texts and "Kites" in texts  # the XML entity was not resolved
    assert "secret" not in texts  # the link out of the folder was not followed
    assert "outside the indexed folders" in by_name["passwd-link.txt"].reason
    assert "nested too deeply" in by_name["deep.json"].reason
    assert "hidden" in by_name["..dots..txt"].reason
    shown = " ".join(f.path + f.reason for f in report.files)
    assert not any(ch in shown for ch in "\u202e\u200b\ufeff")  # escaped, never raw
    assert not report.ok
    for name, status in expected.items():  # docs/reliability.md is made from these
        found = by_name[name]
        record("hostile", name, expected=status, got=found.status, reason=found.reason)


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
