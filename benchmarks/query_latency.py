"""End-to-end query latency through ``SearchService`` (encode + search + fetch), student
vs teacher, at several collection sizes, on the embedded default (Milvus Lite by file).

Encoding 100k chunks with a real model on two cores takes hours, so the collections
hold synthetic unit vectors (seeded) carrying real text payloads (SciFact abstracts cut
to 1000 characters, the UI's chunk size); the queries are real SciFact claims encoded
for real. Latency depends on how many vectors there are, their dimension and what each
hit carries back, not on what they mean. Configurations:

* ``service/<encoder> @<n>t``: ``SearchService.search`` as the UI calls it, torch at
  ``n`` threads (the number the target is about); ``encode/...``: query encoding alone;
* ``service/student docs + teacher queries @<n>t``: teacher-query mode, the student's
  collection searched with queries the teacher encoded; ``... + teacher-onnx queries``: the
  same with the teacher's fp32 ONNX graph, which computes the teacher's vectors faster
  (``--query-encoders`` picks them; none skips both);
* ``batch1``: query encoding alone at batch 1 for teacher and student, interleaved, at
  each thread count, and the first query of a freshly loaded copy (issue 18);
* ``store/search+fetch``: ``MilvusStore.search`` with a precomputed vector (all fields);
  ``store/search-ids``: ids and scores only; ``store/search-ids+query``: ids, then a
  ``query`` by id for the fields; ``store/search+fetch+filter``: a ``source`` filter.
* ``store/keyword``: BM25 ``search_text`` with the query text (``+filter``: the same
  ``source`` filter); ``store/hybrid-rrf`` / ``store/hybrid-weighted``: ``search_hybrid``
  with the teacher's precomputed vector and the text, each side 100 candidates deep;
  ``hybrid/<encoder> @<n>t``: encoding + hybrid search, what a hybrid query costs a service;
  ``store/search+fetch top 100`` / ``store/keyword top 100``: each side alone at the
  hybrid candidate depth.
  The payload repeats 5,000 abstracts, so a keyword query's top 10 holds copies of one
  text: these rows time keyword search, they say nothing about its quality.

The student is ``models/student`` when it exists, else the harness's stand-in: the
teacher cut to layers (0, 2, 4), untrained (its speed, not its quality; labelled so in the
output), whose ``distill_meta.json`` names the teacher so teacher-query mode can be timed
on it. The ``store/search-ids*`` rows call Milvus beneath the store, through pymilvus's own
client on a connection of its own (``benchmarks/harness/milvus_raw.py``).

``recall@10`` compares ``store/search+fetch`` with exact top 10 computed in numpy over
the same rows: 1.0 for an exact index. The synthetic rows have no cluster structure, the
hardest case for an approximate index. ``--lite-index IVF_FLAT`` measures the other
index Milvus Lite 2.5 offers, in place of the store's FLAT.

    .venv/bin/python benchmarks/query_latency.py [--sizes 5000,100000] [--queries 200]
    .venv/bin/python benchmarks/query_latency.py --lite-index IVF_FLAT --threads 1 \
        --out docs/results/query_latency_ivf_flat.json
    .venv/bin/python benchmarks/query_latency.py --sizes 100000 --threads 1 --queries 100 \
        --out docs/results/query_latency_teacher_queries.json
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from harness import milvus_raw
from harness.datasets import load_set, parse_sets
from harness.report import RESULTS, add_shared_flag, write_result
from harness.scoring import CACHE
from harness.standin import LABEL as STANDIN_LABEL
from harness.standin import standin_student
from harness.timing import latencies_ms, latency_ms

from evaluation import read_queries

TARGET = {"p50_ms": 25.0, "p95_ms": 50.0}
PAYLOAD = "SciFact abstracts cut to 1000 chars"
TOPIC = "query latency"


def load_texts(n_queries: int) -> tuple[list[str], list[str]]:
    """(chunk texts, query texts): SciFact's first 5,000 documents (title and text) cut to
    1000 characters, and its first ``n_queries`` queries in file order."""
    root = parse_sets("scifact")["scifact"]
    data = load_set("scifact", root)
    texts = [doc[:1000] for doc in data.documents[:5000]]
    return texts, list(read_queries(root).values())[:n_queries]


def stats(samples: list[float]) -> dict[str, float]:
    """p50 and p95 (harness percentiles), mean and count of millisecond samples."""
    return {
        **latency_ms(samples),
        "mean_ms": round(float(np.mean(samples)), 2),
        "n": len(samples),
    }


def synthetic(size: int, dim: int, texts: list[str], start: int, n: int):
    """Rows ``start..start+n`` of the seeded synthetic collection: (vectors, metadata)."""
    rng = np.random.default_rng([size, start])
    vectors = rng.standard_normal((n, dim), dtype=np.float32)  # (n, dim)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    meta = [
        {
            "text": texts[i % len(texts)],
            "source": f"synthetic/doc{i % 500}.txt",
            "file_type": "txt",
            "section": f"section {i % 40}",
            "chunk_index": i,
        }
        for i in range(start, start + n)
    ]
    return vectors, meta


def student_encoder(teacher: Any, cache: Path) -> tuple[Any, str]:
    """``models/student`` when it exists, else the stand-in paired with the teacher."""
    from core.settings import load_settings
    from encoders import build_encoder

    settings = load_settings()
    if (settings.models_dir / "student").is_dir():
        return build_encoder("student", settings), "student (models/student)"
    return standin_student(teacher, cache / "student-standin", paired=True), STANDIN_LABEL


def teacher_query_encoders(args, teacher) -> list:
    """The encoders ``--query-encoders`` names; ``teacher-onnx`` is exported to
    ``--cache`` the way ``distill`` exports it (again only when the teacher's weights
    changed) and runs at the first of ``--threads`` (ONNX Runtime fixes its threads when
    the session is made)."""
    from encoders.backend_encoder import BackendEncoder
    from encoders.variants import variant_dir
    from usecases.distilling import export_teacher

    names = [n.strip() for n in args.query_encoders.split(",") if n.strip() not in ("", "none")]
    unknown = set(names) - {"teacher", "teacher-onnx"}
    if unknown:
        raise SystemExit(f"--query-encoders: unknown {sorted(unknown)}")
    out = [teacher] if "teacher" in names else []
    if "teacher-onnx" in names:
        export_teacher(str(teacher.model_dir), args.cache, ("onnx",), notes := [])
        for note in notes:
            print(f"warning: {note}")
        folder = variant_dir(args.cache / "teacher", "onnx")
        out.append(BackendEncoder("teacher-onnx", folder, threads=args.threads[0]))
    return out


def fill(store, encoder, size: int, texts: list[str]) -> float | None:
    """Create ``encoder``'s collection with ``size`` synthetic rows; None when reused."""
    from indexer.retrieval import collection_name
    from indexer.stores.base import CollectionInfo
    from indexer.types import Chunk

    coll = collection_name("bench", encoder.name)
    info = store.collection_info(coll)
    if (
        info is not None
        and info.fingerprint == encoder.fingerprint
        and store.count(coll) == size
        and store.has_full_text(coll)  # cached before the BM25 field: rebuild
    ):
        return None
    if info is not None:
        store.drop(coll)
    store.ensure_collection(coll, CollectionInfo(encoder.name, encoder.dim, encoder.fingerprint))
    started = time.perf_counter()
    for start in range(0, size, 5000):
        vectors, meta = synthetic(size, encoder.dim, texts, start, min(5000, size - start))
        store.upsert(coll, [Chunk(**m) for m in meta], vectors)
    return time.perf_counter() - started


