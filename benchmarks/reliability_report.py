"""Regenerate docs/reliability.md: hostile files, injection, SIGKILL, folders that fight back,
UI writes, load, and the fault-injection suite (disk full, Milvus gone, workers killed, files
changing, Ray not starting, hostile inputs).

Everything is generated here or by the tests' factories (nothing downloaded) and runs
on real parts: unstructured, the packaged teacher, Milvus Lite, the Streamlit server.
``--sections`` reruns some sections only; the others keep their last results
(docs/results/reliability.json), each stamped with when it ran.

    .venv/bin/python benchmarks/reliability_report.py [--trials 5] [--clients 20] [--seconds 60]
        [--sections hostile,faults]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.report import add_shared_flag, publish_page, write_result  # noqa: E402

from benchmarks.load_test import build_index, load_service, load_streamlit  # noqa: E402
from benchmarks.reliability_faults import faults, run_suite  # noqa: E402
from benchmarks.reliability_faults import render as render_faults  # noqa: E402
from benchmarks.reliability_fight_back import fight_back, ui_writes  # noqa: E402
from benchmarks.reliability_fight_back import render as render_fight_back  # noqa: E402
from indexer.stores.base import CollectionInfo  # noqa: E402
from indexer.stores.milvus import MilvusStore  # noqa: E402
from indexer.types import Chunk  # noqa: E402

PAYLOADS = [
    '") or true or ("',
    "trailing\\",
    'x" || 1==1 || "',
    "' or '1'='1",
    'a\\" or \\"1',
    "%s%s%s",
    "${jndi:x}",
    "<script>alert(1)</script>",
]
BAD_FIELDS = ["text or 1==1", "id", "source) or (true", "__proto__"]


HOSTILE_SUITE = ("tests/indexer/test_hostile_inputs.py::test_hostile_folder",)
CRASH_SUITE = ("tests/indexer/test_crash_safety.py",)


def hostile(tmp: Path) -> list[dict]:
    """Every entry of the suite's hostile folder: expected status, what the indexer did."""
    cases = run_suite(tmp / "hostile.jsonl", HOSTILE_SUITE)["cases"]
    rows = []
    for case in (c for c in cases if c["case"] == "hostile"):
        ok = case["got"] in case["expected"].split("|")
        rows.append(
            {
                "file": case["injected"],
                "expected": case["expected"],
                "got": case["got"],
                "ok": ok,
                "reason": case["reason"],
            }
        )
    return rows


def injection(tmp: Path) -> list[dict]:
    store = MilvusStore(str(tmp / "inject.db"))
    store.ensure_collection("i", CollectionInfo("e", 4, "0" * 16))
    sources = [*PAYLOADS, "plain.txt"]
    chunks = [
        Chunk(text=f"t{i}", source=s, file_type="txt", chunk_index=i) for i, s in enumerate(sources)
    ]
    vectors = np.eye(4, dtype=np.float32)[[i % 4 for i in range(len(chunks))]]
    store.upsert("i", chunks, vectors)
    rows = []
    for payload in PAYLOADS:
        matched = store.count("i", {"source": payload})
        rows.append(
            {"payload": payload, "kind": "value", "matched_rows": matched, "inert": matched == 1}
        )
    for field in BAD_FIELDS:
        try:
            store.count("i", {field: "x"})
            rows.append({"payload": field, "kind": "field", "matched_rows": -1, "inert": False})
        except ValueError:
            rows.append({"payload": field, "kind": "field", "matched_rows": 0, "inert": True})
    store.close()
    return rows


def crashes(tmp: Path, trials: int) -> list[dict]:
    """The suite's SIGKILL trials (``trials`` is the suite's own count; kept for the CLI)."""
    cases = run_suite(tmp / "crash.jsonl", CRASH_SUITE)["cases"]
    return [{k: v for k, v in c.items() if k != "case"} for c in cases if c["case"] == "crash"]


SECTIONS = ("hostile", "injection", "crash", "fight_back", "ui_writes", "load", "faults")
RESULTS = ROOT / "docs" / "results" / "reliability.json"


def run_section(name: str, tmp: Path, args: argparse.Namespace) -> object:
    """One section's results."""
    if name == "crash":
        return crashes(tmp, args.trials)
    if name == "load":
        build_index(tmp / "load", 40)
        return {
            "search_service": load_service(tmp / "load", args.clients, args.seconds),
            "streamlit": load_streamlit(tmp / "load", args.clients, args.seconds),
            "clients": args.clients,
            "seconds": args.seconds,
        }
    runners = {
        "hostile": hostile,
        "injection": injection,
        "fight_back": fight_back,
        "ui_writes": ui_writes,
        "faults": faults,
    }
    return runners[name](tmp)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})",
    )
    add_shared_flag(parser)
    args = parser.parse_args()
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    result = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    stamps = result.setdefault("stamps", {})
    for name in SECTIONS:  # results from before sections had stamps: the run's own time
        if name in result and name not in stamps:
            stamps[name] = result.get("created", "?")
    with tempfile.TemporaryDirectory() as tmp_name:
        for name in chosen:
            (Path(tmp_name) / name).mkdir()
            result[name] = run_section(name, Path(tmp_name) / name, args)
            stamps[name] = time.strftime("%Y-%m-%d %H:%M:%S")
    result["created"] = time.strftime("%Y-%m-%d %H:%M:%S")
    page = render(result, args)
    write_result("reliability", result, page, topic="reliability", shared=args.shared)
    publish_page("reliability", page)
    return 1 if problems(result) else 0


