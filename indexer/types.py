"""Plain data carried between chunking, encoding, storage and the UI."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

#: Scalar fields every chunk record carries; the only fields a filter may name.
FILTERABLE_FIELDS: tuple[str, ...] = ("source", "file_type", "section", "page", "content_hash")
#: The longest stored source (UTF-8 bytes); a file with a longer path fails alone.
MAX_SOURCE_BYTES = 4096


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of a document.

    ``id`` is derived from the source path and the chunk's text, so re-indexing an
    unchanged file produces the same ids and writes nothing new.
    """

    text: str
    source: str
    file_type: str
    section: str = ""
    page: int = -1
    chunk_index: int = 0
    id: str = field(default="")
    content_hash: str = field(default="")

    def __post_init__(self) -> None:
        if not self.content_hash:
            object.__setattr__(self, "content_hash", text_hash(self.text))
        if not self.id:
            object.__setattr__(self, "id", chunk_id(self.source, self.chunk_index, self.text))


@dataclass(frozen=True)
class Hit:
    """One search result: a stored chunk and its similarity to the query."""

    id: str
    score: float
    text: str
    source: str
    file_type: str = ""
    section: str = ""
    page: int = -1
    chunk_index: int = 0


def text_hash(text: str) -> str:
    """Hex sha256 of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def chunk_id(source: str, chunk_index: int, text: str) -> str:
    """A stable 32-hex-char id: sha256 over source, position and text.

    Only hex characters, so it is always safe inside a Milvus filter expression.
    """
    key = f"{source}\x00{chunk_index}\x00{text}".encode("utf-8", errors="surrogatepass")
    return hashlib.sha256(key).hexdigest()[:32]
