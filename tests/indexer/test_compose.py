"""docker-compose.yml: Milvus standalone + the app, validated without a Docker engine."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.support.paths import REPO

COMPOSE = REPO / "docker-compose.yml"


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
    app_env = services["app"]["environment"]
    assert app_env["DISTILSEARCH_UI_WRITES"] == "0" and "DISTILSEARCH_UI_SECRET" not in app_env


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


def test_the_image_copies_every_product_package() -> None:
    """The Dockerfile copies package folders one by one: a new package must be listed."""
    import tomllib

    dockerfile = (REPO / "Dockerfile").read_text()
    copied = {line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {p.rstrip("*") for p in patterns}
    assert packages <= copied, f"not copied into the image: {sorted(packages - copied)}"
    assert all((REPO / p / "__init__.py").is_file() for p in packages)
    command = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    assert "0.0.0.0" in command and "--allow-writes" not in command  # served: read-only
