"""The product reads one way: each layer imports only from the layers below it.

Every import statement of every product module is checked, including imports inside
functions and under ``TYPE_CHECKING`` (a circle hidden from the interpreter is still a
circle for a reader). Size limits keep modules and functions readable in one sitting.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO, TESTS

#: Bottom to top. A package may import its own modules and any package of a lower layer.
LAYERS: dict[str, int] = {
    "core": 0,
    "encoders": 1,
    "indexer": 2,
    "distill": 3,
    "evaluation": 4,
    "usecases": 5,
    # the two front ends share the top layer, so neither may import the other
    "search_app": 6,
    "shell": 6,
}
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60


def product_modules() -> list[Path]:
    return sorted(p for pkg in LAYERS for p in (REPO / pkg).rglob("*.py"))


def imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, dotted module)`` for every import, and every dynamic import of a literal."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return found


def _is_dynamic_import(call: ast.Call) -> bool:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    return name in {"__import__", "import_module"}


def upward_imports(source: str, own: str, label: str) -> list[str]:
    """Imports in ``source`` (of package ``own``) that reach the same or a higher layer."""
    problems = []
    for line, module in imported_names(ast.parse(source)):
        target = module.split(".")[0]
        if target in LAYERS and target != own and LAYERS[target] >= LAYERS[own]:
            problems.append(f"{label}:{line} imports {module}")
    return problems


def test_no_product_module_imports_upward() -> None:
    problems = []
    for path in product_modules():
        rel = path.relative_to(REPO)
        problems += upward_imports(path.read_text(), rel.parts[0], str(rel))
    assert not problems, "\n".join(problems)


def test_the_checker_sees_upward_imports() -> None:
    """The walk above must catch plain, function-level, TYPE_CHECKING and dynamic imports."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "import core.settings\n"
        "if TYPE_CHECKING:\n    from usecases.search import SearchService\n"
        "def f():\n    import shell.cli\n    return __import__('distill.run')\n"
    )
    found = [module for _, module in imported_names(ast.parse(source))]
    assert {"usecases.search", "shell.cli", "distill.run", "core.settings"} <= set(found)
    # as an indexer module: core.settings is downward, the other three are not
    assert len(upward_imports(source, "indexer", "probe.py")) == 3
    assert upward_imports(source, "shell", "probe.py") == []


@pytest.mark.parametrize("path", product_modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_modules_and_functions_stay_small(path: Path) -> None:
    source = path.read_text()
    lines = len(source.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{lines} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, ", ".join(long)


def test_product_code_is_as_ruff_formats_it() -> None:
    """Sizes are counted on code as ``ruff format`` leaves it, so nothing is squeezed."""
    packages = [str(REPO / pkg) for pkg in LAYERS]
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *packages],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr


#: Where ``# fmt: skip`` may stand: literal tables that read better aligned (file -> count).
FMT_SKIP_ALLOWED: dict[str, int] = {}


def test_fmt_skip_only_on_literal_tables() -> None:
    found: dict[str, int] = {}
    for path in [*product_modules(), *sorted((REPO / "benchmarks").rglob("*.py"))]:
        text = path.read_text()
        count = text.count("fmt: skip") + text.count("fmt: off")
        if count:
            found[str(path.relative_to(REPO))] = count
    assert found == FMT_SKIP_ALLOWED


def test_tests_import_helpers_from_support_only() -> None:
    """Shared fakes and builders live in tests/support; no test imports another test."""
    problems = []
    for path in sorted(TESTS.rglob("test_*.py")):
        for line, module in imported_names(ast.parse(path.read_text())):
            parts = module.split(".")
            if parts[0] == "tests" and len(parts) > 1 and parts[1] != "support":
                problems.append(f"{path.relative_to(REPO)}:{line} imports {module}")
            if any(p.startswith("test_") for p in parts):
                problems.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    assert not problems, "\n".join(problems)


def test_no_test_skips_on_a_project_import() -> None:
    """``importorskip`` of the project's own code would turn a broken import into a skip."""
    problems = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") == "importorskip"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and str(node.args[0].value).split(".")[0] in LAYERS
            ):
                problems.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not problems, "\n".join(problems)
