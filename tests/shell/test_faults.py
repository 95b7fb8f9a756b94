"""Faults injected into real `distilsearch index` runs: disk full, Milvus gone, a worker
killed, files vanishing or growing. Each asserts the report, the exit code, and that a
rerun converges on a clean run's chunk ids (Milvus Lite, a tiny model, this process).

Disk full runs twice: an ``OSError(ENOSPC)`` injected at the store (always), and a real
tmpfs too small for the index (where this machine lets the test mount one).
"""

from __future__ import annotations

import errno
import io
import shutil
import subprocess
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from pymilvus import MilvusClient

from indexer.stores.lite_server import free_port, server_command, stop_process, wait_for_port
from indexer.workers import _Worker
from shell.cli import main
from tests.support.fakes import save_tiny_sentence_transformer
from tests.support.fault_kit import corpus, ids, index_args, record, run_index

FILES = 12


@dataclass(frozen=True)
class Setup:
    docs: Path
    model: Path
    clean: frozenset[str]  # the ids of an undisturbed run over ``docs``


def clean_ids(docs: Path, model: Path, data: Path) -> frozenset[str]:
    """The chunk ids of an undisturbed run over ``docs`` (output swallowed)."""
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(io.StringIO()):
        patch.setenv("DISTILSEARCH_DATA_DIR", str(data))
        patch.delenv("MILVUS_URI", raising=False)
        with redirect_stderr(io.StringIO()):
            assert main(index_args(docs, model)) == 0
    return ids(str(data / "milvus.db"))


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    root = tmp_path_factory.mktemp("faults")
    model = save_tiny_sentence_transformer(root / "model")
    docs = corpus(root / "docs", FILES)
    return Setup(docs, model, clean_ids(docs, model, root / "clean"))


def _full_after(writes: int, real):
    """A client upsert that raises ENOSPC once ``writes`` upserts went through."""
    done = []

    def upsert(self, *args, **kwargs):
        if len(done) >= writes:
            raise OSError(errno.ENOSPC, "No space left on device")
        done.append(1)
        return real(self, *args, **kwargs)

    return upsert


def test_disk_full_at_the_store_stops_cleanly_and_a_rerun_converges(
    setup, tmp_path, capsys, monkeypatch
):
    data = tmp_path / "data"
    monkeypatch.setattr(MilvusClient, "upsert", _full_after(2, MilvusClient.upsert))
    full = run_index(index_args(setup.docs, setup.model), data, capsys, monkeypatch)
    assert full.code == 5, full.err[-3000:]
    assert "disk is full" in full.err and f"data folder {data}" in full.err
    assert "Traceback" not in full.err
    report = full.report
    assert report["stopped_by"] == "store_write" and "disk is full" in report["error"]
    assert len(report["files"]) == FILES  # every file reported: written, or not written
    unwritten = [f for f in report["files"] if f["reason"].startswith("not written")]
    assert unwritten and report["counts"]["indexed"] + len(unwritten) == FILES
    monkeypatch.undo()  # space freed
    rerun = run_index(index_args(setup.docs, setup.model), data, capsys, monkeypatch)
    converged = rerun.code == 0 and ids(str(data / "milvus.db")) == setup.clean
    record(
        "disk full (ENOSPC injected at the store after 2 writes)",
        "OSError(ENOSPC) from the Milvus client's upsert",
        exit_code=full.code,
        message=full.err.strip().splitlines()[-1],
        indexed=report["counts"]["indexed"],
        not_written=len(unwritten),
        rerun_exit_code=rerun.code,
        converged=converged,
    )
    assert converged


def _mount_tmpfs(where: Path, size: str) -> str:
    """Mount a tmpfs of ``size`` at ``where``; why not, or ""."""
    where.mkdir()
    if shutil.which("mount") is None:
        return "no mount command"
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    return "" if done.returncode == 0 else f"cannot mount a tmpfs here: {done.stderr.strip()}"


def _big_corpus(root: Path, files: int = 60, paragraphs: int = 80) -> Path:
    """About 2,500 chunks at 80 characters: more than a 20 MiB file system holds above the
    16 MiB the store keeps free."""
    root.mkdir()
    for i in range(files):
        body = "\n\n".join(
            f"Paragraph {j} of file {i} about topic {j % 11}." for j in range(paragraphs)
        )
        (root / f"big{i:02d}.md").write_text(f"# File {i}\n\n{body}\n")
    return root


