"""An on-disk cache of document vectors keyed by (encoder fingerprint, sha256 of the text).

Identical texts (a passage repeated in a file, boilerplate across files, the same text
after re-chunking, the rerun after a crash) are encoded once per model. The key holds
the encoder's weight fingerprint and dimension, so one model never gets another's
vectors; a hit returns exactly the float32 bytes the encoder returned.

One SQLite file (WAL journal): each write is one transaction, so a killed run leaves
whole entries or none, and each entry also carries a checksum of its key and bytes that
is verified on every read; an entry that fails it is dropped, never served. Several
processes may share the file (writers wait up to ``busy_timeout_s``). Entries beyond
``max_mb`` are evicted oldest first. The cache never fails indexing: any SQLite error
is logged once and that lookup or write is skipped.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)

ROW_OVERHEAD_BYTES = 120  # key, checksum, ids and SQLite page overhead per entry (estimate)
_LOOKUP_BATCH = 500  # digests per SELECT (SQLite's variable limit is 999 on old builds)
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS vectors ("
    " id INTEGER PRIMARY KEY,"
    " encoder TEXT NOT NULL,"
    " digest BLOB NOT NULL,"
    " vector BLOB NOT NULL,"
    " checksum BLOB NOT NULL,"
    " UNIQUE (encoder, digest))"
)


class _Keyed(Protocol):
    fingerprint: str
    dim: int


def encoder_key(encoder: _Keyed) -> str:
    """The cache namespace of one model: weight fingerprint and dimension."""
    return f"{encoder.fingerprint}:{encoder.dim}"


def text_digest(text: str) -> bytes:
    """sha256 of ``text`` (UTF-8; lone surrogates kept as they are)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _checksum(key: str, digest: bytes, blob: bytes) -> bytes:
    return hashlib.sha256(key.encode() + b"\0" + digest + blob).digest()[:8]


class EmbeddingCache:
    """Vectors by (encoder key, text digest) in one SQLite file; thread-safe."""

    def __init__(self, path: Path, max_mb: float = 1024.0, busy_timeout_s: float = 10.0) -> None:
        if max_mb <= 0:
            raise ValueError(f"max_mb must be > 0, got {max_mb}")
        self.path = Path(path)
        self.max_bytes = int(max_mb * 2**20)
        self.hits = self.misses = self.writes = 0
        self._lock = threading.Lock()
        self._warned = False
        self._conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=busy_timeout_s, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            with conn:
                conn.execute(_SCHEMA)
            self._conn = conn
        except (sqlite3.Error, OSError) as exc:
            self._fail("cannot open", exc)

    @property
    def enabled(self) -> bool:
        """False when the file could not be opened (then every lookup misses)."""
        return self._conn is not None

    def get(self, key: str, texts: Sequence[str]) -> dict[int, np.ndarray]:
        """Cached vectors of ``texts`` under ``key``: ``{index in texts: (dim,) float32}``."""
        if self._conn is None or not texts:
            self.misses += len(texts)
            return {}
        dim = int(key.rsplit(":", 1)[1])
        where: dict[bytes, list[int]] = {}
        for i, text in enumerate(texts):
            where.setdefault(text_digest(text), []).append(i)
        found: dict[int, np.ndarray] = {}
        bad: list[bytes] = []
        digests = list(where)
        try:
            with self._lock:
                for start in range(0, len(digests), _LOOKUP_BATCH):
                    part = digests[start : start + _LOOKUP_BATCH]
                    marks = ",".join("?" * len(part))
                    rows = self._conn.execute(
                        "SELECT digest, vector, checksum FROM vectors "
                        f"WHERE encoder = ? AND digest IN ({marks})",
                        [key, *part],
                    ).fetchall()
                    for digest, blob, check in rows:
                        if len(blob) != 4 * dim or _checksum(key, digest, blob) != check:
                            bad.append(digest)
                            continue
                        vector = np.frombuffer(blob, dtype=np.float32)
                        for i in where[digest]:
                            found[i] = vector
                if bad:
                    self._drop(key, bad)
        except sqlite3.Error as exc:
            self._fail("lookup failed", exc)
            found = {}
        self.hits += len(found)
        self.misses += len(texts) - len(found)
        return found

    def put(self, key: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store ``vectors`` ``(len(texts), dim)`` float32 for ``texts`` under ``key``."""
        if self._conn is None or not texts:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        rows = []
        for text, vector in zip(texts, vectors, strict=True):
            digest, blob = text_digest(text), vector.tobytes()
            rows.append((key, digest, blob, _checksum(key, digest, blob)))
        keep = max(1, self.max_bytes // (vectors.shape[1] * 4 + ROW_OVERHEAD_BYTES))
        try:
            with self._lock, self._conn:  # one transaction: all rows and the eviction, or none
                self._conn.executemany(
                    "INSERT OR IGNORE INTO vectors (encoder, digest, vector, checksum) "
                    "VALUES (?, ?, ?, ?)",
                    rows,
                )
                self._conn.execute(
                    "DELETE FROM vectors WHERE id <= (SELECT MAX(id) FROM vectors) - ?", (keep,)
                )
            self.writes += len(rows)
        except sqlite3.Error as exc:
            self._fail("write failed", exc)

    def count(self, key: str | None = None) -> int:
        """Entries stored (under ``key``, or all)."""
        if self._conn is None:
            return 0
        with self._lock:
            if key is None:
                return int(self._conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])
            sql = "SELECT COUNT(*) FROM vectors WHERE encoder = ?"
            return int(self._conn.execute(sql, (key,)).fetchone()[0])

    def close(self) -> None:
        if self._conn is not None:
            with self._lock:
                self._conn.close()
            self._conn = None

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _drop(self, key: str, digests: list[bytes]) -> None:
        assert self._conn is not None
        logger.warning("embedding cache %s: %d damaged entries dropped", self.path, len(digests))
        with self._conn:
            self._conn.executemany(
                "DELETE FROM vectors WHERE encoder = ? AND digest = ?", [(key, d) for d in digests]
            )

    def _fail(self, what: str, exc: Exception) -> None:
        if not self._warned:
            logger.warning(
                "embedding cache %s: %s (%s: %s); texts are encoded without it",
                self.path,
                what,
                type(exc).__name__,
                exc,
            )
            self._warned = True
        if what == "cannot open":
            self._conn = None