def recall_vs_exact(store, coll: str, size: int, texts, queries: np.ndarray, k: int) -> float:
    """Mean overlap of the store's top ``k`` with the exact top ``k`` over the same rows."""
    rows = np.concatenate(
        [
            synthetic(size, queries.shape[1], texts, s, min(5000, size - s))[0]
            for s in range(0, size, 5000)
        ]
    )  # (size, dim)
    exact = np.argsort(-(queries @ rows.T), axis=1)[:, :k]  # (q, k) row numbers = chunk_index
    found = store.search(coll, queries, k)
    overlaps = [
        len({hit.chunk_index for hit in hits} & set(row.tolist())) / k
        for hits, row in zip(found, exact, strict=True)
    ]
    return round(float(np.mean(overlaps)), 4)


def mode_runs(store, k: int, rows: list[np.ndarray], queries: list[str], encoders) -> dict:
    """Keyword and hybrid configurations: store calls with the teacher's precomputed query
    vectors, and ``hybrid/<encoder>`` (encode + hybrid search, as a service would)."""
    from indexer.retrieval import collection_name
    from indexer.stores import Fusion
    from indexer.stores.fusion import candidate_depth

    coll, flt, weighted = "bench_teacher", {"source": "synthetic/doc7.txt"}, Fusion("weighted")
    pairs = list(zip(rows, queries, strict=True))
    depth = candidate_depth(k)
    runs = {
        f"store/search+fetch top {depth}": (lambda v: store.search(coll, v, depth), rows),
        f"store/keyword top {depth}": (lambda q: store.search_text(coll, [q], depth), queries),
        "store/keyword": (lambda q: store.search_text(coll, [q], k), queries),
        "store/keyword+filter": (lambda q: store.search_text(coll, [q], k, flt), queries),
        "store/hybrid-rrf": (lambda p: store.search_hybrid(coll, p[0], [p[1]], k), pairs),
        "store/hybrid-rrf+filter": (
            lambda p: store.search_hybrid(coll, p[0], [p[1]], k, flt),
            pairs,
        ),
        "store/hybrid-weighted": (
            lambda p: store.search_hybrid(coll, p[0], [p[1]], k, fusion=weighted),
            pairs,
        ),
    }
    for enc in encoders:
        name = collection_name("bench", enc.name)
        runs[f"hybrid/{enc.name}"] = (
            lambda q, e=enc, c=name: store.search_hybrid(c, e.encode_queries([q]), [q], k),
            queries,
        )
    return runs


