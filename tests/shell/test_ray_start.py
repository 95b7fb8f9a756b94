"""Ray that does not start: retried once, then a clear error, a report and exit code 6.

``ray.init`` is replaced here (a first start that times out is what users met: "The
current node timed out during startup"); nothing else about Ray is faked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import ray

from indexer.ray_engine import RayOptions, RayStartError, ray_session
from shell.cli import main
from tests.support.crash_kit import write_corpus
from tests.support.fakes import save_tiny_sentence_transformer
from tests.support.fault_kit import record

TIMED_OUT = Exception(
    "The current node timed out during startup. This could happen because some of the "
    "raylet failed to startup or the GCS has become overloaded."
)


def _init_failing(times: int, calls: list[dict]):
    def init(**kwargs):
        calls.append(kwargs)
        if len(calls) <= times:
            raise TIMED_OUT

    return init


def test_a_start_that_times_out_once_is_retried(monkeypatch):
    calls: list[dict] = []
    shutdowns: list[int] = []
    monkeypatch.setattr(ray, "init", _init_failing(1, calls))
    monkeypatch.setattr(ray, "shutdown", lambda **_: shutdowns.append(1))
    with ray_session(RayOptions(num_cpus=1)):
        assert len(calls) == 2
    assert len(shutdowns) == 2  # after the failed start, and at the end


def test_two_failed_starts_raise_one_clear_error(monkeypatch):
    calls: list[dict] = []
    monkeypatch.setattr(ray, "init", _init_failing(2, calls))
    monkeypatch.setattr(ray, "shutdown", lambda **_: None)
    with (
        pytest.raises(RayStartError, match=r"after 2 attempts.*timed out during startup"),
        ray_session(RayOptions()),
    ):
        pass
    assert len(calls) == 2


def test_the_cli_reports_a_ray_that_never_starts_and_exits_6(tmp_path: Path, monkeypatch, capsys):
    calls: list[dict] = []
    monkeypatch.setattr(ray, "init", _init_failing(99, calls))
    monkeypatch.setattr(ray, "shutdown", lambda **_: None)
    monkeypatch.setenv("DISTILSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MILVUS_URI", raising=False)
    docs = write_corpus(tmp_path / "docs", files=3)
    model = save_tiny_sentence_transformer(tmp_path / "model")
    report_path = tmp_path / "report.json"
    argv = ["index", str(docs), "--engine", "ray", "--encoder", str(model)]
    code = main([*argv, "--report", str(report_path)])
    err = capsys.readouterr().err
    report = json.loads(report_path.read_text())
    assert code == 6 and len(calls) == 2
    assert "Ray did not start on this machine after 2 attempts" in err
    assert "--engine local" in err and "Traceback" not in err
    assert report["stopped_by"] == "engine_start" and report["counts"]["failed"] == 3
    record(
        "Ray start-up timing out (--engine ray)",
        "ray.init raising 'The current node timed out during startup', every time",
        exit_code=code,
        message=err.strip().splitlines()[-1],
        attempts=len(calls),
    )