def problems(result: dict) -> list:
    """Every row that did not go as expected, in any section present."""
    bad = (
        [r for r in result.get("hostile", []) if not r["ok"]]
        + [r for r in result.get("injection", []) if not r["inert"]]
        + [r for r in result.get("crash", []) if not r["equal_to_clean"]]
        + [r for r in result.get("fight_back", []) if not r["ok"]]
        + [
            r
            for r in result.get("ui_writes", [])
            if (r["outcome"] == "done") != r["setting"].endswith("right key")
        ]
    )
    if "faults" in result and not result["faults"]["passed"]:
        bad.append(result["faults"]["pytest"])
    load = result.get("load")
    if load and load["search_service"]["errors"] + load["streamlit"]["http"]["errors"]:
        bad.append("load errors")
    return bad


def render(r: dict, args: argparse.Namespace) -> str:
    out = [
        "# Reliability report",
        "",
        f"Generated {r['created']} by `make reliability` "
        "(`benchmarks/reliability_report.py`); every figure below comes from its runs. "
        "Sections last run: "
        + ", ".join(f"{k} {v}" for k, v in sorted(r.get("stamps", {}).items()))
        + ".",
        "",
        "## Hostile files",
        "",
        "Indexed together in one folder with the packaged teacher into Milvus Lite, with a "
        "4 MiB size limit and a 4 s per-file timeout.",
        "",
        "| file | expected | got | reason |",
        "|---|---|---|---|",
    ]
    for row in r["hostile"]:
        mark = "" if row["ok"] else " **UNEXPECTED**"
        out.append(
            f"| `{row['file']}` | {row['expected']} | {row['got']}{mark} | "
            f"{row['reason'][:90].replace('|', '/')} |"
        )
    out += [
        "",
        "## Filter injection",
        "",
        "Values reach Milvus only through `indexer/stores/milvus_expr.quote_string`; field "
        "names are allow-listed. Each value payload is stored once as a source; inert means "
        "the filter matched exactly that one row.",
        "",
        "| payload | kind | rows matched | inert |",
        "|---|---|---|---|",
    ]
    for row in r["injection"]:
        shown = row["payload"].replace("|", "\\|")
        out.append(f"| `{shown}` | {row['kind']} | {row['matched_rows']} | {row['inert']} |")
    crash = r["crash"]
    equal = sum(1 for c in crash if c["equal_to_clean"])
    out += [
        "",
        "## SIGKILL during indexing",
        "",
        f"{len(crash)} trials: `distilsearch index` (40 files, batches of 8 chunks) killed "
        "with SIGKILL once its progress passed a random file, then rerun. "
        f"{equal}/{len(crash)} ended with exactly the clean run's chunk ids and no duplicate rows.",
        "",
        "| trial | killed at file | killed mid-run | chunks | rows | equal to clean |",
        "|---|---|---|---|---|---|",
    ]
    out += [
        f"| {c['trial']} | {c['kill_at_file']} | {c['killed_mid_run']} | {c['chunks']} | "
        f"{c['rows']} | {c['equal_to_clean']} |"
        for c in crash
    ]
    if "faults" in r:
        out += render_faults(r["faults"])
    out += render_fight_back(r["fight_back"], r["ui_writes"])
    service, http = r["load"]["search_service"], r["load"]["streamlit"]["http"]
    browser = r["load"]["streamlit"]["browser"]
    clients, seconds = r["load"].get("clients", 20), r["load"].get("seconds", 60.0)
    out += [
        "",
        "## Load",
        "",
        f"{clients} concurrent clients for {seconds:.0f} s each, on 127.0.0.1 only.",
        "",
        "| target | requests | errors | throughput/s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
        f"| SearchService.search (encode + search + fetch) | {service['requests']} | "
        f"{service['errors']} | {service['throughput_per_s']} | {service['p50_ms']} | "
        f"{service['p95_ms']} | {service['p99_ms']} |",
        f"| Streamlit server over HTTP (page, health) | {http['requests']} | {http['errors']} | "
        f"{http['throughput_per_s']} | {http['p50_ms']} | {http['p95_ms']} | {http['p99_ms']} |",
    ]
    if "searches" in browser:
        out.append(
            f"| Chromium sessions searching through the UI ({browser['sessions']}) | "
            f"{browser['searches']} | {browser['errors']} | - | {browser['p50_ms']} | "
            f"{browser['p95_ms']} | - |"
        )
    out += [
        "",
        "The HTTP clients and the Chromium sessions run at the same time against one "
        "Streamlit server. Each Chromium search waits for its own query's result before "
        "the next click. An earlier version of this test clicked again as soon as the "
        "previous result was on the page. That was about 10 clicks a second per session, "
        "and each click started a new script thread while the old ones were still "
        "finishing. Streamlit starts those threads on its event loop, so the loop stalled "
        "and 36 of 9,582 HTTP requests timed out after 30 s. A user who clicks that fast "
        "slows the server down for everyone else.",
    ]
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
