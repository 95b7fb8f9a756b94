"""Indexing throughput on the Django docs, and Milvus Lite insert/search at 100k chunks.

Measured in one run, on one machine:
- end-to-end ``index_files`` (sniff, partition in a worker process, encode, upsert, the
  embedding cache on and empty at the start) with the teacher and with the student:
  files/s, chunks/s, peak RSS; the student's end-to-end chunks/s over the teacher's
  (goal >= 1.8); then the same files again into a fresh collection with the cache warm
  (what ``--rebuild`` or the rerun after a crash costs);
- the bare encoder on exactly the same chunk texts, same batch size: the ratio
  end-to-end / bare is the pipeline's efficiency (goal >= 0.85);
- ``large_file``: one sentence repeated to ``--large-mb`` MB (the issue-17 case),
  indexed by the CLI's defaults: wall time, chunks, texts encoded, status and reason;
- Milvus Lite insert rows/s and search latency p50/p95 at 100k chunks (synthetic unit
  vectors with real chunk texts as payload), with and without fetching output fields;
- the cost of full-text search: insert rows/s and Lite file size of the same rows in a
  collection with the BM25 field (``text`` analysed, ``sparse`` filled by Milvus) and in
  one with the schema before it (dense only), each in its own file.

    .venv/bin/python benchmarks/index_bench.py [--files 200] [--rows 100000]
    .venv/bin/python benchmarks/index_bench.py --parts pipeline,large_file --files 0 \
        --out docs/results/index_pipeline.json
    .venv/bin/python benchmarks/index_bench.py --parts full_text --rows 100000 \
        --out docs/results/full_text_cost.json
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from harness import milvus_raw
from harness.datasets import django_files, pieces
from harness.report import RESULTS, add_shared_flag, write_result
from harness.standin import LABEL as STANDIN_LABEL
from harness.standin import standin_student
from harness.stores import DIM, insert_synthetic, unit_vectors
from harness.timing import latencies_ms, latency_ms

from core.settings import load_settings
from encoders import Encoder, build_encoder, encoder_slug
from indexer import collection_name
from indexer.pipeline import IndexOptions, index_files
from indexer.stores import milvus_engine
from indexer.stores.base import CollectionInfo
from indexer.stores.milvus import MilvusStore

PARTS = ("pipeline", "milvus", "full_text", "large_file")
TOPIC = "indexing throughput"


def peak_rss_mib() -> float:
    """Peak resident memory of this process and its finished children (MiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def measure_pipeline(
    files: list[Path], encoder, workdir: Path
) -> tuple[dict[str, float], list[str]]:
    """End-to-end indexing with a cold cache, the bare encoder, then a warm-cache rerun."""
    slug = encoder_slug(encoder.name)  # a path or a registry name with '-' in it
    store = MilvusStore(str(workdir / f"pipeline_{slug}.db"))
    cache = workdir / f"cache_{slug}.sqlite"
    options = IndexOptions(workers=1, embedding_cache=cache)
    started = time.perf_counter()
    report = index_files(files, [encoder], store, "bench", options)
    e2e = time.perf_counter() - started
    texts = [text for _id, text in store.texts(collection_name("bench", encoder.name))]
    started = time.perf_counter()
    encoder.encode_documents(texts)
    bare = time.perf_counter() - started
    started = time.perf_counter()
    warm = index_files(files, [encoder], store, "warm", options)
    warm_s = time.perf_counter() - started
    store.close()
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
        "warm_cache_s": round(warm_s, 2),
        "warm_cache_chunks_per_s": round(warm.chunks_written / warm_s, 2),
        "warm_vectors_from_cache": warm.vectors_from_cache,
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }, texts


def student_encoder(teacher: Any, folder: Path, student: str) -> tuple[Encoder, str]:
    """``student`` (a path or registry name); without one, the harness's stand-in (the
    teacher's layers 0, 2, 4, untrained: the student's shape and speed, not its vectors)."""
    if student:
        return build_encoder(student, load_settings()), student
    return standin_student(teacher, folder), STANDIN_LABEL


def measure_encoders(files: list[Path], workdir: Path, student: str) -> tuple[dict, list[str]]:
    """The pipeline with the teacher, then with the student; their end-to-end ratio."""
    teacher = build_encoder("teacher", load_settings())
    out: dict = {}
    out["teacher"], texts = measure_pipeline(files, teacher, workdir)
    encoder, label = student_encoder(teacher, workdir / "student-standin", student)
    out["student"], _ = measure_pipeline(files, encoder, workdir)
    out["student"]["model"] = label
    out["student_over_teacher_chunks_per_s"] = round(
        out["student"]["chunks_per_s"] / out["teacher"]["chunks_per_s"], 3
    )
    return out, texts