def raw_runs(client: Any, db: Path, coll: str, k: int, rows: list[np.ndarray]) -> dict:
    """``store/search-ids`` and ``store/search-ids+query``: Milvus beneath the store, on a
    client of its own (what fetching the fields costs, and fetching them apart)."""
    params = milvus_raw.search_params(client, str(db), k)

    def ids_only(v: np.ndarray) -> Any:
        return milvus_raw.search(client, coll, v, k, params)

    def ids_then_query(v: np.ndarray) -> Any:
        return milvus_raw.fetch(client, coll, [hit["id"] for hit in ids_only(v)[0]])

    return {"store/search-ids": (ids_only, rows), "store/search-ids+query": (ids_then_query, rows)}


def service_runs(
    service: Any, k: int, queries: list[str], teacher: Any, student: Any, query_encoders
) -> dict:
    """``encode/`` and ``service/`` configurations of both encoders, and ``service/student
    docs + X queries`` for each query encoder the student pairs with."""
    from encoders.pairing import pairs_with

    runs: dict = {}
    for enc in (teacher, student):
        runs[f"encode/{enc.name}"] = (lambda q, e=enc: e.encode_queries([q]), queries)
        runs[f"service/{enc.name}"] = (lambda q, e=enc: service.search(q, e.name, k), queries)
    for queries_by in query_encoders:
        if not pairs_with(student, queries_by):
            print(f"skipping {queries_by.name} queries: {student.name} is not paired with it")
            continue
        runs[f"service/{student.name} docs + {queries_by.name} queries"] = (
            lambda q, e=queries_by.name: service.search(q, student.name, k, query_encoder=e),
            queries,
        )
    return runs


def time_runs(runs: dict, thread_counts: list[int]) -> dict:
    """Latency stats of every run after a 20-call warm-up; ``store/`` runs (no torch) at
    the first thread count only, the others at each, labelled ``@<n>t``."""
    import torch

    configs: dict = {}
    for threads in thread_counts:
        torch.set_num_threads(threads)
        for name, (fn, items) in runs.items():
            if name.startswith("store/") and threads != thread_counts[0]:
                continue  # no torch in these: once is enough
            latencies_ms(fn, items[:20])  # warm-up
            label = name if name.startswith("store/") else f"{name} @{threads}t"
            configs[label] = stats(latencies_ms(fn, items))
    return configs


