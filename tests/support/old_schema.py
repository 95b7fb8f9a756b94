"""Collections as releases before keyword search built them (no BM25 field)."""

from __future__ import annotations

from indexer.stores import CollectionInfo

#: Exactly the byte limits of the schema before the BM25 field existed.
OLD_MAX_BYTES = {
    "id": 64,
    "text": 65535,
    "source": 4096,
    "file_type": 32,
    "section": 1024,
    "content_hash": 64,
}


def create_old_collection(client, name: str, info: CollectionInfo) -> None:
    """The schema ``MilvusStore._create`` built before keyword search, through raw pymilvus
    (``client``: a ``MilvusClient``)."""
    from pymilvus import DataType, MilvusClient

    from indexer.stores.milvus import META_PREFIX

    schema = MilvusClient.create_schema(
        auto_id=False, enable_dynamic_field=False, description=META_PREFIX + info.to_json()
    )
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=OLD_MAX_BYTES["id"])
    for field in ("text", "source", "file_type", "section", "content_hash"):
        schema.add_field(field, DataType.VARCHAR, max_length=OLD_MAX_BYTES[field])
    schema.add_field("page", DataType.INT64)
    schema.add_field("chunk_index", DataType.INT64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=info.dim)
    index = client.prepare_index_params()
    index.add_index("vector", index_type="FLAT", metric_type="IP", params={})
    client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
