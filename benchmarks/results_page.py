"""Results in one place: ``docs/results/README.md`` from every ``docs/results/*.json``.

    python benchmarks/results_page.py            # write the page and the docs' result blocks
    python benchmarks/results_page.py --check    # exit 1 if either is not what this would write

Every result file gets a row in its topic's table: a link to its markdown table, a few
headline figures where a small extractor knows its keys (:data:`HEADLINES`), the command
that made it, the date, the machine and whether the machine was shared.

Where each of those comes from:

* files written by ``benchmarks/harness/report.py`` carry ``{"meta": {"topic", "command",
  "date", "machine": {"cpu", "cores", "python", "torch"}, "machine_shared"}}``;
* older files carry no stamp: :data:`LEGACY` gives their topic, command (for today's
  scripts: options that were defaults then are spelled out) and date (``git log -1
  --format=%cs`` of the file when the table was written; a ``created`` field in the JSON
  wins), and whether the docs recorded the machine as shared; their machine is "not
  recorded". A file neither stamped nor in the table lands under "unclassified".

A result is **historical** when the script its command names no longer exists, or when a
file its entry names in ``superseded_by`` (legacy) or ``meta.superseded_by`` (stamped) is
present: so a successor that appears later moves its predecessors without an edit here.
Historical results get a section of their own, after the current ones.

Markdown files under ``docs/`` may hold a block between ``<!-- results:start -->`` and
``<!-- results:end -->``; :data:`BLOCKS` names each file and the topic prefix whose
current tables the block repeats (``docs/distillation.md``: every topic starting with
"distillation"). ``--check`` compares the page and every block with what would be written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "docs" / "results"
PAGE_NAME = "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
#: Markdown files (relative to the repository) -> the topic prefix their block repeats.
BLOCKS: dict[str, str] = {"docs/distillation.md": "distillation"}
NOT_RECORDED = "not recorded"
UNCLASSIFIED = "unclassified"

D = "distillation"
INT8 = "distillation: int8 and backends"
QUALITY = "retrieval quality"
INDEXING = "indexing"
LATENCY = "query latency"
FS = "python benchmarks/fidelity_suite.py"
CURVE = "python benchmarks/distill_bench.py curve"
QL = "python benchmarks/query_latency.py"
IB = "python benchmarks/index_bench.py"
STUDENT20 = "--student benchmarks/.cache/suite_django20/django_faq"
STUDENT20_INT8 = "benchmarks/.cache/suite_django20/django_faq-int8"
SPREAD60 = "benchmarks/.cache/curve_spread60/student"


@dataclass(frozen=True)
class Legacy:
    """What an unstamped result file does not say about itself."""

    topic: str
    command: str
    date: str
    shared: bool | None = None
    superseded_by: tuple[str, ...] = ()


FRONTIER = ("frontier",)
SHARED, ALONE = True, False
#: Unstamped result files: stem -> what they do not say. Dates: ``git log -1 --format=%cs``.
LEGACY: dict[str, Legacy] = {
    "answer_quality_smollm2": Legacy(
        "answers",
        "python benchmarks/answer_quality.py (before issue 32: extractive against SmolLM2)",
        "2026-11-29",
        SHARED,
        ("answer_quality",),
    ),
    "chunking_choice": Legacy(
        QUALITY, "python benchmarks/chunking_choice.py --docs 1500", "2026-11-24"
    ),
    "dev_suite": Legacy(QUALITY, "python benchmarks/dev_suite.py --teacher", "2026-11-29"),
    "distill_ablation": Legacy(
        D,
        "python benchmarks/distill_ablation.py --steps 20; last four rows: --only 5,7,8,9"
        " --append --layer-map 0,3,5 (variants and defaults have changed since)",
        "2026-11-24",
        SHARED,
        FRONTIER,
    ),
    "distill_curve_default": Legacy(
        D, f"{CURVE} --minutes 20 --points 5,10 --layer-map 0,2,4", "2026-11-24", SHARED, FRONTIER
    ),
    "distill_curve_spread": Legacy(
        D, f"{CURVE} --minutes 10 --points 5 --tag spread", "2026-11-24", SHARED, FRONTIER
    ),
    "distill_curve_spread20": Legacy(
        D, f"{CURVE} --minutes 20 --points 5,10 --tag spread20", "2026-11-24", SHARED, FRONTIER
    ),
    "distill_curve_spread60": Legacy(
        D, f"{CURVE} --minutes 60 --points 5,10,20,40 --tag spread60", "2026-11-25", ALONE, FRONTIER
    ),
    "distill_curve_spread120": Legacy(
        D,
        f"{CURVE} --minutes 120 --points 5,10,20,60 --tag spread120",
        "2026-11-25",
        ALONE,
        FRONTIER,
    ),
    "distill_speed": Legacy(
        INT8,
        f"python benchmarks/distill_bench.py speed --student {SPREAD60} --rounds 5",
        "2026-11-25",
        None,
        FRONTIER,
    ),
    "encoder_speed": Legacy(
        INT8,
        f"python benchmarks/encoder_speed.py {STUDENT20} --legacy-int8 {STUDENT20_INT8}"
        " --rounds 2 --datasets django_faq",
        "2026-11-29",
        ALONE,
    ),
    "fidelity_suite": Legacy(
        D,
        FS,
        "2026-11-30",
        ALONE,
        FRONTIER,
    ),
    "fidelity_suite_base20": Legacy(
        D,
        f"{FS} --sets python_faq,scifact --recipe alpha_ce=1 --tag base20",
        "2026-11-29",
        ALONE,
        FRONTIER,
    ),
    "fidelity_suite_django20": Legacy(
        D,
        f"{FS} --sets django_faq --recipe alpha_ce=1 --tag django20",
        "2026-11-29",
        ALONE,
        FRONTIER,
    ),
    "fidelity_suite_django60": Legacy(
        D,
        f"{FS} --minutes 5,10,20,60 --sets django_faq --recipe alpha_ce=1 --tag django60",
        "2026-11-30",
        ALONE,
        FRONTIER,
    ),
    "fidelity_suite_django60_noce": Legacy(
        D,
        f"{FS} --minutes 5,10,20,60 --sets django_faq --tag django60_noce",
        "2026-11-30",
        ALONE,
        FRONTIER,
    ),
    "fidelity_suite_four": Legacy(
        D,
        f"{FS} --recipe alpha_ce=1 'layer_map=[0,2,4,5]' --tag four",
        "2026-11-29",
        ALONE,
        FRONTIER,
    ),
    "fidelity_suite_four_noce": Legacy(
        D,
        f"{FS} --sets django_faq,python_faq --recipe 'layer_map=[0,2,4,5]' --tag four_noce",
        "2026-11-30",
        ALONE,
        FRONTIER,
    ),
    "fidelity_suite_four_noce_scifact": Legacy(
        D,
        f"{FS} --sets scifact --recipe 'layer_map=[0,2,4,5]' --tag four_noce_scifact",
        "2026-11-30",
        ALONE,
        FRONTIER,
    ),
    "fidelity_suite_kd1": Legacy(
        D, f"{FS} --minutes 5 --recipe alpha_ce=1 --tag kd1", "2026-11-30", SHARED, FRONTIER
    ),
    "full_text_cost": Legacy(
        INDEXING,
        f"{IB} --parts full_text --rows 100000 --out docs/results/full_text_cost.json",
        "2026-11-29",
        SHARED,
    ),
    "hybrid": Legacy(QUALITY, "python benchmarks/hybrid_sweep.py", "2026-11-29", SHARED),
    "index_bench": Legacy(INDEXING, f"{IB} --files 100", "2026-11-24"),
    "index_pipeline": Legacy(
        INDEXING,
        f"{IB} --parts pipeline,large_file --files 200 {STUDENT20}"
        " --out docs/results/index_pipeline.json",
        "2026-11-29",
        ALONE,
    ),
    "index_pipeline_all": Legacy(
        INDEXING,
        f"{IB} --parts pipeline --files 0 {STUDENT20} --out docs/results/index_pipeline_all.json",
        "2026-11-29",
        ALONE,
    ),
    "int8_calibration": Legacy(INT8, "python benchmarks/int8_calibration.py", "2026-11-30", SHARED),
    "int8_probe": Legacy(
        INT8, f"python benchmarks/int8_probe.py --student {SPREAD60}", "2026-11-25", None, FRONTIER
    ),
    "query_latency": Legacy(
        LATENCY, f"{QL} --sizes 5000,100000 --query-encoders none", "2026-11-24"
    ),
    "query_latency_batch1": Legacy(
        LATENCY,
        f"{QL} --sizes none --queries 100 --out docs/results/query_latency_batch1.json",
        "2026-11-29",
    ),
    "query_latency_ivf_flat": Legacy(
        LATENCY,
        f"{QL} --lite-index IVF_FLAT --threads 1 --query-encoders none"
        " --out docs/results/query_latency_ivf_flat.json",
        "2026-11-24",
    ),
    "query_latency_modes": Legacy(
        LATENCY,
        f"{QL} --sizes 100000 --threads 1 --query-encoders teacher"
        " --out docs/results/query_latency_modes.json",
        "2026-11-29",
        ALONE,
    ),
    "query_latency_teacher_onnx": Legacy(
        LATENCY,
        f"{QL} --sizes 100000 --threads 1 --queries 100"
        " --out docs/results/query_latency_teacher_onnx.json",
        "2026-11-29",
        ALONE,
    ),
    "ray_index": Legacy(
        INDEXING, "python benchmarks/ray_index.py --files 100", "2026-11-29", ALONE
    ),
    "reliability": Legacy("reliability", "python benchmarks/reliability_report.py", "2026-11-29"),
    "rst_cleaning": Legacy(QUALITY, "python benchmarks/rst_cleaning.py", "2026-11-29"),
    "rst_cleaning_quick": Legacy(
        QUALITY, "python benchmarks/rst_cleaning.py --quick", "2026-11-29", None, ("rst_cleaning",)
    ),
}


@dataclass(frozen=True)
class Entry:
    """One result file as the page shows it."""

    stem: str
    topic: str
    command: str
    date: str
    machine: str
    shared: str
    headline: str
    link: str
    historical: str = ""


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _fidelity(d: dict) -> str | None:
    if "mean_retention" not in d:
        return None
    minutes = max(float(s.get("minutes", 0)) for s in d["sets"].values())
    sets = ", ".join(d["sets"])
    where = f"mean over {sets}" if len(d["sets"]) > 1 else sets
    student, tq = _pct(d["mean_retention"]), _pct(d["mean_teacher_query_retention"])
    return f"{where} at {minutes:.0f} min: student {student}, teacher queries {tq}"


def _curve(d: dict) -> str | None:
    if not (isinstance(d.get("points"), list) and "teacher" in d):
        return None
    last = d["points"][-1]
    return f"{last['minutes']:.0f} min, {last['steps']} steps: {_pct(last['retention'])} retention"


def _ablation(d: dict) -> str | None:
    rows = d.get("rows")
    if not (isinstance(rows, list) and rows and "variant" in rows[0]):
        return None
    best = max(rows, key=lambda r: r["retention"])
    return f"{len(rows)} variants; best {best['variant']}: {_pct(best['retention'])}"


def _calibration(d: dict) -> str | None:
    rows = d.get("rows")
    if not (isinstance(rows, list) and rows and "fp32" in rows[0]):
        return None
    deltas: dict[str, list[float]] = {}
    for row in rows:
        for key, value in row.items():
            if key not in ("set", "student", "fp32"):
                arm = key.split(" seed ")[0]
                deltas.setdefault(arm, []).append(abs(value - row["fp32"]) * 100)
    means = (f"{arm} {sum(v) / len(v):.2f}" for arm, v in deltas.items())
    return "mean |nDCG@10 delta| vs fp32, points: " + ", ".join(means)


def _target(d: dict) -> str | None:
    target = d.get("target")
    if not (isinstance(target, dict) and "met" in target):
        return None
    met = "met" if target["met"] else "not met"
    fastest = target.get("fastest_student_within_1_point")
    return f"fastest within 1 point: {fastest}, {target['speedup']:.2f}x the teacher; target {met}"


def _arms(d: dict) -> str | None:
    arms = d.get("arms")
    if not (isinstance(arms, dict) and all("speedup_b32" in a for a in arms.values())):
        return None
    name, arm = max(arms.items(), key=lambda item: item[1]["speedup_b32"])
    return f"fastest at batch 32: {name} {arm['speedup_b32']:.2f}x the teacher"


def _latency(d: dict) -> str | None:
    if "sizes" not in d or "top_k" not in d:
        return None
    if not d["sizes"]:
        batch1 = d.get("batch1", {}).items()
        p50 = {
            name: t["@1t"]["p50_ms"] for name, t in batch1 if "@1t" in t and "p50_ms" in t["@1t"]
        }
        return "batch-1 encode p50 at 1 thread: " + ", ".join(f"{n} {v} ms" for n, v in p50.items())
    size = max(d["sizes"], key=int)
    configs = d["sizes"][size]["configs"]
    shown = [c for c in ("service/student @1t", "service/teacher @1t") if c in configs]
    parts = (f"{c.split('/')[1][:-4]} {configs[c]['p50_ms']} ms" for c in shown)
    return f"p50 at {int(size):,} rows, 1 thread: " + ", ".join(parts)


def _pipeline(d: dict) -> str | None:
    pipe = d.get("pipeline")
    if not isinstance(pipe, dict):
        return None
    if "chunks_per_s" in pipe:
        return f"{pipe['files']} files: {pipe['chunks_per_s']} chunks/s"
    if {"teacher", "student"} <= pipe.keys():
        t, s = pipe["teacher"]["chunks_per_s"], pipe["student"]["chunks_per_s"]
        return f"{pipe['student']['files']} files: student {s}, teacher {t} chunks/s ({s / t:.2f}x)"
    return None


def _verdict(d: dict) -> str | None:
    verdict = d.get("verdict")
    if isinstance(verdict, str):
        return verdict
    if isinstance(verdict, dict) and "default" in verdict:
        return f"default: {verdict['default']}"
    return None


def _default_mode(d: dict) -> str | None:
    default = d.get("default")
    return f"default mode: {default['mode']}" if isinstance(default, dict) else None


def _teacher_sets(d: dict) -> str | None:
    sets = d.get("sets")
    if "mean_retention" in d or not isinstance(sets, dict) or "teacher" in d:
        return None
    if not all(isinstance(s, dict) and "ndcg@10" in s for s in sets.values()):
        return None
    return "nDCG@10: " + ", ".join(f"{n} {100 * s['ndcg@10']:.2f}" for n, s in sets.items())


def _scalars(d: dict) -> str | None:
    if isinstance(d.get("full_text"), dict):
        d = d["full_text"]
    known = {
        "speedup_steps_per_cpu_minute": "steps per CPU-minute, adopted over baseline: {:.2f}x",
        "ratio": "Ray / local engine: {}",
        "insert_ratio": "insert rate with the BM25 field / without: {}",
        "spearman_shipped": "Spearman of the shipped estimate with true retention: {:.2f}",
    }
    for key, text in known.items():
        if isinstance(d.get(key), int | float):
            return text.format(d[key])
    return None


def _highlighting(d: dict) -> str | None:
    encoders = d.get("encoders")
    if not (isinstance(encoders, dict) and all("p95_ms" in e for e in encoders.values())):
        return None
    parts = (f"{n} p95 {e['p95_ms']:.0f} ms" for n, e in encoders.items())
    return "10-hit page, default scorer: " + ", ".join(parts)


def _answers(d: dict) -> str | None:
    sets = d.get("sets")
    if not (isinstance(sets, dict) and all("key_sentence_rate" in s for s in sets.values())):
        return None
    rates = (f"{n} {s['key_sentence_rate']:.2f}" for n, s in sets.items())
    return "key sentence in the answer: " + ", ".join(rates)


def _profile(d: dict) -> str | None:
    share = d.get("phase_share")
    if not isinstance(share, dict):
        return None
    parts = ", ".join(f"{k} {v * 100:.0f}%" for k, v in share.items() if v >= 0.05)
    return f"{d['ms_per_step']:.0f} ms a step: {parts}"


def _frontier(d: dict) -> str | None:
    sets = d.get("sets")
    if not (isinstance(sets, dict) and all("targets" in s for s in sets.values())):
        return None
    parts = []
    for name, entry in sets.items():
        miss = entry["targets"]["miss_points"]
        if entry["targets"]["meets_98_at_4x"]:
            parts.append(f"{name} met")
        elif miss is not None:
            parts.append(f"{name} missed by {miss * 100:.1f} points")
    return "98% of the teacher at >= 4x: " + (", ".join(parts) or "no student at 4x")


def _best_row(d: Any) -> str | None:
    if not (isinstance(d, list) and d and {"config", "ndcg@10"} <= d[0].keys()):
        return None
    best = max(d, key=lambda r: r["ndcg@10"])
    return f"best: {best['config']} (nDCG@10 {best['ndcg@10']})"


#: Small extractors of headline figures, each answering None unless it knows the keys.
HEADLINES: tuple[Callable[[Any], str | None], ...] = (
    _fidelity,
    _curve,
    _ablation,
    _calibration,
    _target,
    _arms,
    _latency,
    _pipeline,
    _verdict,
    _default_mode,
    _teacher_sets,
    _scalars,
    _highlighting,
    _answers,
    _profile,
    _frontier,
)


def headline(payload: Any) -> str:
    """The headline figures every extractor that knows ``payload``'s keys finds."""
    if isinstance(payload, list):
        return _best_row(payload) or ""
    found = []
    for extract in HEADLINES:
        try:
            text = extract(payload)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError):
            text = None  # a file of another shape than the extractor assumed
        if text:
            found.append(text)
    return "; ".join(found)