def test_a_real_full_disk_stops_cleanly_twice_then_converges_once_grown(
    setup, tmp_path, capsys, monkeypatch
):
    small = tmp_path / "small"
    why = _mount_tmpfs(small, "20m")
    if why:
        pytest.skip(f"{why} (the injected ENOSPC test above always runs)")
    docs = _big_corpus(tmp_path / "big-docs")
    try:
        data = small / "data"
        args = index_args(docs, setup.model)
        full = run_index(args, data, capsys, monkeypatch)
        again = run_index(args, data, capsys, monkeypatch)  # the disk still full
        subprocess.run(["mount", "-o", "remount,size=256m", str(small)], check=True)
        grown = run_index(args, data, capsys, monkeypatch)
        after = ids(str(data / "milvus.db"))
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)
    clean = clean_ids(docs, setup.model, tmp_path / "clean")
    for run in (full, again):
        assert run.code == 5, run.err[-3000:]
        assert "disk is full" in run.err and f"data folder {data}" in run.err
        assert run.report["stopped_by"] == "store_write"  # written beside, in the temp folder
    record(
        "disk full (a 20 MiB tmpfs as the data folder; rerun on the full disk; grown)",
        "a real file system too small for the index",
        exit_code=full.code,
        message=full.err.strip().splitlines()[-1],
        rerun_full_exit_code=again.code,
        rerun_exit_code=grown.code,
        converged=grown.code == 0 and after == clean,
    )
    assert grown.code == 0 and after == clean


