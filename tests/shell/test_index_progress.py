"""``distilsearch index``: progress inside a large file, the embedding cache and its switch
(a tiny random model, Milvus Lite in a temporary folder)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shell.cli import main
from tests.support.fakes import save_tiny_sentence_transformer


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    model = save_tiny_sentence_transformer(tmp_path / "model")
    docs = tmp_path / "docs"
    docs.mkdir()
    lines = (f"the cat sat on mat {i} and the dog ran {i * 31}." for i in range(300))
    (docs / "big.txt").write_text("\n\n".join(lines))
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MILVUS_URI", raising=False)
    monkeypatch.delenv("DISTILSEARCH_EMBEDDING_CACHE_MB", raising=False)
    return [
        "index",
        str(docs),
        "--encoder",
        str(model),
        "--workers",
        "0",
        "--chunking",
        "basic",
        "--max-chars",
        "100",
        "--overlap",
        "0",
        "--batch-chunks",
        "16",
    ]


def test_the_bar_shows_chunks_encoded_of_the_file_and_a_rebuild_reads_the_cache(
    setup: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(setup) == 0
    printed = capsys.readouterr()
    shown = re.findall(r"encoding=\S*big\.txt (\d+)/(\d+)", printed.err)
    assert shown and shown[-1][0] == shown[-1][1] and int(shown[-1][1]) > 100
    assert (tmp_path / "data" / "cache" / "embeddings.sqlite").is_file()
    assert "vectors cached" not in printed.out
    assert main([*setup, "--rebuild"]) == 0  # dropped and rebuilt: every vector cached
    assert f"({shown[-1][1]} vectors cached)" in capsys.readouterr().out
    assert main([*setup, "--rebuild", "--no-embedding-cache"]) == 0
    assert "vectors cached" not in capsys.readouterr().out


def test_help_explains_the_cache_and_the_budget(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["index", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--no-embedding-cache" in text and "sha256 of the text" in text
    assert "--file-budget" in text and "partitioning (--timeout) and encoding" in text