def _machine(meta: dict) -> str:
    m = meta.get("machine")
    if not isinstance(m, dict):
        return NOT_RECORDED
    versions = ", ".join(f"{k} {m[k]}" for k in ("python", "torch") if m.get(k))
    text = f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores"
    return f"{text} ({versions})" if versions else text


def _shared(value: bool | None) -> str:
    return NOT_RECORDED if value is None else ("shared" if value else "alone")


def _created(payload: Any) -> str | None:
    created = payload.get("created") if isinstance(payload, dict) else None
    found = re.match(r"\d{4}-\d{2}-\d{2}", created) if isinstance(created, str) else None
    return found.group(0) if found else None


def _script(command: str, repo: Path) -> Path | None:
    """The ``.py`` file a command runs, resolved against ``repo``."""
    for token in command.split():
        if token.endswith(".py"):
            return Path(token) if Path(token).is_absolute() else repo / token
    return None


def _historical(command: str, successors: tuple[str, ...], present: set[str], repo: Path) -> str:
    """Why a result is historical ('' when it is current)."""
    script = _script(command, repo)
    if script is not None and not script.is_file():
        return f"its script `{os.path.relpath(script, repo)}` no longer exists"
    newer = [s for s in successors if s in present]
    return f"superseded by {', '.join(f'[{s}]({s}.md)' for s in newer)}" if newer else ""