def _serve(db: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(server_command(db, "127.0.0.1", port))
    wait_for_port("127.0.0.1", port)
    return server, f"http://127.0.0.1:{port}"


def test_milvus_gone_mid_run_exits_4_and_a_rerun_converges(setup, tmp_path, capsys, monkeypatch):
    db = tmp_path / "served.db"
    server, uri = _serve(db)
    real, done = MilvusClient.upsert, []

    def kill_before_third(self, *args, **kwargs):
        done.append(1)
        if len(done) == 3:
            server.kill()  # the launcher; Milvus Lite's binary dies with it
            server.wait()
        return real(self, *args, **kwargs)

    monkeypatch.setenv("DISTILSEARCH_MILVUS_RETRY_S", "0.3")  # the CLI's store: short retries
    monkeypatch.setattr(MilvusClient, "upsert", kill_before_third)
    try:
        gone = run_index(
            index_args(setup.docs, setup.model), tmp_path / "d", capsys, monkeypatch, uri
        )
    finally:
        stop_process(server)
    assert gone.code == 4, gone.err[-3000:]
    assert "unreachable" in gone.err and "Traceback" not in gone.err
    assert gone.report["stopped_by"] == "store_unreachable"
    assert len(gone.report["files"]) == FILES
    monkeypatch.setattr(MilvusClient, "upsert", real)
    server, uri = _serve(db)  # Milvus back, on the same file
    try:
        rerun = run_index(
            index_args(setup.docs, setup.model), tmp_path / "d", capsys, monkeypatch, uri
        )
        after = ids(uri)
    finally:
        stop_process(server)
    record(
        "Milvus gone mid-run (the served Lite process killed before the 3rd write)",
        "SIGKILL of the Milvus Lite server",
        exit_code=gone.code,
        message=gone.err.strip().splitlines()[-1],
        indexed=gone.report["counts"]["indexed"],
        rerun_exit_code=rerun.code,
        converged=rerun.code == 0 and after == setup.clean,
    )
    assert rerun.code == 0 and after == setup.clean


def _slow_victim(docs: Path) -> Path:
    """A file whose partitioning lasts long enough to be killed in the middle of it."""
    victim = docs / "slow-victim.txt"
    victim.write_text("\n\n".join(f"River bend {i} reach {i * 7}." for i in range(4000)))
    return victim


def test_a_worker_killed_mid_file_fails_that_file_alone_and_a_rerun_converges(
    setup, tmp_path, capsys, monkeypatch
):
    docs = tmp_path / "docs"
    shutil.copytree(setup.docs, docs)
    victim = _slow_victim(docs)
    real = _Worker.assign

    def assign_then_kill(self, task, timeout_s):
        real(self, task, timeout_s)
        if task.path == victim:
            time.sleep(0.5)  # inside the file's partitioning
            self.process.kill()

    monkeypatch.setattr(_Worker, "assign", assign_then_kill)
    args = index_args(docs, setup.model, "--workers", "1")
    killed = run_index(args, tmp_path / "d", capsys, monkeypatch)
    assert killed.code == 3, killed.err[-3000:]
    status, reason = killed.status("slow-victim.txt")
    assert status == "failed" and "worker process died" in reason
    victim_entry = next(f for f in killed.report["files"] if f["path"].endswith("victim.txt"))
    assert victim_entry["limit"] == ""  # not a limit: the rerun reads it again
    assert killed.report["counts"]["indexed"] == FILES  # the others went on
    monkeypatch.undo()
    rerun = run_index(args, tmp_path / "d", capsys, monkeypatch)
    clean = clean_ids(docs, setup.model, tmp_path / "clean")
    after = ids(str(tmp_path / "d" / "milvus.db"))
    record(
        "a partitioning worker killed in the middle of a file",
        "SIGKILL of the worker process",
        exit_code=killed.code,
        reason=reason,
        indexed=killed.report["counts"]["indexed"],
        rerun_exit_code=rerun.code,
        converged=rerun.code == 0 and after == clean,
    )
    assert rerun.code == 0 and after == clean


def test_a_worker_dead_while_idle_is_replaced_and_no_file_fails(
    setup, tmp_path, capsys, monkeypatch
):
    real, seen = _Worker.assign, []

    def die_before_fourth(self, task, timeout_s):
        seen.append(task)
        if len(seen) == 4:
            self.process.kill()
            self.process.join(5)
        real(self, task, timeout_s)

    monkeypatch.setattr(_Worker, "assign", die_before_fourth)
    args = index_args(setup.docs, setup.model, "--workers", "1")
    run = run_index(args, tmp_path / "d", capsys, monkeypatch)
    after = ids(str(tmp_path / "d" / "milvus.db"))
    record(
        "a partitioning worker dead while idle (before its next file)",
        "SIGKILL of the idle worker process",
        exit_code=run.code,
        indexed=run.report["counts"]["indexed"],
        converged=run.code == 0 and after == setup.clean,
    )
    assert run.code == 0, run.out[-3000:]
    assert after == setup.clean


def test_files_vanishing_or_growing_during_the_run(setup, tmp_path, capsys, monkeypatch):
    import indexer.pipeline as pipeline

    docs = tmp_path / "docs"
    shutil.copytree(setup.docs, docs)
    vanishing, growing = docs / "doc03.md", docs / "doc07.md"
    real = pipeline.detect_tasks

    def sniffed_then_changed(files, options, record_result):
        tasks = real(files, options, record_result)
        vanishing.unlink()  # after it was sniffed, before it is read
        with growing.open("a") as handle:
            handle.write("\n\nA paragraph written while the run was reading the folder.\n")
        return tasks

    monkeypatch.setattr(pipeline, "detect_tasks", sniffed_then_changed)
    changed = run_index(index_args(docs, setup.model), tmp_path / "d", capsys, monkeypatch)
    assert changed.code == 3, changed.err[-3000:]
    status, reason = changed.status("doc03.md")
    assert status == "failed" and "No such file" in reason
    kinds = changed.report["reasons"]  # grouped by kind, without the file's name
    assert any("FileNotFoundError" in kind and "doc03" not in kind for kind in kinds)
    assert changed.status("doc07.md")[0] == "indexed"
    monkeypatch.undo()
    rerun = run_index(index_args(docs, setup.model), tmp_path / "d", capsys, monkeypatch)
    clean = clean_ids(docs, setup.model, tmp_path / "clean")
    after = ids(str(tmp_path / "d" / "milvus.db"))
    record(
        "a file vanishing and another growing between sniffing and reading",
        "unlink and append after the type check",
        exit_code=changed.code,
        reason=reason,
        grown_file=changed.status("doc07.md")[0],
        rerun_exit_code=rerun.code,
        converged=rerun.code == 0 and after == clean,
    )
    assert rerun.code == 0 and after == clean
