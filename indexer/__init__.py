"""Indexing and retrieval: chunk documents, encode them, store and search them in Milvus."""