def describe(
    path: Path, present: set[str], legacy: dict[str, Legacy] = LEGACY, repo: Path = REPO
) -> Entry:
    """The page's row for one result file (``present``: the stems of every result file)."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    meta = payload.get("meta") if isinstance(payload, dict) else None
    stem = path.stem
    link = f"{stem}.md" if path.with_suffix(".md").is_file() else path.name
    if isinstance(meta, dict):
        command = str(meta.get("command", NOT_RECORDED))
        successors = tuple(meta.get("superseded_by", ()))
        return Entry(
            stem=stem,
            topic=str(meta.get("topic", UNCLASSIFIED)),
            command=command,
            date=str(meta.get("date", NOT_RECORDED)),
            machine=_machine(meta),
            shared=_shared(meta.get("machine_shared")),
            headline=headline(payload),
            link=link,
            historical=_historical(command, successors, present, repo),
        )
    known = legacy.get(stem)
    command = known.command if known else NOT_RECORDED
    return Entry(
        stem=stem,
        topic=known.topic if known else UNCLASSIFIED,
        command=command,
        date=_created(payload) or (known.date if known else NOT_RECORDED),
        machine=NOT_RECORDED,
        shared=_shared(known.shared if known else None),
        headline=headline(payload),
        link=link,
        historical=_historical(command, known.superseded_by if known else (), present, repo),
    )


def collect(
    folder: Path = RESULTS, legacy: dict[str, Legacy] = LEGACY, repo: Path = REPO
) -> list[Entry]:
    """Every result file of ``folder``, newest first (then by name)."""
    paths = sorted(folder.glob("*.json"))
    present = {p.stem for p in paths}
    entries = [describe(p, present, legacy, repo) for p in paths]
    entries.sort(key=lambda e: e.stem)
    entries.sort(key=lambda e: e.date, reverse=True)
    return entries


def topics(entries: list[Entry]) -> dict[str, list[Entry]]:
    """Current entries by topic, topics in alphabetical order ("unclassified" last)."""
    grouped: dict[str, list[Entry]] = {}
    for entry in entries:
        if not entry.historical:
            grouped.setdefault(entry.topic, []).append(entry)
    order = sorted(grouped, key=lambda t: (t == UNCLASSIFIED, t))
    return {t: grouped[t] for t in order}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "-"


def _code(text: str) -> str:
    return _cell(f"`{text}`" if text != NOT_RECORDED else text)


def table(
    entries: list[Entry], prefix: str = "", historical: bool = False, compact: bool = False
) -> list[str]:
    """A markdown table of ``entries``; links start with ``prefix``. ``historical`` adds
    topic and why; ``compact`` leaves out command, machine and shared (the page has them)."""
    head = ["result", *(["topic", "why historical"] if historical else []), "headline"]
    head += ["date"] if compact else ["command", "date", "machine", "shared"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in entries:
        cells = [f"[{e.stem}]({prefix}{e.link})"]
        if historical:
            cells += [e.topic, e.historical.replace("](", f"]({prefix}")]
        cells.append(e.headline)
        if compact:
            cells.append(e.date)
        else:
            cells += [_code(e.command), e.date, e.machine, e.shared]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def slug(title: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^a-z0-9 _-]", "", title.lower()).replace(" ", "-")


INTRO = """\
# Results

