"""Where a benchmark's figures go: a JSON file and a markdown table beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_report(json_path: Path, payload: dict[str, Any], table: str) -> tuple[Path, Path]:
    """Write ``payload`` to ``json_path`` and ``table`` to the ``.md`` beside it; print the
    table. Returns both paths."""
    json_path = Path(json_path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(payload, indent=2) + "\n")
    md_path = json_path.with_suffix(".md")
    md_path.write_text(table.rstrip("\n") + "\n")
    print(table)
    return json_path, md_path
