"""Where the tests find the repository, its test documents and the shared SciFact copy."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
DOCS = TESTS / "data" / "docs"
#: BEIR SciFact beside the checkout (../shared/data/scifact), where this workplace has it.
SCIFACT = REPO.parent / "shared" / "data" / "scifact"
