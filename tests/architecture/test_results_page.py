"""``docs/results/README.md`` and the results block of ``docs/distillation.md`` are what
``benchmarks/results_page.py`` writes from the JSON results, and the generator groups,
dates and retires result files as its docstring says."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.paths import REPO

STAMP = {
    "topic": "speed",
    "command": "python benchmarks/alive.py --fast",
    "date": "2026-12-08 10:00 UTC",
    "machine": {"cpu": "Xeon", "cores": 2, "python": "3.11.9", "torch": "2.9.0"},
    "machine_shared": False,
}


@pytest.fixture
def page(monkeypatch) -> ModuleType:
    """``benchmarks/results_page.py``, imported as the benchmark scripts import each other."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    return importlib.import_module("results_page")


def write(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload))


@pytest.fixture
def tiny(tmp_path: Path, page: ModuleType) -> tuple[Path, dict]:
    """A repository with one script, five result files and a legacy table for two."""
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "alive.py").write_text("")
    results = tmp_path / "docs" / "results"
    results.mkdir(parents=True)
    write(results / "new_speed.json", {"meta": STAMP, "ratio": 1.5})
    (results / "new_speed.md").write_text("| a |\n")
    write(results / "gone.json", {"meta": {**STAMP, "command": "python benchmarks/gone.py"}})
    for stem in ("old", "older", "stray"):
        write(results / f"{stem}.json", {"x": 1})
    alive = "python benchmarks/alive.py"
    legacy = {
        "old": page.Legacy("speed", alive, "2026-11-01", True, ("next",)),
        "older": page.Legacy("quality", f"{alive} -q", "2026-10-01", None, ("new_speed",)),
    }
    return tmp_path, legacy


def test_committed_pages_are_current(page: ModuleType) -> None:
    stale = page.stale(page.outputs())
    assert not stale, f"stale {stale}: run python benchmarks/results_page.py"


def test_every_result_file_has_a_topic(page: ModuleType) -> None:
    """An unstamped file needs a row in LEGACY (or a rerun through harness.report)."""
    unclassified = [e.stem for e in page.collect() if e.topic == page.UNCLASSIFIED]
    assert not unclassified, f"add these to results_page.LEGACY: {unclassified}"


def test_rows_from_stamps_and_the_legacy_table(page: ModuleType, tiny) -> None:
    repo, legacy = tiny
    entries = page.collect(repo / "docs" / "results", legacy, repo)
    by = {e.stem: e for e in entries}
    new = by["new_speed"]
    assert (new.topic, new.command, new.date) == ("speed", STAMP["command"], STAMP["date"])
    assert new.machine == "Xeon, 2 cores (python 3.11.9, torch 2.9.0)"
    assert (new.shared, new.link, new.headline) == (
        "alone",
        "new_speed.md",
        "Ray / local engine: 1.5",
    )
    old = by["old"]
    assert (old.topic, old.date, old.machine, old.shared) == (
        "speed",
        "2026-11-01",
        page.NOT_RECORDED,
        "shared",
    )
    assert (old.historical, old.link) == ("", "old.json")
    assert by["gone"].historical == "its script `benchmarks/gone.py` no longer exists"
    assert by["older"].historical == "superseded by [new_speed](new_speed.md)"
    assert (by["stray"].topic, by["stray"].command) == (page.UNCLASSIFIED, page.NOT_RECORDED)


def test_grouping_and_a_successor_that_appears_later(page: ModuleType, tiny) -> None:
    repo, legacy = tiny
    results = repo / "docs" / "results"
    grouped = page.topics(page.collect(results, legacy, repo))
    assert list(grouped) == ["speed", page.UNCLASSIFIED]
    assert [e.stem for e in grouped["speed"]] == ["new_speed", "old"]  # newest first
    text = page.render_page(page.collect(results, legacy, repo))
    assert text.index("## speed") < text.index("## unclassified") < text.index("## Historical")
    assert "- [speed](#speed): 2" in text and "- [historical](#historical): 2" in text

    write(results / "next.json", {"meta": STAMP})
    grouped = page.topics(page.collect(results, legacy, repo))
    assert [e.stem for e in grouped["speed"]] == ["new_speed", "next"]
    assert "| [old](old.json) | speed | superseded by [next](next.md) |" in page.render_page(
        page.collect(results, legacy, repo)
    )


def test_doc_block_and_check(page: ModuleType, tiny, monkeypatch, capsys) -> None:
    repo, legacy = tiny
    results = repo / "docs" / "results"
    doc = repo / "docs" / "guide.md"
    doc.write_text(f"# Guide\n\n{page.START}\nold\n{page.END}\n\n## Log\n")
    written = page.outputs(results, {"docs/guide.md": "spe"}, legacy, repo)
    assert sorted(page.stale(written)) == sorted([results / "README.md", doc])
    block = written[doc]
    assert block.startswith("# Guide\n\n") and block.endswith(f"{page.END}\n\n## Log\n")
    assert "[new_speed](results/new_speed.md)" in block and "old\n" not in block
    assert "[gone](results/gone.json)" in block  # historical: named, not tabled
    assert "stray" not in block and "quality" not in block

    outputs = page.outputs
    monkeypatch.setattr(page, "outputs", lambda: written)
    assert page.main(["--check"]) == 1
    assert "stale: " in capsys.readouterr().out
    assert page.main([]) == 0
    assert page.main(["--check"]) == 0

    doc.write_text("# Guide without markers\n")
    with pytest.raises(ValueError, match="results:start"):
        outputs(results, {"docs/guide.md": "spe"}, legacy, repo)
