"""BEIR loading and dataset resolution (download mocked, never real network)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from urllib.error import URLError

import pytest

from evaluation import beir, read_queries, subsample
from evaluation.beir import doc_chunk_id, load_beir, resolve_dataset
from tests.support.beir_factory import write_tiny_beir


def test_load_keeps_only_judged_queries_and_joins_title(tmp_path: Path) -> None:
    data = load_beir(write_tiny_beir(tmp_path / "tiny"))
    assert data.name == "tiny" and data.split == "test"
    assert data.doc_ids == ["d1", "d2", "d3", "d4", "d5"]
    assert data.queries == {"q1": "cat", "q2": "dog", "q3": "bird"}  # q9 has no qrels
    assert data.qrels == {"q1": {"d2": 1}, "q2": {"d3": 1, "d2": 1}, "q3": {"d4": 1}}
    assert data.documents[0] == "cat cat"  # empty title: no leading space
    assert data.documents[1] == "Pets cat dog"
    assert len(data.corpus_hash) == 64


def test_chunks_carry_doc_id_in_source_and_a_hex_id(tmp_path: Path) -> None:
    data = load_beir(write_tiny_beir(tmp_path / "tiny"))
    chunks = data.chunks()
    assert [c.source for c in chunks] == data.doc_ids
    assert all(c.file_type == "beir" for c in chunks)
    assert chunks[0].id == doc_chunk_id("d1")
    odd = doc_chunk_id("a 'quoted' \"id\" with spaces/and slashes" * 10)
    assert len(odd) == 32 and all(ch in "0123456789abcdef" for ch in odd)


def test_corpus_hash_changes_with_content(tmp_path: Path) -> None:
    first = load_beir(write_tiny_beir(tmp_path / "a")).corpus_hash
    root = write_tiny_beir(tmp_path / "b")
    (root / "corpus.jsonl").write_text(
        (root / "corpus.jsonl").read_text().replace("bird fish", "bird")
    )
    assert load_beir(root).corpus_hash != first


def test_missing_directory_and_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_beir(tmp_path / "nope")
    root = write_tiny_beir(tmp_path / "tiny")
    with pytest.raises(FileNotFoundError, match=r"qrels/dev\.tsv"):
        load_beir(root, split="dev")


def test_bad_json_line_is_reported_with_its_line(tmp_path: Path) -> None:
    root = write_tiny_beir(tmp_path / "tiny")
    with (root / "corpus.jsonl").open("a") as handle:
        handle.write("{not json\n")
    with pytest.raises(ValueError, match=r"corpus\.jsonl:6"):
        load_beir(root)


def test_resolve_accepts_a_directory(tmp_path: Path) -> None:
    root = write_tiny_beir(tmp_path / "tiny")
    assert resolve_dataset(str(root), tmp_path / "data") == root


def test_resolve_unknown_name_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="neither a directory nor a BEIR dataset name"):
        resolve_dataset("no-such-set", tmp_path / "data")


def test_resolve_beir_name_offline_says_so(tmp_path: Path, monkeypatch) -> None:
    def offline(*_args, **_kwargs):
        raise URLError("Temporary failure in name resolution")

    monkeypatch.setattr(beir, "urlopen", offline)
    with pytest.raises(RuntimeError, match=r"offline.*--dataset"):
        resolve_dataset("scifact", tmp_path / "data")


def test_resolve_beir_name_downloads_and_unpacks(tmp_path: Path, monkeypatch) -> None:
    source = write_tiny_beir(tmp_path / "src" / "scifact")
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as archive:
        for path in source.rglob("*"):
            if path.is_file():
                archive.write(path, path.relative_to(source.parent))
    urls: list[str] = []

    def fake_urlopen(url: str, timeout: float):
        urls.append(url)
        return io.BytesIO(payload.getvalue())

    monkeypatch.setattr(beir, "urlopen", fake_urlopen)
    root = resolve_dataset("scifact", tmp_path / "data")
    assert root == tmp_path / "data" / "beir" / "scifact"
    assert urls == [beir.BEIR_URL.format(name="scifact")]
    assert load_beir(root).queries["q1"] == "cat"
    assert resolve_dataset("scifact", tmp_path / "data") == root  # cached: no second fetch
    assert len(urls) == 1


def test_read_queries_is_tolerant(tmp_path: Path) -> None:
    root = write_tiny_beir(tmp_path / "tiny")
    assert read_queries(root) == {"q1": "cat", "q2": "dog", "q3": "bird", "q9": "unjudged query"}
    with (root / "queries.jsonl").open("a") as handle:
        handle.write('{broken\n["no", "id"]\n{"_id": 7}\n')
    assert read_queries(root)["7"] == "" and len(read_queries(root)) == 5
    assert read_queries(tmp_path / "missing") == {}
    (tmp_path / "binary").mkdir()
    (tmp_path / "binary" / "queries.jsonl").write_bytes(b"\xff\xfe")
    assert read_queries(tmp_path / "binary") == {}


def test_subsample_keeps_judged_docs_then_tops_up(tmp_path: Path) -> None:
    full = load_beir(write_tiny_beir(tmp_path / "tiny"))
    small = subsample(full, max_queries=2, max_docs=3)
    assert small.name == "tiny-small" and small.split == "test"
    assert small.queries == {"q1": "cat", "q2": "dog"}
    assert small.qrels == {"q1": {"d2": 1}, "q2": {"d3": 1, "d2": 1}}
    assert small.doc_ids == ["d1", "d2", "d3"]  # judged d2, d3, topped up with d1 (corpus order)
    assert small.documents[1] == "Pets cat dog"
    # judged documents stay even past max_docs
    assert subsample(full, max_queries=3, max_docs=1).doc_ids == ["d2", "d3", "d4"]
    assert subsample(full, max_queries=99, max_docs=99).doc_ids == full.doc_ids
    with pytest.raises(ValueError, match="must be >= 1"):
        subsample(full, max_queries=0, max_docs=3)
