"""The frontier's report: scores and speeds joined per set, the Pareto set, the default
depth the product should use, one scatter plot per set, and the label-free estimates
ranked by how well they predict true retention (Spearman over every point)."""

from __future__ import annotations

import json
import logging
from typing import Any

from harness.frontier_scoring import load_scores
from harness.frontier_systems import set_dir
from harness.report import RESULTS

logger = logging.getLogger(__name__)
#: What the issue asks of the default depth (student queries, teacher queries).
DEPTH_TARGETS = (0.95, 0.98)
#: The fast-and-faithful target: this retention at this speed-up over the teacher.
FAST_TARGET = (0.98, 4.0)
#: A recommendation keeps at least this much of the teacher on every suite point above
#: the estimate's threshold.
RECOMMEND_RETENTION = 0.95
#: The candidate the product computes (``evaluation.agreement.AgreementProbe.overlap`` at
#: its defaults: top-10 overlap with the teacher on span pseudo-queries over sampled
#: passages); the threshold is set on it, not on a whole-corpus cousin.
SHIPPED_ESTIMATE = "probe_overlap"


def set_rows(name: str) -> tuple[float, list[dict[str, Any]]]:
    """``(teacher nDCG@10, one row per system)`` with speed, retention and Pareto mark."""
    scores = load_scores(name)
    speed = json.loads((set_dir(name) / "speed.json").read_text())
    teacher = scores["teacher_ndcg"]
    rates, ratios = _by_folder(speed["docs_per_s"]), _by_folder(speed["speed_ratio"])
    rows = []
    for system, row in scores["systems"].items():
        documents = _folder_name(row["documents"])
        rows.append(
            {
                "name": system,
                "queries": "teacher" if row["queries"] == "teacher" else "own",
                "kind": row["kind"],
                "depth": row["depth"],
                "variant": row["variant"],
                "ndcg_at_10": row["ndcg_at_10"],
                "retention": row["ndcg_at_10"] / teacher,
                "docs_per_s": rates[documents],
                "speed_ratio": ratios[documents],
                "estimates": row["estimates"],
            }
        )
    mark_pareto(rows)
    return teacher, sorted(rows, key=lambda r: (r["speed_ratio"], r["retention"]))


def _folder_name(key: str) -> str:
    """An encoder's key as the cache names it, wherever the cache lived when it was run."""
    return key.rsplit("/", 1)[-1]


def _by_folder(values: dict[str, Any]) -> dict[str, Any]:
    return {_folder_name(k): v for k, v in values.items()}


def mark_pareto(rows: list[dict[str, Any]]) -> None:
    """``pareto``: no other row is at least as fast and as good, and better in one."""
    for row in rows:
        row["pareto"] = not any(
            other["speed_ratio"] >= row["speed_ratio"]
            and other["retention"] >= row["retention"]
            and (other["speed_ratio"], other["retention"]) != (row["speed_ratio"], row["retention"])
            for other in rows
        )