def measure(size: int, args, teacher, student, texts, queries, query_encoders) -> dict:
    """Fill (or reuse) the collections, reopen them as the app would, then time everything.

    ``query_encoders``: the teacher-query modes to time (the teacher, its fp32 ONNX graph).
    """
    from indexer.stores.milvus import MilvusStore
    from usecases.search import SearchService

    db = args.cache / f"lite-{size}.db"
    store = MilvusStore(str(db))
    result: dict = {f"insert_s/{e.name}": fill(store, e, size, texts) for e in (teacher, student)}
    store.close()  # also stops this process's Lite server, freeing the file
    store, coll, k = MilvusStore(str(db)), "bench_teacher", args.top_k
    vectors = np.load(args.cache / "query_vectors.npy")  # (q, dim), the teacher's
    rows = [vectors[i : i + 1] for i in range(len(vectors))]
    for _ in range(300):  # searches right after a bulk insert wait for index builds
        if max(latencies_ms(lambda v: store.search(coll, v, k), rows[:5])) < 1000:
            break
    encoders = {e.name: e for e in (teacher, student, *query_encoders)}
    service = SearchService(store, "bench", encoders.__getitem__)
    client = milvus_raw.raw_client(str(db))
    flt = {"source": "synthetic/doc7.txt"}
    runs = {
        "store/search+fetch": (lambda v: store.search(coll, v, k), rows),
        **raw_runs(client, db, coll, k, rows),
        "store/search+fetch+filter": (lambda v: store.search(coll, v, k, flt), rows),
        **mode_runs(store, k, rows, queries, (teacher, student)),
        **service_runs(service, k, queries, teacher, student, query_encoders),
    }
    configs: dict = {"recall@10": recall_vs_exact(store, coll, size, texts, vectors, k)}
    configs |= time_runs(runs, args.threads)
    client.close()
    store.close()  # also stops this process's Lite server, freeing the file
    return {"rows": size, **result, "configs": configs}


def batch1_latency(encoders, queries: list[str], thread_counts: list[int]) -> dict:
    """Batch-1 query encoding per encoder: p50/p95 at each thread count, interleaved, after
    a warm-up, and the first query of a freshly loaded copy (the wrapper warms up at load)."""
    import torch

    from encoders import SentenceTransformerEncoder

    out: dict = {enc.name: {} for enc in encoders}
    for threads in thread_counts:
        torch.set_num_threads(threads)
        samples: dict[str, list[float]] = {enc.name: [] for enc in encoders}
        for enc in encoders:
            latencies_ms(lambda q, e=enc: e.encode_queries([q]), queries[:20])
        for q in queries:  # interleaved: load from other jobs hits both alike
            for enc in encoders:
                samples[enc.name] += latencies_ms(lambda x, e=enc: e.encode_queries([x]), [q])
        for name, values in samples.items():
            out[name][f"@{threads}t"] = stats(values)
    for enc in encoders:
        fresh = SentenceTransformerEncoder(enc.name, enc.model_dir)
        out[enc.name]["first_query_after_load_ms"] = round(
            latencies_ms(lambda q, f=fresh: f.encode_queries([q]), queries[-1:])[0], 2
        )
    teacher, student = (enc.name for enc in encoders)
    out["student_speedup_p50"] = {
        key: round(out[teacher][key]["p50_ms"] / out[student][key]["p50_ms"], 2)
        for key in out[teacher]
        if key.startswith("@")
    }
    return out


def markdown(report: dict) -> str:
    lines = [
        f"# Query latency (top {report['top_k']}, {report.get('queries', '?')} queries)",
        "",
        f"Engine: {report['engine']}. Student: {report.get('student', '-')}. Load average "
        f"(1/5/15 min, before and after): {report['load_avg']}.",
        "",
        "| rows | configuration | p50 ms | p95 ms | mean ms |",
        "|---|---|---|---|---|",
    ]
    for size, res in report["sizes"].items():
        for name, s in res["configs"].items():
            if not isinstance(s, dict):
                lines.append(f"| {size} | {name} | {s} | | |")
                continue
            lines.append(f"| {size} | {name} | {s['p50_ms']} | {s['p95_ms']} | {s['mean_ms']} |")
    if "batch1" in report:
        lines += ["", "Batch-1 query encoding (encode_queries of one query, interleaved):", ""]
        lines += ["| encoder | threads | p50 ms | p95 ms |", "|---|---|---|---|"]
        for name, res in report["batch1"].items():
            for key, s in res.items():
                if isinstance(s, dict) and "p50_ms" in s:
                    lines.append(f"| {name} | {key} | {s['p50_ms']} | {s['p95_ms']} |")
        lines.append(
            f"\nStudent speed-up at batch 1 (p50): {report['batch1']['student_speedup_p50']}"
        )
    if "target_met" in report:
        verdict = ", ".join(
            f"{t}: **{'met' if ok else 'not met'}**" for t, ok in report["target_met"].items()
        )
        lines += [
            "",
            f"Target (the student's systems, largest size, encoding included): p50 <= "
            f"{TARGET['p50_ms']} ms, p95 <= {TARGET['p95_ms']} ms: {verdict}.",
        ]
    return "\n".join(lines) + "\n"


