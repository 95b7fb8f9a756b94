"""Inputs that once stopped a run, lost text without a word or were shown misleadingly
(issue 33): each now fails alone with its reason, keeps its text, or is reported."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import indexer.chunking as chunking
import indexer.pipeline as pipeline
from indexer.chunking import ChunkingConfig, chunk_file
from indexer.names import display_name, shown_source
from indexer.pipeline import IndexOptions, index_files
from indexer.report import FileResult, IndexReport
from indexer.sniff import Rejected, read_regular
from indexer.stores.memory import InMemoryStore
from indexer.walk import walk_files
from tests.support.doc_factory import slow_text
from tests.support.fakes import KeywordEncoder
from tests.support.fault_kit import record
from tests.support.paths import REPO

VOCAB = ["river", "owls", "crème", "after"]
SMALL = ChunkingConfig("basic", 120, 100, 0, overlap=0)


def _index(files, options: IndexOptions, store=None) -> IndexReport:
    store = store or InMemoryStore()
    return index_files(files, [KeywordEncoder(VOCAB)], store, "docs", options)


def _by_name(report: IndexReport) -> dict[str, FileResult]:
    return {f.path.rsplit("/", 1)[-1]: f for f in report.files}


@pytest.mark.parametrize("workers", [0, 1])
def test_a_json_array_100000_deep_fails_alone_and_its_neighbours_are_indexed(tmp_path, workers):
    for name in ("deep.json", "deep"):
        (tmp_path / name).write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "good.txt").write_text("The river bends.\n")
    report = _index(sorted(tmp_path.iterdir()), IndexOptions(workers=workers))
    results = _by_name(report)
    assert results["good.txt"].status == "indexed"
    for name in ("deep.json", "deep"):
        assert results[name].status == "failed" and "nested too deeply" in results[name].reason
    record(
        f"a JSON array nested 100,000 levels deep (deep.json, and with no extension), "
        f"--workers {workers}",
        "hostile input",
        outcome=f"failed alone: {results['deep.json'].reason}; its neighbour indexed",
    )


def test_any_exception_while_sniffing_or_partitioning_fails_that_file_alone(tmp_path, monkeypatch):
    for name in ("sniff.txt", "parse.txt", "good.txt"):
        (tmp_path / name).write_text(f"The river of {name}.\n")
    real_detect, real_chunk = pipeline.detect, chunking.chunk_file

    def detect(path, limits=None):
        if path.name == "sniff.txt":
            raise MemoryError("the sniffer ran out of memory")
        return real_detect(path, limits)

    def chunk(path, *args, **kwargs):
        if path.name == "parse.txt":
            raise RecursionError("maximum recursion depth exceeded")
        return real_chunk(path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "detect", detect)
    monkeypatch.setattr(chunking, "chunk_file", chunk)
    results = _by_name(_index(sorted(tmp_path.iterdir()), IndexOptions(workers=0)))
    assert results["sniff.txt"].status == "failed" and "MemoryError" in results["sniff.txt"].reason
    assert results["parse.txt"].status == "failed" and "Recursion" in results["parse.txt"].reason
    assert results["good.txt"].status == "indexed"


def _page(path: Path, middle: str) -> Path:
    path.write_text(f"<html><body><p>river before</p>{middle}<p>owls after the big part</p>")
    return path


@pytest.mark.parametrize(
    "middle",
    [
        '<img src="data:image/png;base64,' + "A" * (11 * 2**20) + '">',  # 11 MB attribute
        "<p>" + "river " * (2 * 2**20) + "</p>",  # a 12 MB text node
    ],
    ids=["attribute", "text-node"],
)
def test_html_past_libxml2s_10_mb_limit_keeps_the_text_after_it(tmp_path, middle):
    chunks = chunk_file(_page(tmp_path / "page.html", middle), SMALL)
    assert "owls after the big part" in " ".join(c.text for c in chunks)
    if middle.startswith("<img"):
        record(
            "an HTML page with an 11 MB attribute (a data: image)",
            "hostile input",
            outcome="the text after it is indexed (libxml2's huge option; the file size "
            "limit bounds memory)",
        )


def test_a_page_nested_past_the_parsers_depth_fails_with_a_reason(tmp_path):
    page = tmp_path / "deep.html"
    page.write_text("<html><body><p>first</p>" + "<div>" * 5000 + "owls" + "</div>" * 5000)
    with pytest.raises(chunking.ChunkingError, match="nested too deeply"):
        chunk_file(page, SMALL)


def test_latin1_and_broken_utf8_read_as_written_with_u_fffd_for_bad_bytes(tmp_path):
    latin = tmp_path / "menu.txt"
    latin.write_bytes("La crème brûlée est un dessert français.\n".encode("latin-1"))
    short = tmp_path / "short.txt"
    short.write_bytes("crème brûlée\n".encode("latin-1"))
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"river \xff\xfe\xc3\x28 text \xe2\x82\xac end\n")
    page = tmp_path / "page.html"
    page.write_bytes(
        '<html><head><meta charset="windows-1252"></head><body><p>Café “naïve” crème'
        "</p></body></html>".encode("cp1252")
    )
    assert "crème brûlée" in chunk_file(latin, SMALL)[0].text
    assert chunk_file(short, SMALL)[0].text == "crème brûlée"
    text = chunk_file(broken, SMALL)[0].text
    assert text == "river \ufffd\ufffd\ufffd( text € end"
    assert "Café “naïve” crème" in chunk_file(page, SMALL)[0].text
    record(
        "a Latin-1 file; UTF-8 with invalid bytes",
        "hostile input",
        outcome="read as cp1252 (crème brûlée); invalid bytes shown as U+FFFD",
    )


def test_a_file_that_grew_past_the_limit_after_sniffing_is_not_read_on(tmp_path):
    grown = tmp_path / "log.txt"
    grown.write_bytes(b"river " * 4000)
    with pytest.raises(Rejected, match="grew past"):
        read_regular(grown, 1000)
    assert read_regular(grown, 24_000) == b"river " * 4000


def test_bidi_and_invisible_characters_are_shown_escaped():
    spoof = "/docs/invoice-\u202etxt.exe"
    assert display_name(spoof) == "/docs/invoice-\\u202etxt.exe"
    assert display_name("/docs/a\u200bb\ufeff\u00a0c\U000e0041.txt") == (
        "/docs/a\\u200bb\\ufeff\\u00a0c\\U000e0041.txt"
    )
    assert shown_source(spoof, ("/docs",)) == "invoice-\\u202etxt.exe"  # stored raw before
    assert FileResult("x", "failed", reason=f"cannot read {spoof}").reason.endswith(
        "\\u202etxt.exe"
    )
    record(
        "file names holding U+202E (right-to-left override), U+200B, U+FEFF",
        "hostile input",
        outcome="stored and shown escaped (invoice-\\u202etxt.exe) in the report, the CLI "
        "and the UI; names stored raw before are escaped when shown",
    )


def _every_file(root: Path) -> list[Path]:
    """Every entry under ``root`` that is not a folder (folders are walked, not reported)."""
    return [Path(d) / name for d, _, names in os.walk(root) for name in names]


def test_every_path_under_the_roots_is_in_the_report(tmp_path):
    root = tmp_path / "tree"
    (root / ".git" / "objects").mkdir(parents=True)
    (root / ".git" / "objects" / "ab").write_text("blob")
    (root / "sub").mkdir()
    for name in ("..dots..txt", ".env", "a.md", "sub/b.md", "sub/skip.log"):
        (root / name).write_text("The river.\n")
    walk = walk_files([root], exclude=["*.log"])
    report = index_files(
        walk.files,
        [KeywordEncoder(VOCAB)],
        InMemoryStore(),
        "docs",
        IndexOptions(workers=0),
        skipped=walk.skipped,
    )
    reported = {f.path: f for f in report.files}
    for path in _every_file(root):
        covered = [p for p in (path, *path.parents) if display_name(p) in reported]
        assert covered, f"{path} is not in the report"
    assert "hidden" in reported[display_name(root / "..dots..txt")].reason
    assert "hidden" in reported[display_name(root / ".git")].reason
    assert "--exclude" in reported[display_name(root / "sub" / "skip.log")].reason
    record(
        "names starting with a dot (..dots..txt, .git/), files excluded by a glob",
        "hostile input",
        outcome="each reported skipped with its reason: "
        + reported[display_name(root / "..dots..txt")].reason,
    )


def test_a_folder_that_cannot_be_listed_is_reported_failed(tmp_path):
    root = tmp_path / "tree"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "inside.txt").write_text("secret\n")
    (root / "ok.txt").write_text("fine\n")
    (root / "locked").chmod(0)
    prefix = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("root without setpriv: every folder can be listed")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    probe = (
        "import json, sys; from pathlib import Path; from indexer.walk import walk_files; "
        "w = walk_files([Path(sys.argv[1])]); "
        "print(json.dumps([[str(s.path), s.status, s.reason] for s in w.skipped]))"
    )
    try:
        out = subprocess.run(
            [*prefix, sys.executable, "-c", probe, str(root)],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
            check=True,
        ).stdout
    finally:
        (root / "locked").chmod(0o755)
    skipped = {path: (status, reason) for path, status, reason in json.loads(out)}
    status, reason = skipped[str(root / "locked")]
    assert status == "failed" and "cannot list this folder" in reason


def test_a_file_failed_under_a_limit_is_not_read_again_until_it_or_the_limit_changes(
    tmp_path, monkeypatch
):
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join(f"The river bend {i}." for i in range(400)))
    (tmp_path / "small.txt").write_text("The river is small.\n")
    files = sorted(tmp_path.glob("*.txt"))
    read: list[str] = []
    real = chunking.chunk_file
    monkeypatch.setattr(chunking, "chunk_file", lambda p, *a: read.append(p.name) or real(p, *a))
    store, ledger = InMemoryStore(), tmp_path / "data" / "failed-files.json"

    def run(**changes) -> FileResult:
        read.clear()
        options = dict(chunking=SMALL, workers=0, max_file_chunks=50, failure_ledger=ledger)
        report = _index(files, IndexOptions(**{**options, **changes}), store)
        return _by_name(report)["big.txt"]

    first = run()
    assert first.status == "failed" and first.limit == "max_file_chunks" and "big.txt" in read
    again = run()
    assert again.status == "failed" and "--retry-failed" in again.reason and "big.txt" not in read
    assert "small.txt" in read  # the others are read (and found unchanged) as ever
    assert run(retry_failed=True).status == "failed" and "big.txt" in read
    assert run(max_file_chunks=5000).status == "indexed"  # a larger limit reads it again
    big.write_text(big.read_text() + "\n\nOne more river bend.\n")
    assert run(max_file_chunks=50).status == "failed" and "big.txt" in read  # changed: read


def test_a_file_that_timed_out_is_not_partitioned_again(tmp_path):
    slow = slow_text(tmp_path / "slow.txt")
    ledger = tmp_path / "failed-files.json"
    options = IndexOptions(workers=1, timeout_s=2, failure_ledger=ledger)
    first = _index([slow], options)
    started = time.monotonic()
    again = _index([slow], options)
    seconds = time.monotonic() - started
    (result,) = again.files
    assert first.files[0].limit == "timeout" and result.status == "failed"
    assert "timed out" in result.reason and "--retry-failed" in result.reason
    assert seconds < 2, "the rerun partitioned the file again"
    record(
        "a file stopped by a limit (--timeout), unchanged, on rerun",
        "hostile input",
        outcome=f"not partitioned again ({seconds:.1f} s): {result.reason}",
    )


def test_the_most_common_reasons_group_files_that_failed_the_same_way():
    report = IndexReport(collections=["docs_x"])
    for i in range(60):
        path = f"/data/docs/file{i}.pdf"
        reason = f"[Errno 13] Permission denied: '{path}'"
        report.files.append(FileResult(path, "failed", reason=reason))
    table = report.table(max_rows=10)
    assert "60 x [Errno N] Permission denied: 'FILE'" in table
    assert json.loads(report.to_json())["reasons"] == {"[Errno N] Permission denied: 'FILE'": 60}
    record(
        "60 files failing the same way, each reason naming its file",
        "report summary",
        outcome="grouped into one kind: 60 x [Errno N] Permission denied: 'FILE'",
    )
