"""Benchmarks stand on one harness (``benchmarks/harness/``): data sets, scoring through
``evaluation``, timing and percentiles, the stamped report writer. Each check reads the
source (AST), so a benchmark that drifts off the harness fails here without running."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.support.paths import REPO

#: Not checked: none (a script listed here skips the checks; keep it empty).
EXEMPT: set[str] = set()
#: Not a benchmark: it builds the results page from the results the benchmarks wrote.
NOT_BENCHMARKS = {"results_page.py"}

BENCHMARKS = REPO / "benchmarks"
HARNESS = BENCHMARKS / "harness"
CHECKED = sorted(
    p
    for p in [*BENCHMARKS.glob("*.py"), *HARNESS.glob("*.py")]
    if p.name != "__init__.py" and p.name not in EXEMPT | NOT_BENCHMARKS
)
SCRIPTS = [p for p in CHECKED if p.parent == BENCHMARKS and "__main__" in p.read_text()]
#: A name that holds a store or a Milvus client: ``store``, ``lite_store``, ``client``...
STORE_NAME = re.compile(r"(\w+_)?(store|client)s?")
PERCENTILE_CALLS = {"percentile", "nanpercentile", "quantile", "nanquantile", "quantiles"}
SCORING_IMPORTS = {"evaluate_run", "exact_run"}
MARKDOWN_FILE = re.compile(r"[\w./{}-]*\.md")
#: Markdown names that are not reports: a file a test folder is given (an upload's name).
NOT_REPORTS = {"note.md"}


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def label(path: Path) -> str:
    return str(path.relative_to(BENCHMARKS))


def imported_modules(module: ast.Module) -> list[str]:
    names = []
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


def owner_name(node: ast.expr) -> str | None:
    """``store`` for ``store._x`` and ``self.store._x``; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def private_store_access(module: ast.Module) -> list[str]:
    """``<store or client>._member`` and ``getattr(<store or client>, "_member")``."""
    found = []
    for node in ast.walk(module):
        if isinstance(node, ast.Attribute):
            owner, attr = owner_name(node.value), node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "setattr", "hasattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            owner, attr = owner_name(node.args[0]), node.args[1].value
        else:
            continue
        private = attr.startswith("_") and not attr.startswith("__")
        if private and owner and STORE_NAME.fullmatch(owner):
            found.append(f"line {node.lineno}: {owner}.{attr}")
    return found


@pytest.mark.parametrize("path", CHECKED, ids=label)
def test_no_imports_from_tests(path: Path) -> None:
    """Benchmarks are product code's users, not the tests': fakes they need live in the
    harness."""
    bad = [m for m in imported_modules(tree(path)) if m == "tests" or m.startswith("tests.")]
    assert not bad, f"{label(path)} imports {bad}"


@pytest.mark.parametrize("path", CHECKED, ids=label)
def test_no_private_store_members(path: Path) -> None:
    """Stores are used through the ``VectorStore`` protocol; Milvus beneath the store only
    through ``harness.milvus_raw``'s own client."""
    assert not private_store_access(tree(path)), private_store_access(tree(path))


@pytest.mark.parametrize("path", CHECKED, ids=label)
def test_no_own_percentiles(path: Path) -> None:
    """Percentiles come from ``harness.timing``."""
    if path == HARNESS / "timing.py":
        return
    calls = [
        node.lineno
        for node in ast.walk(tree(path))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr in PERCENTILE_CALLS)
            or (isinstance(node.func, ast.Name) and node.func.id in PERCENTILE_CALLS)
        )
    ]
    assert not calls, f"{label(path)} computes percentiles itself (lines {calls})"


@pytest.mark.parametrize("path", CHECKED, ids=label)
def test_no_own_ndcg(path: Path) -> None:
    """Rankings are scored by ``harness.scoring`` (ranx through ``evaluation``), or by
    ``evaluation.run_evaluation`` for a whole evaluation."""
    if path == HARNESS / "scoring.py":
        return
    module = tree(path)
    own = [
        node.name
        for node in ast.walk(module)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "dcg" in node.name.lower()
    ]
    scoring = [
        alias.name
        for node in ast.walk(module)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name in SCORING_IMPORTS
    ]
    ranx = [m for m in imported_modules(module) if m.split(".")[0] == "ranx"]
    assert not (own or scoring or ranx), f"{label(path)}: {own + scoring + ranx}"


@pytest.mark.parametrize("path", CHECKED, ids=label)
def test_no_own_report_writer(path: Path) -> None:
    """Only ``harness.report`` names a markdown file to write; no script imports the old
    writer."""
    if path == HARNESS / "report.py":
        return
    module = tree(path)
    names = [
        node.value
        for node in ast.walk(module)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and MARKDOWN_FILE.fullmatch(node.value)
        and node.value not in NOT_REPORTS
    ]
    assert not names, f"{label(path)} writes markdown itself: {names}"
    if path.name != "report_files.py":
        assert "report_files" not in imported_modules(module), f"{label(path)}: report_files"


@pytest.mark.parametrize("path", CHECKED, ids=label)
def test_no_imports_from_exempt_scripts(path: Path) -> None:
    """What a checked benchmark needs from an exempt one moves into the harness, so the
    duplicates the exempt scripts still hold are not drawn back in."""
    exempt = {Path(name).stem for name in EXEMPT}
    bad = [m for m in imported_modules(tree(path)) if m.removeprefix("benchmarks.") in exempt]
    assert not bad, f"{label(path)} imports {bad}"


@pytest.mark.parametrize("path", SCRIPTS, ids=label)
def test_scripts_write_through_the_harness(path: Path) -> None:
    """Every script's figures reach ``docs/results`` through ``write_result`` (with a
    ``topic`` for the results page)."""
    module = tree(path)
    calls = [
        node
        for node in ast.walk(module)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "write_result"
    ]
    assert "harness.report" in imported_modules(module), f"{label(path)}: no harness.report"
    assert calls, f"{label(path)} never calls write_result"
    for call in calls:
        assert any(k.arg == "topic" for k in call.keywords), f"line {call.lineno}: no topic"


def test_checks_catch_what_they_forbid() -> None:
    """The AST checks fire on the patterns they exist for, and not on look-alikes."""
    bad = ast.parse(
        "from tests.support import fakes\n"
        "store._client.search()\n"
        "self.store._scan('x')\n"
        "getattr(client, '_handler')\n"
    )
    good = ast.parse("store.search()\nself._open = []\ntokenize._get_nlp = f\nstore.__class__\n")
    assert imported_modules(bad)[0] == "tests.support"
    assert len(private_store_access(bad)) == 3
    assert private_store_access(good) == []
    assert MARKDOWN_FILE.fullmatch("hybrid.md") and MARKDOWN_FILE.fullmatch(".md")
    assert not MARKDOWN_FILE.fullmatch("Writes docs/results/x.json and .md")