def target_met(sizes: dict, args) -> dict[str, bool]:
    """Whether each of the student's systems (its own queries and every teacher-query
    mode timed) met :data:`TARGET` with its whole query at the largest size."""
    largest = sizes[str(max(args.sizes))]["configs"]
    return {
        label.removeprefix("service/"): all(largest[label][p] <= TARGET[p] for p in TARGET)
        for label in largest
        if label.startswith("service/student")
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--sizes", default="5000,100000", help="collection sizes; 'none' times batch-1 only")
    add("--queries", type=int, default=200, help="SciFact queries timed (default 200)")
    add("--top-k", type=int, default=10, help="hits per search (default 10)")
    add("--threads", default="1,2", help="torch thread counts to time")
    add(
        "--lite-index",
        choices=["FLAT", "IVF_FLAT"],
        default="FLAT",
        help="Milvus Lite index to measure (the store uses FLAT)",
    )
    add(
        "--query-encoders",
        default="teacher,teacher-onnx",
        help="teacher-query modes to time (student docs + these queries), comma-separated "
        "from teacher, teacher-onnx (the teacher's fp32 ONNX graph, exported to --cache), "
        "or none",
    )
    add("--cache", type=Path, default=CACHE / "latency", help="collections and exports")
    add("--out", type=Path, default=RESULTS / "query_latency.json", help="the JSON to write")
    add_shared_flag(parser)
    args = parser.parse_args(argv)
    args.sizes = [] if args.sizes == "none" else [int(s) for s in args.sizes.split(",")]
    args.threads = [int(t) for t in args.threads.split(",")]
    return args


def use_lite_index(args: argparse.Namespace) -> str:
    """Point the Lite engine at ``--lite-index`` (IVF_FLAT gets a cache of its own); the
    index as the report names it."""
    from indexer.stores import milvus_engine  # where LITE_INDEX lives

    if args.lite_index == "IVF_FLAT":
        milvus_engine.LITE_INDEX = ("IVF_FLAT", {"nlist": 128}, {"nprobe": 16})
        args.cache = args.cache / "ivf_flat"
    args.cache.mkdir(parents=True, exist_ok=True)
    return "{} build {} search {}".format(*milvus_engine.LITE_INDEX)


def main(argv: list[str] | None = None) -> None:
    from core.settings import load_settings
    from encoders import build_encoder

    args = parse_args(argv)
    load_before = os.getloadavg()
    report: dict = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "top_k": args.top_k,
    }
    index = use_lite_index(args)
    texts, queries = load_texts(args.queries)
    teacher = build_encoder("teacher", load_settings({"DISTILSEARCH_THREADS": "1"}))
    student, label = student_encoder(teacher, args.cache)
    np.save(args.cache / "query_vectors.npy", teacher.encode_queries(queries))
    report["batch1"] = batch1_latency((teacher, student), queries, args.threads)
    query_encoders = teacher_query_encoders(args, teacher)
    sizes = {
        str(s): measure(s, args, teacher, student, texts, queries, query_encoders)
        for s in args.sizes
    }
    report.update(
        {
            "engine": {
                "pymilvus": md.version("pymilvus"),
                "milvus_lite": md.version("milvus-lite"),
                "index": index,
            },
            "student": label,
            "queries": len(queries),
            "sizes": sizes,
        }
    )
    if sizes:
        report.update(target=TARGET, target_met=target_met(sizes, args))
    report["load_avg"] = [round(x, 2) for x in (*load_before, *os.getloadavg())]
    report["payload"] = PAYLOAD
    out = args.out
    table = markdown(report)
    write_result(out.stem, report, table, topic=TOPIC, shared=args.shared, folder=out.parent)


if __name__ == "__main__":
    main()
