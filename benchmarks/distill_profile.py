"""Where a training step's CPU seconds go: ``torch.profiler`` over a short run of the
default recipe on one dev-suite set.

    python benchmarks/distill_profile.py --set django_faq --steps 60 --threads 1

The run is split into phases, each a ``record_function`` range: the setup (tokenising the
corpus, batches, optimiser; ``trainer._start``), the teacher's targets
(``TeacherTargets.get``), the student's forward pass, the backward pass
(``Tensor.backward``) and the optimiser step (torch's own ``Optimizer.step`` range); the
rest of the step (tokenising, batching, losses) is what is left of the run's time. The
table also lists the operators with the most self CPU time. Writes
``docs/results/distill_profile.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from distill_throughput import training_split
from harness.datasets import parse_sets
from harness.report import add_shared_flag, write_result
from torch.profiler import ProfilerActivity, profile, record_function

logger = logging.getLogger("distill_profile")
OPTIMIZER = "Optimizer.step#AdamW.step"
PHASES = ("setup", "teacher targets", "student forward", "backward", "optimizer step")


def _ranged(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def ranged(*args: Any, **kwargs: Any) -> Any:
        with record_function(f"phase: {name}"):
            return function(*args, **kwargs)

    return ranged


@contextmanager
def phase_ranges(student: torch.nn.Module) -> Iterator[None]:
    """Wrap the run's setup, the teacher's targets, the student's forward and ``backward``
    in ranges."""
    from distill import trainer
    from distill.targets import TeacherTargets

    start, get, backward = trainer._start, TeacherTargets.get, torch.Tensor.backward
    trainer._start = _ranged("setup", start)
    TeacherTargets.get = _ranged("teacher targets", get)
    torch.Tensor.backward = _ranged("backward", backward)
    student.forward = _ranged("student forward", student.forward)
    try:
        yield
    finally:
        trainer._start, TeacherTargets.get, torch.Tensor.backward = start, get, backward
        del student.forward


def profile_run(set_name: str, corpus: str, steps: int, threads: int) -> dict[str, Any]:
    """Train ``steps`` steps of the default recipe under the profiler; phase shares."""
    from distill.config import DistillConfig
    from distill.run import _load_models
    from distill.trainer import train

    torch.set_num_threads(threads)
    config = DistillConfig(steps=steps, max_minutes=None, checkpoint_every=10**9)
    config, _, teacher, student = _load_models(config)
    examples, _ = training_split(config, corpus)
    with phase_ranges(student), profile(activities=[ProfilerActivity.CPU]) as prof:
        started = time.perf_counter()
        train(config, teacher, student, examples, progress=False)
        total_ms = (time.perf_counter() - started) * 1000
    events = {e.key: e for e in prof.key_averages()}
    phases = {name: events[f"phase: {name}"].cpu_time_total / 1000 for name in PHASES[:4]}
    phases["optimizer step"] = events[OPTIMIZER].cpu_time_total / 1000 if OPTIMIZER in events else 0
    phases["rest of the step"] = max(0.0, total_ms - sum(phases.values()))
    operators = sorted(
        (e for e in events.values() if not e.key.startswith(("phase: ", "Optimizer."))),
        key=lambda e: -e.self_cpu_time_total,
    )[:12]
    return {
        "set": set_name,
        "steps": steps,
        "threads": threads,
        "layers": len(config.layer_map),
        "total_ms": total_ms,
        "ms_per_step": (total_ms - phases["setup"]) / steps,
        "phases_ms": phases,
        "phase_share": {k: v / total_ms for k, v in phases.items()},
        "top_operators": [
            {"name": e.key, "self_ms": e.self_cpu_time_total / 1000, "calls": e.count}
            for e in operators
        ],
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Profile of {result['steps']} steps of the default recipe on {result['set']} "
        f"({result['threads']} thread(s)): {result['ms_per_step']:.0f} ms a step after the setup.",
        "",
        "| phase | ms | share |",
        "|---|---|---|",
    ]
    for name, ms in result["phases_ms"].items():
        lines.append(f"| {name} | {ms:.0f} | {result['phase_share'][name] * 100:.1f}% |")
    lines += ["", "| operator (self CPU) | ms | calls |", "|---|---|---|"]
    for op in result["top_operators"]:
        lines.append(f"| `{op['name']}` | {op['self_ms']:.0f} | {op['calls']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="django_faq", help="dev-suite set (default django_faq)")
    parser.add_argument("--steps", type=int, default=60, help="optimiser steps (default 60)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    add_shared_flag(parser)
    args = parser.parse_args(argv)
    folder = parse_sets(args.set)[args.set]
    result = profile_run(args.set, str(folder / "corpus.jsonl"), args.steps, args.threads)
    topic = "distillation throughput"
    write_result("distill_profile", result, markdown(result), topic=topic, shared=args.shared)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
