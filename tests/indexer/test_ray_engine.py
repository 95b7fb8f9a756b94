"""The Ray engine against the local one: same ids and rows, same statuses, crash-safe.

A local Ray (2 CPUs) indexes into Milvus Lite served over gRPC (one Lite file cannot be
opened by several processes), with the same tiny encoder in both engines.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from core.settings import Settings, load_settings
from encoders import Encoder, build_encoder
from indexer.chunking import ChunkingConfig
from indexer.names import display_name
from indexer.pipeline import IndexOptions, index_files
from indexer.ray_engine import RayOptions, index_files_ray, ray_session, ray_store_uri
from indexer.report import FileResult, IndexReport
from indexer.stores import store_for
from indexer.stores.lite_server import running_lite_server
from indexer.stores.milvus import MilvusStore
from indexer.walk import walk_files
from tests.support import doc_factory
from tests.support.crash_kit import write_corpus
from tests.support.tiny_models import tiny_teacher

pytestmark = pytest.mark.slow

SMALL_CHUNKS = IndexOptions(
    chunking=ChunkingConfig(max_characters=80, new_after_n_chars=64, combine_text_under_n_chars=80),
    batch_chunks=8,
    workers=0,  # partition inside the chunking actor: no worker process to start
)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_teacher(tmp_path_factory.mktemp("model"), layers=2)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilvusStore]:
    with running_lite_server(tmp_path_factory.mktemp("served") / "milvus.db") as uri:
        store = MilvusStore(uri)
        yield store
        store.close()


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    with ray_session(RayOptions(num_cpus=2)):
        yield


@pytest.fixture(scope="module")
def encoder(model: Path) -> Encoder:
    return build_encoder(str(model), _settings("unused", ""))


def _settings(collection: str, uri: str) -> Settings:
    return replace(load_settings().with_overrides(collection=collection, milvus_uri=uri), threads=1)


def _ray(files, encoder, store, base, options, skipped=()) -> IndexReport:
    settings = _settings(base, store.location)
    return index_files_ray(
        files, [encoder], store, store.location, settings, options, skipped=skipped
    )


def _rows(store: MilvusStore, report: IndexReport) -> dict[str, str]:
    (name,) = report.collections
    rows = dict(store.texts(name))
    assert store.count(name) == len(rows)  # no id stored twice
    return rows


def _statuses(report: IndexReport) -> dict[str, tuple[str, int]]:
    return {f.path: (f.status, f.chunks) for f in report.files}


def test_ray_writes_the_local_engines_ids_and_rows_and_a_rerun_writes_nothing(
    tmp_path, model, served, local_ray, encoder
):
    docs = tmp_path / "docs"
    doc_factory.write_every_type(docs)
    write_corpus(docs / "corpus", files=6)
    walk = walk_files([docs])
    local = index_files(walk.files, [encoder], served, "loc", SMALL_CHUNKS)
    ray = _ray(walk.files, encoder, served, "ray", SMALL_CHUNKS)
    assert ray.ok and not ray.error, ray.table()
    assert _statuses(ray) == _statuses(local)
    assert ray.count("indexed") == len(walk.files)
    assert ray.chunks_written == local.chunks_written > 0
    assert _rows(served, ray) == _rows(served, local)

    again = _ray(walk.files, encoder, served, "ray", SMALL_CHUNKS)
    assert again.count("unchanged") == len(walk.files)
    assert again.chunks_written == again.chunks_deleted == 0


def _kill_encoder_worker() -> int:
    """SIGKILL the Ray worker process of the encoding actor; its pid."""
    for process in psutil.process_iter(["pid", "cmdline"]):
        if "EncodeStage" in " ".join(process.info["cmdline"] or []):
            os.kill(process.info["pid"], signal.SIGKILL)
            return process.info["pid"]
    raise AssertionError("no Ray worker of the EncodeStage actor found")


def test_a_killed_encoding_worker_then_a_rerun_converges(
    tmp_path, model, served, local_ray, encoder
):
    """SIGKILL the encoding actor's worker mid-run, change a file, rerun: the rows are a
    clean local run's (the changed file's stale chunks deleted), none twice."""
    docs = write_corpus(tmp_path / "docs", files=12)
    walk = walk_files([docs])
    killed: list[tuple[int, str]] = []

    def kill_once(result: FileResult, _written: int) -> None:
        if result.status == "indexed" and not killed:
            killed.append((_kill_encoder_worker(), result.path))

    settings = _settings("crash", served.location)
    try:  # Ray Data restarts the actor and retries, or gives up: the rerun must mend both
        index_files_ray(
            walk.files,
            [encoder],
            served,
            served.location,
            settings,
            SMALL_CHUNKS,
            on_file=kill_once,
        )
    except Exception as exc:
        print(f"the killed run failed: {type(exc).__name__}")
    assert killed, "the run ended before any file was indexed"
    written = next(p for p in walk.files if display_name(p) == killed[0][1])  # stored
    written.write_text("# Changed\n\nOnly this paragraph is left of the file.\n")
    rerun = _ray(walk.files, encoder, served, "crash", SMALL_CHUNKS)
    assert rerun.ok and not rerun.error
    assert rerun.chunks_deleted > 0  # the old chunks of the file stored before the kill
    reference = index_files(walk.files, [encoder], served, "ref", SMALL_CHUNKS)
    assert _rows(served, rerun) == _rows(served, reference)


def test_hostile_folder_gets_the_local_engines_statuses(
    tmp_path, model, served, local_ray, encoder
):
    root = tmp_path / "hostile"
    doc_factory.write_hostile_folder(root)
    walk = walk_files([root])
    options = doc_factory.HOSTILE_OPTIONS
    local = index_files(walk.files, [encoder], served, "hloc", options, skipped=walk.skipped)
    ray = _ray(walk.files, encoder, served, "hray", options, walk.skipped)
    statuses = {f.path: f.status for f in ray.files}
    assert statuses == {f.path: f.status for f in local.files}
    assert len(statuses) == len(ray.files)  # every entry reported once
    reasons = {f.path.rsplit("/", 1)[-1]: f.reason for f in ray.files}
    assert "timed out" in reasons["slow.txt"]
    assert "zip bomb" in reasons["bomb.docx"]
    assert "outside the indexed folders" in reasons["passwd-link.txt"]
    assert _rows(served, ray) == _rows(served, local)


def test_a_lite_file_is_served_for_a_local_ray_and_refused_for_a_cluster(tmp_path):
    db = tmp_path / "lite.db"
    refused = ray_store_uri(str(db), "ray://head:10001")
    with pytest.raises(ValueError, match="needs a Milvus server"), refused:
        pass
    with ray_store_uri(str(db), None) as uri:
        assert uri.startswith("http://127.0.0.1:")
    with ray_store_uri("http://milvus:19530", "ray://head:10001") as uri:
        assert uri == "http://milvus:19530"


def test_the_cli_indexes_a_lite_file_on_ray_and_exits_like_the_local_engine(
    tmp_path, model, local_ray
):
    from shell.cli import main

    docs = write_corpus(tmp_path / "docs", files=4)
    (docs / "junk.pdf").write_bytes(b"\x00\xff" * 64)
    db = tmp_path / "cli.db"
    args = [
        "index",
        str(docs),
        "--engine",
        "ray",
        "--encoder",
        str(model),
        "--milvus-uri",
        str(db),
        "--report",
        str(tmp_path / "report.json"),
        "--no-embedding-cache",
    ]
    assert main(args) == 3  # junk.pdf failed, the others indexed
    store = MilvusStore(str(db))  # the served file was let go
    try:
        (name,) = store.list_collections()
        assert store.count(name) == len(store.ids(name)) > 0
        assert {display_name(p) for p in docs.glob("*.md")} == set(store.sources(name))
    finally:
        store.close()


class _StoreThatKillsMilvus:
    """The driver's store: once the run's collections exist, Milvus is killed, so every
    later call (the actors' planning reads and upserts, the driver's deletes) fails."""

    def __init__(self, store: MilvusStore, server) -> None:
        self._store, self._server = store, server

    def ensure_collection(self, *args, **kwargs):
        result = self._store.ensure_collection(*args, **kwargs)
        self._server.kill()  # the launcher; Milvus Lite's binary dies with it
        self._server.wait()
        return result

    def __getattr__(self, name: str):
        return getattr(self._store, name)


def test_milvus_gone_after_start_fails_every_file_and_sets_the_error(
    tmp_path, model, local_ray, encoder
):
    """Milvus dies once the run has begun: no file is reported indexed, each file fails with
    "not written", and the report carries the error (the CLI's exit code 4)."""
    import subprocess

    from indexer.stores.lite_server import free_port, server_command, stop_process, wait_for_port

    port = free_port()
    server = subprocess.Popen(server_command(tmp_path / "gone.db", "127.0.0.1", port))
    wait_for_port("127.0.0.1", port)
    settings = replace(_settings("gone", f"http://127.0.0.1:{port}"), milvus_retry_s=1.5)
    store = store_for(settings)  # the driver's store; the actors get the same short budget
    docs = write_corpus(tmp_path / "docs", files=2)
    walk = walk_files([docs])
    try:
        report = index_files_ray(
            walk.files,
            [encoder],
            _StoreThatKillsMilvus(store, server),
            store.location,
            settings,
            SMALL_CHUNKS,
        )
    finally:
        stop_process(server)
    assert report.error
    assert report.count("indexed") == 0
    assert len(report.files) == len(walk.files) == report.count("failed")
    assert all(f.reason.startswith("not written") for f in report.files)