Every figure the docs quote comes from a file here: `NAME.json` (the figures) and
`NAME.md` (its table). This page is generated by `python benchmarks/results_page.py` from
the JSON files; do not edit it by hand (`--check`, run by the tests, fails when it is
stale). Files written through `benchmarks/harness/report.py` carry their topic, command,
date and machine; older files do not, so their topic and command come from the script's
`LEGACY` table (commands spelled for today's scripts) and their machine is "not recorded"
(two cores in every run before the stamp). "shared": the machine ran other jobs during
the run, so timings are not comparable with runs alone; quality figures are unaffected.
"""


def render_page(entries: list[Entry]) -> str:
    """The whole ``README.md``."""
    grouped = topics(entries)
    old = [e for e in entries if e.historical]
    lines = [INTRO, "## Topics", ""]
    lines += [f"- [{t}](#{slug(t)}): {len(es)}" for t, es in grouped.items()]
    if old:
        lines.append(f"- [historical](#historical): {len(old)}")
    for t, es in grouped.items():
        lines += ["", f"## {t}", "", *table(es)]
    if old:
        lines += ["", "## Historical", ""]
        lines += ["Kept as measured: the decision logs cite them.", "", *table(old, "", True)]
    return "\n".join(lines) + "\n"


def render_block(entries: list[Entry], topic_prefix: str, prefix: str) -> str:
    """The generated block of a doc: the current tables of topics starting with the prefix."""
    grouped = {t: es for t, es in topics(entries).items() if t.startswith(topic_prefix)}
    old = [e for e in entries if e.historical and e.topic.startswith(topic_prefix)]
    lines = [
        START,
        f"<!-- generated by benchmarks/results_page.py from {prefix}*.json: do not edit -->",
        "",
        f"Commands, machines and every other topic: [{prefix}README.md]({prefix}README.md).",
    ]
    for t, es in grouped.items():
        lines += ["", f"**{t}**", "", *table(es, prefix, compact=True)]
    if old:
        names = ", ".join(f"[{e.stem}]({prefix}{e.link})" for e in old)
        lines += ["", f"Historical ({len(old)}, cited by the decision log): {names}."]
    return "\n".join([*lines, END])


def replace_block(text: str, block: str) -> str:
    """``text`` with everything from START to END (inclusive) replaced by ``block``."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"no {START} ... {END} block")
    return text[:start] + block + text[end + len(END) :]


def outputs(
    folder: Path = RESULTS,
    blocks: dict[str, str] = BLOCKS,
    legacy: dict[str, Legacy] = LEGACY,
    repo: Path = REPO,
) -> dict[Path, str]:
    """Every file this script writes, with the text it would write."""
    entries = collect(folder, legacy, repo)
    written = {folder / PAGE_NAME: render_page(entries)}
    for doc, topic_prefix in blocks.items():
        path = repo / doc
        prefix = os.path.relpath(folder, path.parent).replace(os.sep, "/") + "/"
        block = render_block(entries, topic_prefix, prefix)
        written[path] = replace_block(path.read_text(encoding="utf-8"), block)
    return written


def stale(written: dict[Path, str]) -> list[Path]:
    """The files whose text on disk differs from what would be written."""
    return [p for p, text in written.items() if not p.is_file() or p.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    args = parser.parse_args(argv)
    written = outputs()
    if args.check:
        for path in stale(written):
            print(f"stale: {os.path.relpath(path, REPO)} (python benchmarks/results_page.py)")
        return 1 if stale(written) else 0
    for path, text in written.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {os.path.relpath(path, REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
