"""Ray engine against the local engine on one folder, and the Milvus insert rate it meets.

Both engines index the same files with the same encoder into one Milvus Lite file served
over gRPC (the store the Ray workers share), in collections of their own, the embedding
cache off. Measured:
- ``local_chunks_per_s``: ``index_files`` (one partitioning worker, one encoding thread);
- ``ray_start_s``: ``ray.init`` of a local Ray (``--num-cpus``), offline, no dashboard;
- ``ray_chunks_per_s``: ``index_files_ray`` once Ray is up (actor start-up included);
- ``ids_equal_local``: both collections hold the same ids and texts;
- ``insert_rows_per_s``: upsert of precomputed 384-d unit vectors into the served file
  (the store's own batches of 2048), the ceiling Milvus puts on any number of encoders.

    .venv/bin/python benchmarks/ray_index.py                     # 200 Django docs files
    .venv/bin/python benchmarks/ray_index.py --folder data/demo/django-docs/topics --files 0
    .venv/bin/python benchmarks/ray_index.py --parts insert --insert-rows 20000
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

from harness.report import RESULTS, add_shared_flag, write_result
from harness.stores import insert_synthetic

from core.settings import load_settings
from encoders import build_encoder
from indexer.pipeline import IndexOptions, index_files
from indexer.ray_engine import RayOptions, index_files_ray, ray_session
from indexer.retrieval import collection_name
from indexer.stores.base import CollectionInfo
from indexer.stores.lite_server import running_lite_server
from indexer.stores.milvus import MilvusStore
from indexer.walk import walk_files

DEFAULT_FOLDER = Path("data/demo/django-docs")
PARTS = ("engines", "insert")


def pick_files(folder: Path, count: int) -> list[Path]:
    """``count`` seeded-random files of the walk under ``folder`` (0 = all), text first."""
    files = walk_files([folder]).files
    text = [f for f in files if f.suffix == ".txt"] or files  # the Django docs' sources
    random.Random(0).shuffle(text)
    return sorted(text[:count] if count else text)


def measure_engines(files: list[Path], args: argparse.Namespace, store: MilvusStore) -> dict:
    """Both engines on ``files``; chunks/s, Ray's start, and whether the rows agree."""
    settings = load_settings().with_overrides(collection="ray", milvus_uri=store.location)
    encoder = build_encoder(args.encoder, settings)
    options = IndexOptions(workers=1)
    started = time.perf_counter()
    local = index_files(files, [encoder], store, "local", options)
    local_s = time.perf_counter() - started
    ray_options = RayOptions(
        num_cpus=args.num_cpus, chunk_actors=args.chunk_actors, encode_actors=args.encode_actors
    )
    with ray_session(ray_options) as ray_start_s:
        started = time.perf_counter()
        ray = index_files_ray(
            files, [encoder], store, store.location, settings, options, ray_options
        )
        ray_s = time.perf_counter() - started
    names = [collection_name(base, encoder.name) for base in ("local", "ray")]
    rows = [dict(store.texts(name)) for name in names]
    equal = rows[0] == rows[1] and all(
        store.count(n) == len(r) for n, r in zip(names, rows, strict=True)
    )
    local_rate = local.chunks_written / local_s
    ray_rate = ray.chunks_written / ray_s
    cores = args.num_cpus or os.cpu_count() or 1
    return {
        "files": len(files),
        "chunks": local.chunks_written,
        "ray_chunks": ray.chunks_written,
        "files_failed": [local.count("failed"), ray.count("failed")],
        "local_s": round(local_s, 2),
        "ray_s": round(ray_s, 2),
        "local_chunks_per_s": round(local_rate, 2),
        "ray_chunks_per_s": round(ray_rate, 2),
        "ratio": round(ray_rate / local_rate, 3) if local_rate else 0.0,
        "ray_start_s": round(ray_start_s, 2),
        "cores": cores,
        "ray_chunks_per_s_per_core": round(ray_rate / cores, 2),
        "actors": {"chunk": args.chunk_actors, "encode": args.encode_actors, "cpus_each": 0.5},
        "encoder": args.encoder,
        "ids_equal_local": equal,
    }


def measure_insert(store: MilvusStore, rows: int) -> dict:
    """Upsert rate of ``rows`` precomputed 384-d vectors with chunk-sized texts."""
    store.ensure_collection("insert_probe", CollectionInfo("probe", 384, "probe"))
    texts = [f"A chunk-sized passage number {i}. " * 25 for i in range(64)]  # ~850 chars
    seconds = insert_synthetic(store, "insert_probe", texts, rows)
    store.drop("insert_probe")
    return {"insert_rows": rows, "insert_rows_per_s": round(rows / seconds, 1)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--folder", type=Path, default=DEFAULT_FOLDER, help="default: the Django docs (make demo)"
    )
    parser.add_argument("--files", type=int, default=200, help="files to index (0 = all)")
    parser.add_argument("--encoder", default="teacher", help="registry name or model path")
    parser.add_argument("--num-cpus", type=int, default=None, help="local Ray's CPUs (all)")
    parser.add_argument("--chunk-actors", type=int, default=1, help="ChunkStage actors")
    parser.add_argument("--encode-actors", type=int, default=1, help="EncodeStage actors")
    parser.add_argument(
        "--insert-rows", type=int, default=20_000, help="rows for the insert part (20000)"
    )
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}"
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS / "ray_index.json", help="the JSON to write"
    )
    add_shared_flag(parser)
    args = parser.parse_args(argv)
    args.parts = [p for p in args.parts.split(",") if p]
    if unknown := set(args.parts) - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    parts = args.parts
    load_before = os.getloadavg()
    result: dict = {}
    with tempfile.TemporaryDirectory() as tmp, running_lite_server(Path(tmp) / "bench.db") as uri:
        store = MilvusStore(uri)
        if "engines" in parts:
            files = pick_files(args.folder, args.files)
            if not files:
                raise SystemExit(
                    f"no files under {args.folder} (`make demo` fetches the Django docs)"
                )
            result.update(measure_engines(files, args, store))
        if "insert" in parts:
            result.update(measure_insert(store, args.insert_rows))
        store.close()
    result["created"] = time.strftime("%Y-%m-%d %H:%M:%S")
    result["store"] = "milvus-lite 2.5.1 served over gRPC (indexer.stores.lite_server)"
    result["load_avg"] = [round(x, 2) for x in (*load_before, *os.getloadavg())]
    out = args.out
    table = markdown(result)
    write_result(out.stem, result, table, topic="Ray engine", shared=args.shared, folder=out.parent)


def markdown(result: dict) -> str:
    """The figures as a markdown table."""
    lines = ["# Ray engine vs local engine", "", "| measure | value |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in result.items() if key != "load_avg"]
    lines += ["", f"Load average before / after: {result['load_avg']}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
