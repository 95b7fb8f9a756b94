"""The old report writer, kept only for ``distill_bench.py`` and ``agreement_vs_retention.py``
until they move to :func:`harness.report.write_result` (then delete this file). It writes
through the harness, without the ``meta`` stamp, as it always did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.report import write_files


def write_report(json_path: Path, payload: dict[str, Any], table: str) -> tuple[Path, Path]:
    """Write ``payload`` to ``json_path`` and ``table`` to the ``.md`` beside it; print the
    table. Returns both paths."""
    return write_files(json_path, payload, table)
