"""Indexing throughput on the Django docs, and Milvus Lite insert/search at 100k chunks.

Measured in one run, on one machine:
- end-to-end ``index_files`` (sniff, partition in a worker process, encode, upsert):
  files/s, chunks/s, peak RSS;
- the bare encoder on exactly the same chunk texts, same batch size: the ratio
  end-to-end / bare is the pipeline's efficiency (goal >= 0.85);
- Milvus Lite insert rows/s and search latency p50/p95 at 100k chunks (synthetic unit
  vectors with real chunk texts as payload), with and without fetching output fields.

    .venv/bin/python benchmarks/index_bench.py [--files 200] [--rows 100000]
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import os
import random
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from indexer.encoders import build_encoder
from indexer.pipeline import IndexOptions, index_files
from indexer.settings import load_settings
from indexer.stores import milvus as milvus_store
from indexer.stores.base import CollectionInfo
from indexer.stores.milvus import SCALAR_FIELDS, VECTOR_FIELD, MilvusStore
from indexer.types import Chunk

RESULTS = Path(__file__).resolve().parent.parent / "docs" / "results"


def peak_rss_mib() -> float:
    """Peak resident memory of this process and its finished children (MiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def measure_pipeline(files: list[Path], workdir: Path) -> tuple[dict[str, float], list[str]]:
    settings = load_settings()
    encoder = build_encoder("teacher", settings)
    store = MilvusStore(str(workdir / "pipeline.db"))
    started = time.perf_counter()
    report = index_files(files, [encoder], store, "bench", IndexOptions(workers=1))
    e2e = time.perf_counter() - started
    texts = [h.text for h in _all_hits(store, "bench_teacher")]
    started = time.perf_counter()
    encoder.encode_documents(texts)
    bare = time.perf_counter() - started
    chunks = report.chunks_written
    return {
        "files": len(files),
        "files_failed": report.count("failed"),
        "chunks": chunks,
        "end_to_end_s": round(e2e, 2),
        "files_per_s": round(len(files) / e2e, 2),
        "chunks_per_s": round(chunks / e2e, 2),
        "bare_encoder_s": round(bare, 2),
        "bare_encoder_chunks_per_s": round(len(texts) / bare, 2),
        "pipeline_over_bare": round((chunks / e2e) / (len(texts) / bare), 3),
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }, texts


def _all_hits(store: MilvusStore, name: str) -> list[Chunk]:
    rows = store._scan(name, None, ["text"])  # benchmark reads the raw rows
    return [Chunk(text=r["text"], source="", file_type="") for r in rows]


def measure_milvus(texts: list[str], rows: int, workdir: Path, queries: int = 200) -> dict:
    rng = np.random.default_rng(0)
    dim = 384
    store = MilvusStore(str(workdir / "scale.db"))
    store.ensure_collection("scale", CollectionInfo("synthetic", dim, "0" * 16))
    started = time.perf_counter()
    for start in range(0, rows, 2048):
        n = min(2048, rows - start)
        vectors = rng.normal(size=(n, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        chunks = [
            Chunk(
                text=texts[(start + i) % len(texts)],
                source=f"doc{(start + i) // 20}",
                file_type="txt",
                chunk_index=start + i,
            )
            for i in range(n)
        ]
        store.upsert("scale", chunks, vectors)
    insert_s = time.perf_counter() - started
    probe = rng.normal(size=(queries, dim)).astype(np.float32)
    probe /= np.linalg.norm(probe, axis=1, keepdims=True)
    store.search("scale", probe[:5], 10)  # first searches wait for the index build
    latencies = {}
    for label, fields in (("with_fields", list(SCALAR_FIELDS)), ("ids_only", [])):
        times = []
        for vector in probe:
            t0 = time.perf_counter()
            store._client.search(
                "scale",
                data=[vector.tolist()],
                anns_field=VECTOR_FIELD,
                limit=10,
                output_fields=fields,
                search_params={"metric_type": "IP", "params": store._search_params_for(10)},
            )
            times.append((time.perf_counter() - t0) * 1000)
        latencies[label] = {
            "p50_ms": round(float(np.percentile(times, 50)), 2),
            "p95_ms": round(float(np.percentile(times, 95)), 2),
        }
    return {"rows": rows, "insert_rows_per_s": round(rows / insert_s, 1), "search_top10": latencies}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="Django docs files (0 = all)")
    parser.add_argument("--rows", type=int, default=100_000, help="rows for the Milvus scale test")
    args = parser.parse_args()
    from indexer.demo_corpus import fetch_django_docs

    docs = fetch_django_docs(load_settings().data_dir / "demo")
    files = sorted(docs.rglob("*.txt"))
    random.Random(0).shuffle(files)
    files = files[: args.files] if args.files else files
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        pipeline, texts = measure_pipeline(files, Path(tmp))
        milvus = measure_milvus(texts, args.rows, Path(tmp))
    result = {
        "pipeline": pipeline,
        "milvus_lite": milvus,
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "engine": f"milvus-lite {md.version('milvus-lite')}, {milvus_store.LITE_INDEX[0]} index",
        "load_avg": [round(x, 2) for x in (*load_before, *os.getloadavg())],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "index_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    table = _markdown(result)
    (RESULTS / "index_bench.md").write_text(table)
    print(table)


def _markdown(result: dict) -> str:
    p, m = result["pipeline"], result["milvus_lite"]
    s = m["search_top10"]
    return "\n".join(
        [
            f"# Indexing benchmark ({result['created']})",
            "",
            f"Engine: {result['engine']}. Load average (1/5/15 min, before and after): "
            f"{result['load_avg']}.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| files (Django docs) | {p['files']} ({p['files_failed']} failed) |",
            f"| chunks | {p['chunks']} |",
            f"| end-to-end | {p['end_to_end_s']} s: {p['files_per_s']} files/s, "
            f"{p['chunks_per_s']} chunks/s |",
            f"| bare encoder, same chunks | {p['bare_encoder_s']} s: "
            f"{p['bare_encoder_chunks_per_s']} chunks/s |",
            f"| **pipeline / bare encoder** | **{p['pipeline_over_bare']}** (goal >= 0.85) |",
            f"| peak RSS | {p['peak_rss_mib']} MiB |",
            f"| Milvus Lite insert, {m['rows']} rows | {m['insert_rows_per_s']} rows/s |",
            f"| search top-10 at {m['rows']}, with output fields | "
            f"p50 {s['with_fields']['p50_ms']} ms, p95 {s['with_fields']['p95_ms']} ms |",
            f"| search top-10 at {m['rows']}, ids only | p50 {s['ids_only']['p50_ms']} ms, "
            f"p95 {s['ids_only']['p95_ms']} ms |",
            "",
        ]
    )


if __name__ == "__main__":
    main()
