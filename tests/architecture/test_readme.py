"""The README is read in five minutes and its quick start is exactly the two set-up
commands CI and a newcomer run; the files it links exist."""

from __future__ import annotations

import re

from tests.support.paths import REPO

README = (REPO / "README.md").read_text()


def test_the_readme_is_short() -> None:
    assert len(README.split()) <= 1300


def test_the_quick_start_is_two_commands_and_ci_runs_the_test_one() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = quick.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_every_linked_file_exists() -> None:
    links = re.findall(r"\]\(([^)#]+)\)", README)
    assert links
    missing = [link for link in links if not (REPO / link).exists()]
    assert not missing
