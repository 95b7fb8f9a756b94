"""The on-disk embedding cache: exact vectors, one namespace per model, bounded, crash-safe."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from indexer.embedding_cache import EmbeddingCache, encoder_key, text_digest
from tests.support.fakes import KeywordEncoder

REPO = Path(__file__).resolve().parents[2]


def _vectors(texts: list[str], dim: int = 8) -> np.ndarray:
    """Deterministic float32 vectors ``(n, dim)`` from each text's digest."""
    rows = [np.frombuffer(text_digest(t) * 2, dtype=np.float32)[:dim] for t in texts]
    return np.stack(rows).astype(np.float32)


def test_a_hit_returns_exactly_the_bytes_stored(tmp_path):
    texts = ["alpha", "beta", "gamma \udcff lone surrogate"]
    vectors = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    with EmbeddingCache(tmp_path / "c.sqlite") as cache:
        cache.put("fp:8", texts, vectors)
    with EmbeddingCache(tmp_path / "c.sqlite") as cache:  # reopened: on disk
        found = cache.get("fp:8", ["beta", "delta", "alpha", "beta"])
    assert sorted(found) == [0, 2, 3]
    assert found[0].tobytes() == vectors[1].tobytes() and found[3].tobytes() == vectors[1].tobytes()
    assert found[2].dtype == np.float32 and np.array_equal(found[2], vectors[0])


def test_another_model_never_gets_these_vectors(tmp_path):
    cat, dog = KeywordEncoder(["cat", "dog"]), KeywordEncoder(["dog", "cat"])
    assert encoder_key(cat) != encoder_key(dog)
    with EmbeddingCache(tmp_path / "c.sqlite") as cache:
        cache.put(encoder_key(cat), ["a cat"], cat.encode_documents(["a cat"]))
        assert cache.get(encoder_key(dog), ["a cat"]) == {}
        assert list(cache.get(encoder_key(cat), ["a cat"])) == [0]


def test_damaged_entries_are_dropped_not_served(tmp_path):
    path = tmp_path / "c.sqlite"
    with EmbeddingCache(path) as cache:
        cache.put("fp:8", ["one", "two", "three"], _vectors(["one", "two", "three"]))
    conn = sqlite3.connect(path)
    with conn:  # a flipped byte, and a short vector, as a damaged disk could leave them
        conn.execute(
            "UPDATE vectors SET vector = ? WHERE digest = ?",
            (b"\x01" + _vectors(["one"])[0].tobytes()[1:], text_digest("one")),
        )
        conn.execute("UPDATE vectors SET vector = X'00' WHERE digest = ?", (text_digest("two"),))
    conn.close()
    with EmbeddingCache(path) as cache:
        found = cache.get("fp:8", ["one", "two", "three"])
        assert list(found) == [2] and np.array_equal(found[2], _vectors(["three"])[0])
        assert cache.count("fp:8") == 1


def test_a_file_that_is_not_a_cache_disables_it_without_failing(tmp_path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is not an SQLite database" * 100)
    cache = EmbeddingCache(path)
    assert not cache.enabled
    cache.put("fp:8", ["x"], _vectors(["x"]))
    assert cache.get("fp:8", ["x"]) == {} and cache.misses == 1
    cache.close()


def test_the_size_bound_evicts_the_oldest_entries(tmp_path):
    dim = 256  # 1 KiB vectors: a 0.2 MiB bound keeps ~180 of them
    texts = [f"text {i}" for i in range(600)]
    vectors = np.ones((600, dim), np.float32)
    with EmbeddingCache(tmp_path / "c.sqlite", max_mb=0.2) as cache:
        for start in range(0, 600, 100):
            cache.put(f"fp:{dim}", texts[start : start + 100], vectors[start : start + 100])
        kept = cache.count()
        assert 100 < kept < 250
        assert 599 in cache.get(f"fp:{dim}", texts) and 0 not in cache.get(f"fp:{dim}", texts)


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {repo!r})
    import numpy as np
    from indexer.embedding_cache import EmbeddingCache, text_digest
    def _vectors(texts, dim=8):  # as in the test module
        rows = [np.frombuffer(text_digest(t) * 2, dtype=np.float32)[:dim] for t in texts]
        return np.stack(rows).astype(np.float32)
    cache = EmbeddingCache({path!r})
    i = 0
    while True:
        texts = [f"text {{i}} {{j}}" for j in range(200)]
        cache.put("fp:8", texts, _vectors(texts))
        i += 1
        if i == 3:
            print("writing", flush=True)
    """
)


def test_a_writer_killed_mid_write_leaves_only_whole_correct_entries(tmp_path):
    path = tmp_path / "c.sqlite"
    reader = EmbeddingCache(path)  # a second process's view, open while the writer runs
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER.format(repo=str(REPO), path=str(path))],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    texts = [f"text {i} {j}" for i in range(400) for j in range(200)]
    found = reader.get("fp:8", texts)
    reader.close()
    assert len(found) >= 600 and len(found) % 200 == 0  # whole transactions only
    expected = _vectors([texts[i] for i in sorted(found)])
    assert np.stack([found[i] for i in sorted(found)]).tobytes() == expected.tobytes()
    with EmbeddingCache(path) as again:  # and the file takes writes after the kill
        again.put("fp:8", ["after"], _vectors(["after"]))
        assert list(again.get("fp:8", ["after"])) == [0]
