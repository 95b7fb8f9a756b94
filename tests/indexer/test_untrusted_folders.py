"""Folders from untrusted sources: links out of the tree, hostile names, files that fight back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.names import display_name, path_of_source, source_name
from indexer.pipeline import IndexOptions, index_files
from indexer.sniff import Rejected, detect
from indexer.stores.memory import InMemoryStore
from indexer.walk import walk_files
from tests.support import doc_factory
from tests.support.fakes import KeywordEncoder
from tests.support.paths import REPO

WORDS = sorted(doc_factory.HOSTILE_NAMES.values())


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    root, outside = tmp_path / "repo", tmp_path / "elsewhere"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "sub" / "real.txt").write_text("The river rises.\n")
    (outside / "id_rsa").write_text("PRIVATE KEY\n")
    os.symlink(outside / "id_rsa", root / "key.txt")
    os.symlink(outside, root / "out")
    os.symlink(root / "sub", root / "again")
    os.symlink(root / "sub" / "real.txt", root / "alias.txt")
    return root, outside


def test_links_out_of_the_tree_are_skipped_with_a_reason(tmp_path):
    root, outside = _tree(tmp_path)
    walk = walk_files([root])
    assert walk.files == [root / "sub" / "real.txt"]  # read once, through its own path
    reasons = {p.name: r for p, r in ((s.path, s.reason) for s in walk.skipped)}
    assert set(reasons) == {"key.txt", "out", "again", "alias.txt"}
    assert str(outside / "id_rsa") in reasons["key.txt"] and "--follow-links" in reasons["key.txt"]
    assert "already indexed" in reasons["again"] and "read once" in reasons["alias.txt"]


def test_follow_links_opts_in_and_still_reads_each_file_once(tmp_path):
    root, _ = _tree(tmp_path)
    walk = walk_files([root], follow_links=True)
    assert sorted(walk.files) == [root / "out" / "id_rsa", root / "sub" / "real.txt"]
    reasons = {s.path.name: s.reason for s in walk.skipped}
    assert "read once" in reasons["key.txt"]  # the key reached through two links
    store = InMemoryStore()
    report = index_files(
        walk.files,
        [KeywordEncoder(["key"])],
        store,
        "d",
        IndexOptions(workers=0),
        skipped=walk.skipped,
    )
    assert report.count("indexed") == 2 and report.count("skipped") == 3


def test_a_named_root_link_is_the_users_choice(tmp_path):
    root, _ = _tree(tmp_path)
    assert walk_files([root / "key.txt"]).files == [root / "key.txt"]


@pytest.mark.parametrize("raw", [os.fsencode(n) for n in doc_factory.HOSTILE_NAMES])
def test_every_name_round_trips_to_printable_unique_text(raw):
    text = display_name(raw.decode("utf-8", "surrogateescape"))
    assert text.isprintable() and "\n" not in text
    assert os.fsencode(path_of_source(text)) == raw


def test_escaped_names_never_collide():
    names = [b"a\nb", b"a\\x0ab", b"a\\\\x0ab", "a\u0085b".encode(), b"a\x85b", b"a\\nb"]
    assert len({display_name(os.fsdecode(n)) for n in names}) == len(names)


def test_hostile_names_index_and_filter_to_exactly_their_file(tmp_path):
    root = tmp_path / "names"
    root.mkdir()
    for name, word in doc_factory.HOSTILE_NAMES.items():
        (root / name).write_text(f"A {word} named by a hostile file name.\n")
    store, encoder = InMemoryStore(), KeywordEncoder(WORDS)
    files = walk_files([root]).files
    report = index_files(files, [encoder], store, "d", IndexOptions(workers=0))
    assert report.count("indexed") == len(doc_factory.HOSTILE_NAMES), report.files
    for path in files:
        word = doc_factory.HOSTILE_NAMES[path.name]
        ids = store.ids("d_keyword", {"source": source_name(path)})
        hits = store.search("d_keyword", encoder.encode_queries([word]), 50)[0]
        assert ids == {h.id for h in hits if word in h.text}, path


def test_a_fifo_named_directly_fails_alone_without_hanging(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    good = tmp_path / "good.txt"
    good.write_text("The river is calm.\n")
    with pytest.raises(Rejected, match="not a regular file"):
        detect(fifo)
    report = index_files(
        [fifo, good], [KeywordEncoder(["river"])], InMemoryStore(), "d", IndexOptions(workers=0)
    )
    assert [f.status for f in report.files] == ["failed", "indexed"]


def test_a_file_deleted_after_listing_fails_alone(tmp_path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("The river is calm.\n")
    files = walk_files([tmp_path]).files
    (tmp_path / "a.txt").unlink()
    report = index_files(
        files, [KeywordEncoder(["river"])], InMemoryStore(), "d", IndexOptions(workers=0)
    )
    assert [f.status for f in report.files] == ["failed", "indexed"]
    assert "No such file" in report.files[0].reason


#: Index a folder and print each file's status and reason (run without read-any-file rights).
INDEX_AND_REPORT = """
import json, sys
from pathlib import Path
from indexer.pipeline import IndexOptions, index_files
from indexer.stores import InMemoryStore
from indexer.walk import walk_files
from tests.support.fakes import KeywordEncoder
from tests.support.paths import REPO
walk = walk_files([Path(sys.argv[1])])
report = index_files(walk.files, [KeywordEncoder(["river"])], InMemoryStore(), "d",
                     IndexOptions(workers=0))
print(json.dumps([[f.path.rsplit("/", 1)[-1], f.status, f.reason] for f in report.files]))
"""


def without_read_override() -> list[str]:
    """A command prefix under which file permissions apply, even for root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permission bits cannot be enforced")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_a_permission_denied_file_fails_alone_with_its_reason(tmp_path):
    for name in ("locked.txt", "open.txt"):
        (tmp_path / name).write_text("The river is calm.\n")
    (tmp_path / "locked.txt").chmod(0)
    done = subprocess.run(
        [*without_read_override(), sys.executable, "-c", INDEX_AND_REPORT, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert [r[:2] for r in results] == [["locked.txt", "failed"], ["open.txt", "indexed"]]
    assert "Permission denied" in results[0][2]


def test_a_path_too_long_to_store_fails_alone(tmp_path):
    deep = tmp_path  # a real path (under PATH_MAX) whose escaped form is over 4096 bytes
    while len(source_name(deep)) < 4200:
        deep = deep / ("\x01" * 200)
    deep.mkdir(parents=True)
    (deep / "x.txt").write_text("The river is calm.\n")
    (tmp_path / "ok.txt").write_text("The river is calm.\n")
    report = index_files(
        [deep / "x.txt", tmp_path / "ok.txt"],
        [KeywordEncoder(["river"])],
        InMemoryStore(),
        "d",
        IndexOptions(workers=0),
    )
    assert [f.status for f in report.files] == ["failed", "indexed"]
    assert "longer than" in report.files[0].reason


def test_report_reasons_never_carry_control_characters():
    from indexer.report import FileResult

    result = FileResult("x", "failed", reason="[Errno 13] Permission denied: 'a\x1b[2Jb\nc'")
    assert result.reason.isprintable() and "\\x1b[2J" in result.reason
