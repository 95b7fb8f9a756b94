"""kill -9 in the middle of `distilsearch index`, then rerun: the same chunks as a clean run."""

from __future__ import annotations

import random

import pytest

from tests.support.crash_kit import clean_run, kill_then_rerun, write_corpus
from tests.support.fakes import save_tiny_sentence_transformer
from tests.support.fault_kit import record

pytestmark = pytest.mark.slow
TRIALS = 3


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash")
    docs = write_corpus(root / "docs")
    model = save_tiny_sentence_transformer(root / "model")
    seconds, clean = clean_run(docs, model, root / "clean")
    return docs, model, seconds, clean


@pytest.mark.parametrize("trial", range(TRIALS))
def test_sigkill_then_rerun_equals_a_clean_run(setup, tmp_path, trial):
    docs, model, _, clean = setup
    assert clean.rows == len(clean.ids) > 40
    kill_at = random.Random(trial).randint(2, 38)  # of 40 files
    was_running, after = kill_then_rerun(docs, model, tmp_path, kill_at)
    record(
        "crash",
        f"SIGKILL at file {kill_at} of 40",
        trial=trial,
        kill_at_file=kill_at,
        killed_mid_run=was_running,
        chunks=len(after.ids),
        rows=after.rows,
        equal_to_clean=after.ids == clean.ids and after.rows == clean.rows,
    )  # docs/reliability.md is made from these
    assert was_running, "the run ended before the kill; lower the delay"
    assert after.ids == clean.ids
    assert after.rows == len(after.ids)  # no duplicates
