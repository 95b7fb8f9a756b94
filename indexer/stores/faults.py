"""A write the store refused, told in words: the cause and the folder that holds the data.

Milvus Lite on a full disk answers an upsert with a bare "Unexpected error in RPC
handling"; the free space left beside its file tells that apart from other failures.
Worse, once its file system is full it can acknowledge writes it never keeps, with only
"database or disk is full" in its own log (docs/ARCHITECTURE.md has the measurement), so
:func:`check_room` refuses to write to a Lite file whose file system has less than
:data:`MIN_FREE_BYTES` free, before and after each write.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from indexer.stores.base import StoreWriteError

#: Less free space than this beside a Lite file that refused a write reads as "disk full".
LOW_SPACE_BYTES = 64 * 2**20
#: Writes to a Lite file stop (disk full) when its file system has less than this free.
MIN_FREE_BYTES = 16 * 2**20
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
RERUN = (
    "nothing already stored is lost; run the same command again once that is fixed: it "
    "goes on where this run stopped"
)


def write_failure(exc: BaseException, location: str, is_server: bool) -> StoreWriteError:
    """The :class:`StoreWriteError` for ``exc``, raised by a write to the store at ``location``
    (a server URI, or a Milvus Lite file whose folder is the data folder)."""
    cause = _cause(exc)
    if is_server:
        return StoreWriteError(
            f"the Milvus server at {location} refused a write ({cause}); a server whose disk "
            f"is full answers this way, so check its storage; {RERUN}"
        )
    folder = Path(location).expanduser().parent
    free = free_bytes(folder)
    left = "unknown space" if free is None else f"{free / 2**20:.1f} MiB"
    if isinstance(exc, OSError) and exc.errno == errno.EROFS:
        what = f"the data folder {folder} is on a read-only file system ({cause})"
    elif _errno(exc) in FULL_ERRNOS or (free is not None and free < LOW_SPACE_BYTES):
        what = (
            f"the disk is full ({cause}): {left} free on the file system holding the data "
            f"folder {folder}; free space there or move the data folder "
            "(DISTILSEARCH_DATA_DIR, MILVUS_URI)"
        )
    else:
        what = f"the store could not write to {location} ({cause}; {left} free in {folder})"
    return StoreWriteError(f"{what}; {RERUN}")


def check_room(lite_file: str) -> None:
    """Raise :class:`StoreWriteError` (disk full) when the file system holding ``lite_file``
    has less than :data:`MIN_FREE_BYTES` free: past that, Milvus Lite may lose writes."""
    folder = Path(lite_file).expanduser().parent
    free = free_bytes(folder)
    if free is not None and free < MIN_FREE_BYTES:
        raise StoreWriteError(
            f"the disk is full: {free / 2**20:.1f} MiB free on the file system holding the "
            f"data folder {folder}, under the {MIN_FREE_BYTES // 2**20} MiB Milvus Lite needs "
            "to write safely (on a full disk it loses writes it has acknowledged); free "
            f"space there or move the data folder (DISTILSEARCH_DATA_DIR, MILVUS_URI); {RERUN}"
        )


def free_bytes(folder: Path) -> int | None:
    """Bytes free on the file system holding ``folder`` (or its nearest existing parent)."""
    for candidate in (folder, *folder.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def _errno(exc: BaseException) -> int | None:
    return exc.errno if isinstance(exc, OSError) else None


def _cause(exc: BaseException) -> str:
    """The error's own words: ``strerror`` of an OSError, Milvus's message, else its text."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    message = getattr(exc, "message", None)
    return str(message if isinstance(message, str) and message else exc) or type(exc).__name__
