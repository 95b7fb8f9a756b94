"""docker-compose.yml: Milvus standalone + the app, validated without a Docker engine."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_services_are_pinned_healthchecked_and_persisted(compose):
    services = compose["services"]
    assert set(services) == {"etcd", "minio", "milvus", "app"}
    for name in ("etcd", "minio", "milvus"):
        image = services[name]["image"]
        tag = image.rsplit(":", 1)[-1]
        assert ":" in image and tag not in ("latest", ""), f"{name} image is not pinned: {image}"
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no healthcheck"
    named = set(compose["volumes"])
    for name in ("etcd", "minio", "milvus"):
        mounts = [v.split(":")[0] for v in services[name]["volumes"]]
        assert mounts and all(m in named for m in mounts), f"{name} data is not on a named volume"
    assert services["milvus"]["depends_on"]["etcd"]["condition"] == "service_healthy"
    assert services["app"]["environment"]["MILVUS_URI"] == "http://milvus:19530"
    assert "19530:19530" in services["milvus"]["ports"]


def _compose_client() -> list[str] | None:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_config_validates():
    client = _compose_client()
    if client is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    done = subprocess.run(
        [*client, "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