def measure_large_file(megabytes: float, workdir: Path) -> dict:
    """One sentence repeated to ``megabytes`` MB, indexed with the CLI's defaults."""
    sentence = "The quick brown fox jumps over the lazy dog near the river bank. "
    path = workdir / "one_sentence.txt"
    path.write_text(sentence * int(megabytes * 2**20 / len(sentence)))
    encoder = build_encoder("teacher", load_settings())
    calls: list[int] = []
    encode = encoder.encode_documents
    encoder.encode_documents = lambda texts: (calls.append(len(texts)), encode(texts))[1]
    store = MilvusStore(str(workdir / "large.db"))
    options = IndexOptions(embedding_cache=workdir / "large_cache.sqlite")
    started = time.perf_counter()
    report = index_files([path], [encoder], store, "large", options)
    seconds = time.perf_counter() - started
    store.close()
    result = report.files[0]
    return {
        "megabytes": megabytes,
        "wall_s": round(seconds, 1),
        "status": result.status,
        "reason": result.reason,
        "chunks": result.chunks,
        "texts_encoded": sum(calls),
        "file_budget_s": options.file_budget_s,
    }


def measure_full_text_cost(texts: list[str], rows: int, workdir: Path) -> dict:
    """Insert rate and Lite file size of ``rows`` chunks with and without the BM25 field."""
    info = CollectionInfo("synthetic", DIM, "0" * 16)
    out: dict = {"rows": rows}
    for label, full_text in (("with_bm25", True), ("dense_only", False)):
        db = workdir / f"cost_{label}.db"
        store = MilvusStore(str(db))
        if full_text:
            store.ensure_collection("cost", info)
        else:  # the schema before keyword search, created as the store once did
            client = milvus_raw.raw_client(str(db))
            milvus_raw.create_dense_only(client, "cost", info)
            client.close()
        seconds = insert_synthetic(store, "cost", texts, rows)
        assert store.has_full_text("cost") is full_text
        store.close()  # flushes; the file size is read after
        started = time.perf_counter()  # reopen + load + first search, as the app starts
        store = MilvusStore(str(db))
        store.search("cost", np.ones((1, DIM), np.float32) / DIM**0.5, 10)
        reopen_s = time.perf_counter() - started
        store.close()
        out[label] = {
            "insert_rows_per_s": round(rows / seconds, 1),
            "file_mib": round(db.stat().st_size / 2**20, 2),
            "reopen_first_search_s": round(reopen_s, 2),
        }
    out["file_ratio"] = round(out["with_bm25"]["file_mib"] / out["dense_only"]["file_mib"], 3)
    out["insert_ratio"] = round(
        out["with_bm25"]["insert_rows_per_s"] / out["dense_only"]["insert_rows_per_s"], 3
    )
    return out


def measure_milvus(texts: list[str], rows: int, workdir: Path, queries: int = 200) -> dict:
    """Insert rate of ``rows`` synthetic rows, then top-10 search latency beneath the store
    (pymilvus's own client): every field fetched, and ids only."""
    db = str(workdir / "scale.db")
    store = MilvusStore(db)
    store.ensure_collection("scale", CollectionInfo("synthetic", DIM, "0" * 16))
    insert_s = insert_synthetic(store, "scale", texts, rows)
    probe = unit_vectors(np.random.default_rng(1), queries)  # (queries, DIM)
    store.search("scale", probe[:5], 10)  # first searches wait for the index build
    client = milvus_raw.raw_client(db)
    params = milvus_raw.search_params(client, db, 10)
    latencies = {}
    for label, fields in (("with_fields", milvus_raw.FIELDS), ("ids_only", ())):
        times = latencies_ms(
            lambda v, f=fields: milvus_raw.search(client, "scale", v[None, :], 10, params, f),
            probe,
        )
        latencies[label] = latency_ms(times)
    client.close()
    store.close()
    return {"rows": rows, "insert_rows_per_s": round(rows / insert_s, 1), "search_top10": latencies}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=200, help="Django docs files (0 = all)")
    parser.add_argument("--rows", type=int, default=100_000, help="rows for the Milvus scale test")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}"
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS / "index_bench.json", help="the JSON to write"
    )
    parser.add_argument(
        "--student",
        default="",
        help="student model path or name (default: an untrained stand-in "
        "of the student's shape, which has its speed)",
    )
    parser.add_argument(
        "--large-mb",
        type=float,
        default=50.0,
        help="size of large_file's one-sentence file (default 50)",
    )
    add_shared_flag(parser)
    args = parser.parse_args(argv)
    args.parts = [p for p in args.parts.split(",") if p]
    if unknown := set(args.parts) - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    return args