def targets(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The issue's targets on one set: a student with teacher queries on the front, and the
    best student at >= 4x the teacher's speed (and how far it is from 98%)."""
    students = [r for r in rows if r["kind"] == "student"]
    fast = [r for r in students if r["speed_ratio"] >= FAST_TARGET[1]]
    best = max(fast, key=lambda r: r["retention"], default=None)
    return {
        "student_teacher_queries_on_front": any(
            r["pareto"] and r["queries"] == "teacher" for r in students
        ),
        "best_student_at_4x": best and {k: best[k] for k in ("name", "retention", "speed_ratio")},
        "meets_98_at_4x": bool(best and best["retention"] >= FAST_TARGET[0]),
        "miss_points": None if best is None else max(0.0, FAST_TARGET[0] - best["retention"]),
    }


def default_depth(sets: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The smallest depth whose best variant keeps >= 95% (own queries) and >= 98%
    (teacher queries) on every set; four when none does. Per depth and set, the best."""
    depths = sorted({r["depth"] for rows in sets.values() for r in rows if r["depth"]})
    table: dict[str, dict[str, list[float]]] = {}
    chosen = None
    for depth in depths:
        best = {}
        for name, rows in sets.items():
            mine = [r for r in rows if r["depth"] == depth]
            own = max((r["retention"] for r in mine if r["queries"] == "own"), default=0.0)
            paired = max((r["retention"] for r in mine if r["queries"] == "teacher"), default=0.0)
            best[name] = [own, paired] if mine else None  # None: not measured on this set
        table[str(depth)] = best
        ok = all(b and b[0] >= DEPTH_TARGETS[0] and b[1] >= DEPTH_TARGETS[1] for b in best.values())
        if ok and chosen is None:
            chosen = depth
    return {"chosen": chosen or 4, "met_targets": chosen is not None, "best": table}


def estimate_ranking(sets: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Spearman of every label-free candidate with true retention over every point (each
    encoder system but the teacher itself and BM25), best first."""
    from scipy.stats import spearmanr

    points = [r for rows in sets.values() for r in rows if r["estimates"]]
    keys = sorted({k for r in points for k in r["estimates"]})
    truth = [r["retention"] for r in points]
    ranking = {}
    for key in keys:
        pairs = [(r["estimates"].get(key), t) for r, t in zip(points, truth, strict=True)]
        pairs = [(v, t) for v, t in pairs if v is not None]
        rho, p = spearmanr([v for v, _ in pairs], [t for _, t in pairs])
        ranking[key] = {"spearman": float(rho), "p_value": float(p), "points": len(pairs)}
    ordered = dict(sorted(ranking.items(), key=lambda kv: -kv[1]["spearman"]))
    # only a candidate defined on every point can be shipped (doc_cosine is not, for
    # encoders of another dimension)
    best = next(k for k, v in ordered.items() if v["points"] == len(points))
    return {
        "points": len(points),
        "candidates": ordered,
        "best": best,
        "shipped": SHIPPED_ESTIMATE,
        "spearman_shipped": ordered[SHIPPED_ESTIMATE]["spearman"],
        "threshold": recommend_threshold(points, SHIPPED_ESTIMATE),
    }


def recommend_threshold(points: list[dict[str, Any]], key: str) -> float | None:
    """The lowest estimate above which every suite point keeps >= 95% of the teacher."""
    values = sorted(
        (r["estimates"][key], r["retention"]) for r in points if r["estimates"][key] is not None
    )
    for i, (value, _) in enumerate(values):
        if all(retention >= RECOMMEND_RETENTION for _, retention in values[i:]):
            return float(value)
    return None


def frontier_payload(names: list[str]) -> tuple[dict[str, Any], dict[str, list]]:
    """The frontier's JSON payload (and the rows per set), plots written on the way."""
    from distill.config import DistillConfig

    sets, teachers = {}, {}
    for name in names:
        teachers[name], sets[name] = set_rows(name)
        plot(name, sets[name])
    payload = {
        "budget": {"steps": DistillConfig().steps, "recipe": DistillConfig().to_dict()},
        "default_depth": default_depth(sets),
        "sets": {
            name: {"teacher_ndcg": teachers[name], "systems": rows, "targets": targets(rows)}
            for name, rows in sets.items()
        },
    }
    return payload, sets


def plot(name: str, rows: list[dict[str, Any]]) -> None:
    """Retention against speed-up (log), Pareto front drawn, one colour per kind."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {
        "teacher": "tab:blue",
        "student": "tab:orange",
        "model2vec": "tab:green",
        "bm25": "tab:gray",
    }
    fig, ax = plt.subplots(figsize=(9, 6))
    for row in rows:
        marker = "s" if row["queries"] == "teacher" else "o"
        edge = "black" if row["pareto"] else "none"
        ax.scatter(
            row["speed_ratio"],
            row["retention"] * 100,
            c=colours[row["kind"]],
            marker=marker,
            edgecolors=edge,
            s=50,
        )
        if row["pareto"]:
            ax.annotate(
                row["name"],
                (row["speed_ratio"], row["retention"] * 100),
                fontsize=7,
                xytext=(4, 2),
                textcoords="offset points",
            )
    front = sorted((r for r in rows if r["pareto"]), key=lambda r: r["speed_ratio"])
    ax.plot([r["speed_ratio"] for r in front], [r["retention"] * 100 for r in front], "k--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("documents per second / the teacher's (log scale)")
    ax.set_ylabel("nDCG@10 / the teacher's (%)")
    ax.set_title(f"{name}: every encoder (squares: student documents + teacher queries)")
    ax.axhline(100, color="tab:blue", lw=0.5)
    fig.tight_layout()
    fig.savefig(RESULTS / f"frontier_{name}.png", dpi=110)
    plt.close(fig)
    logger.info("plot %s", RESULTS / f"frontier_{name}.png")
