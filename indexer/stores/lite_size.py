"""Bytes one collection takes inside a Milvus Lite file (``MilvusStore.collection_bytes``:
the Index page's disk column, the eval's "index MB" column).

Milvus Lite 2.5.1 keeps its data in one SQLite file (header ``SQLite format 3``): each
collection is a table of its own named like the collection (rows as blobs, plus any
index on that table), and the BM25 statistics of every collection share two tables,
``token_doc_count`` (one row per collection, field and distinct token) and
``bm25_stats``. The file's size adds up every collection in it, so a report that shows
it per system overstates each one. This module reads the pages of one collection from
SQLite's ``dbstat`` virtual table over a read-only connection, and adds the
collection's share (by row count) of the shared BM25 tables.

Read-only: it touches nothing but the file.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from urllib.parse import quote

from core.settings import is_server_uri

logger = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
#: Tables every collection shares, keyed by a ``collection_name`` column.
SHARED_TABLES = ("token_doc_count", "bm25_stats")
_PAGES = (
    "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = ? "
    "OR name IN (SELECT name FROM sqlite_master WHERE tbl_name = ? AND type = 'index')"
)


def collection_bytes(store_location: str, collection: str) -> int | None:
    """Bytes of ``collection``'s table and indexes (and its share of the BM25 tables) in
    the Milvus Lite file at ``store_location``.

    None for a server URI, a path that is not a SQLite file, a file without that table,
    or a SQLite build without ``dbstat``: "not measured", never a guess.
    """
    if is_server_uri(store_location):
        return None
    path = Path(store_location).expanduser()
    if not _is_sqlite(path):
        return None
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        with sqlite3.connect(uri, uri=True, timeout=5.0) as conn:
            if not _has_table(conn, collection):
                return None
            own = conn.execute(_PAGES, (collection, collection)).fetchone()[0]
            return int(own) + _shared_bytes(conn, collection)
    except sqlite3.Error as exc:  # no dbstat in this SQLite build, a locked file, ...
        logger.info("cannot measure collection %s in %s: %s", collection, path, exc)
        return None


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(query, (name,)).fetchone() is not None


def _shared_bytes(conn: sqlite3.Connection, collection: str) -> int:
    """The collection's rows' share of each shared BM25 table's pages (and indexes)."""
    total = 0
    for table in SHARED_TABLES:
        if not _has_table(conn, table):
            continue
        rows = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        mine = conn.execute(
            f"SELECT COUNT(*) FROM {table} WHERE collection_name = ?",
            (collection,),
        ).fetchone()[0]
        if rows and mine:
            pages = conn.execute(_PAGES, (table, table)).fetchone()[0]
            total += int(pages) * mine // rows
    return total
