"""Indexing and retrieval: files -> chunks -> encoders -> Milvus, and back by query."""

from indexer.documents import ReadSummary, read_documents
from indexer.retrieval import MODES, Mode, Retriever, collection_name
from indexer.types import FILTERABLE_FIELDS, Chunk, Hit, text_hash

__all__ = [
    "FILTERABLE_FIELDS",
    "MODES",
    "Chunk",
    "Hit",
    "Mode",
    "ReadSummary",
    "Retriever",
    "collection_name",
    "read_documents",
    "text_hash",
]