def measure_parts(args: argparse.Namespace, files: list[Path], workdir: Path) -> dict:
    """Every part ``--parts`` names, in ``PARTS`` order."""
    result: dict = {}
    if "pipeline" in args.parts:
        result["pipeline"], texts = measure_encoders(files, workdir, args.student)
    else:  # the same files cut into chunk-sized pieces, without encoding them
        texts = pieces(files)
    if "milvus" in args.parts:
        result["milvus_lite"] = measure_milvus(texts, args.rows, workdir)
    if "full_text" in args.parts:
        result["full_text"] = measure_full_text_cost(texts, args.rows, workdir)
    if "large_file" in args.parts:
        result["large_file"] = measure_large_file(args.large_mb, workdir)
    return result


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    files = django_files(args.files)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        result = measure_parts(args, files, Path(tmp))
    result.update(
        {
            "created": time.strftime("%Y-%m-%d %H:%M:%S"),
            "engine": f"milvus-lite {md.version('milvus-lite')}, "
            f"{milvus_engine.LITE_INDEX[0]} index",
            "load_avg": [round(x, 2) for x in (*load_before, *os.getloadavg())],
        }
    )
    out = args.out
    table = _markdown(result)
    write_result(out.stem, result, table, topic=TOPIC, shared=args.shared, folder=out.parent)


def _markdown(result: dict) -> str:
    lines = [
        f"# Indexing benchmark ({result['created']})",
        "",
        f"Engine: {result['engine']}. Load average (1/5/15 min, before and after): "
        f"{result['load_avg']}.",
        "",
        "| measure | value |",
        "|---|---|",
    ]
    if pipe := result.get("pipeline"):
        for name in ("teacher", "student"):
            lines += _pipeline_rows(name, pipe[name])
        lines.append(
            f"| **student / teacher end-to-end chunks/s** | "
            f"**{pipe['student_over_teacher_chunks_per_s']}** (goal >= 1.8) |"
        )
    if m := result.get("milvus_lite"):
        s = m["search_top10"]
        lines += [
            f"| Milvus Lite insert, {m['rows']} rows | {m['insert_rows_per_s']} rows/s |",
            f"| search top-10 at {m['rows']}, with output fields | "
            f"p50 {s['with_fields']['p50_ms']} ms, p95 {s['with_fields']['p95_ms']} ms |",
            f"| search top-10 at {m['rows']}, ids only | p50 {s['ids_only']['p50_ms']} ms, "
            f"p95 {s['ids_only']['p95_ms']} ms |",
        ]
    if f := result.get("full_text"):
        for label in ("with_bm25", "dense_only"):
            lines.append(
                f"| {f['rows']} rows, {label.replace('_', ' ')} | "
                f"{f[label]['insert_rows_per_s']} rows/s, file {f[label]['file_mib']} MiB, "
                f"reopen + first search {f[label]['reopen_first_search_s']} s |"
            )
        lines.append(
            f"| BM25 field cost (with / without) | insert rate x{f['insert_ratio']}, "
            f"file size x{f['file_ratio']} |"
        )
    if big := result.get("large_file"):
        lines.append(
            f"| one sentence repeated, {big['megabytes']} MB | {big['status']} in "
            f"{big['wall_s']} s: {big['chunks']} chunks, {big['texts_encoded']} texts encoded"
            f"{'; ' + big['reason'] if big['reason'] else ''} |"
        )
    return "\n".join([*lines, ""])


def _pipeline_rows(name: str, p: dict) -> list[str]:
    model = f" ({p['model']})" if "model" in p else ""
    return [
        f"| {name}{model}: files (Django docs) | {p['files']} ({p['files_failed']} failed) |",
        f"| {name}: chunks | {p['chunks']} |",
        f"| {name}: end-to-end, cache cold | {p['end_to_end_s']} s: {p['files_per_s']} "
        f"files/s, {p['chunks_per_s']} chunks/s |",
        f"| {name}: bare encoder, same chunks | {p['bare_encoder_s']} s: "
        f"{p['bare_encoder_chunks_per_s']} chunks/s |",
        f"| **{name}: pipeline / bare encoder** | **{p['pipeline_over_bare']}** (goal >= 0.85) |",
        f"| {name}: again, cache warm | {p['warm_cache_s']} s: "
        f"{p['warm_cache_chunks_per_s']} chunks/s ({p['warm_vectors_from_cache']} vectors "
        "from the cache) |",
        f"| {name}: peak RSS | {p['peak_rss_mib']} MiB |",
    ]


if __name__ == "__main__":
    main()
