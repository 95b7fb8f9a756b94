"""Markdown tables of the frontier report and of the estimates' ranking."""

from __future__ import annotations

from typing import Any


def _point(row: dict[str, Any] | None) -> str:
    if row is None:
        return "-"
    return f"{row['retention'] * 100:.1f}% at {row['speed_ratio']:.2f}x"


def summary_markdown(payload: dict[str, Any]) -> str:
    """One line per set: the teacher's OpenVINO int8, the best student with teacher
    queries (its fastest variant among the best), model2vec, and the 98%-at-4x target."""
    lines = [
        "| set | teacher OpenVINO int8 | best student, teacher queries | model2vec | "
        "98% at >= 4x |",
        "|---|---|---|---|---|",
    ]
    for name, entry in payload["sets"].items():
        rows = entry["systems"]
        by_name = {r["name"]: r for r in rows}
        paired = [r for r in rows if r["kind"] == "student" and r["queries"] == "teacher"]
        best = max(paired, key=lambda r: (r["retention"], r["speed_ratio"]), default=None)
        student = f"{_point(best)} ({best['name'].split(' +')[0]})" if best else "-"
        t = entry["targets"]
        miss = t["miss_points"]
        if not any(r["kind"] == "student" for r in rows):
            target = "students not measured"
        elif t["meets_98_at_4x"]:
            target = "met"
        else:
            target = "no student at 4x" if miss is None else f"missed by {miss * 100:.1f} points"
        lines.append(
            f"| {name} | {_point(by_name.get('teacher-openvino-int8'))} | {student} | "
            f"{_point(by_name.get('model2vec'))} | {target} |"
        )
    return "\n".join(lines)


def frontier_markdown(payload: dict[str, Any]) -> str:
    """A summary per set, then per set every system by speed, Pareto marked; then the
    targets and the depth."""
    budget = payload["budget"]["steps"]
    lines = [
        summary_markdown(payload),
        "",
        f"Students distilled with the default recipe for {budget} steps on each set's corpus "
        "text. x = documents/s over the teacher's (PyTorch fp32; batch 32, 256 tokens, "
        "2 threads, interleaved rounds); retention = nDCG@10 over the teacher's. "
        "* = on the Pareto front.",
    ]
    for name, entry in payload["sets"].items():
        lines += ["", f"### {name} (teacher nDCG@10 {entry['teacher_ndcg'] * 100:.2f})", ""]
        lines += ["| system | queries | x teacher | docs/s | nDCG@10 | retention | front |"]
        lines += ["|---|---|---|---|---|---|---|"]
        for row in entry["systems"]:
            lines.append(
                f"| {row['name']} | {row['queries']} | {row['speed_ratio']:.2f} | "
                f"{row['docs_per_s']:.1f} | {row['ndcg_at_10'] * 100:.2f} | "
                f"{row['retention'] * 100:.1f}% | {'*' if row['pareto'] else ''} |"
            )
        t = entry["targets"]
        best = t["best_student_at_4x"]
        at_4x = (
            f"{best['name']} keeps {best['retention'] * 100:.1f}% at {best['speed_ratio']:.2f}x"
            if best
            else "no student variant reaches 4x"
        )
        on_front = "yes" if t["student_teacher_queries_on_front"] else "no"
        meets = "meets" if t["meets_98_at_4x"] else "misses"
        lines += [
            "",
            f"Student with teacher queries on the front: {on_front}. "
            f"Best student at >= 4x: {at_4x} ({meets} 98%).",
        ]
    depth = payload["default_depth"]
    lines += ["", "Best retention per depth and set (own queries / teacher queries):", ""]
    names = list(payload["sets"])
    lines += ["| depth | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for d, best in depth["best"].items():
        cells = [
            "not measured"
            if best[n] is None
            else f"{best[n][0] * 100:.1f}% / {best[n][1] * 100:.1f}%"
            for n in names
        ]
        lines.append(f"| {d} | " + " | ".join(cells) + " |")
    verdict = "meets" if depth["met_targets"] else "no depth meets"
    lines += ["", f"Default depth: {depth['chosen']} ({verdict} 95% / 98% on every set)."]
    return "\n".join(lines)


def estimates_markdown(ranking: dict[str, Any]) -> str:
    """Every candidate's Spearman with true retention, best first."""
    best = ranking["candidates"][ranking["best"]]["spearman"]
    lines = [
        f"Label-free estimates against true nDCG@10 retention over {ranking['points']} "
        "points (every encoder system of the frontier but the teacher and BM25, every set). "
        f"Best: {ranking['best']} (Spearman {best:.3f}). "
        f"Shipped (what the product computes): {ranking['shipped']} (Spearman "
        f"{ranking['spearman_shipped']:.3f}); a recommendation needs an estimate of at least "
        f"{_fmt(ranking['threshold'])}.",
        "",
        "| candidate | Spearman | p | points |",
        "|---|---|---|---|",
    ]
    for key, cell in ranking["candidates"].items():
        row = f"| {key} | {cell['spearman']:.3f} | {cell['p_value']:.2g} | {cell['points']} |"
        lines.append(row)
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "n/a (no threshold keeps every point above 95%)" if value is None else f"{value:.3f}"
