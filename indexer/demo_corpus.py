"""The demo corpus: Django's documentation, taken from the Django source distribution.

``pip download`` fetches the sdist from the package index (the only network this tool
needs, and only for the demo); its ``docs/`` tree is extracted once under the data dir.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tarfile
from pathlib import Path

logger = logging.getLogger(__name__)

DJANGO_SPEC = "Django==5.2.*"


def fetch_django_docs(target: Path) -> Path:
    """Return ``target/django-docs`` holding Django's ``docs/`` tree, downloading if needed."""
    docs = target / "django-docs"
    if (docs / ".complete").is_file():
        return docs
    sdist_dir = target / "sdist"
    archives = sorted(sdist_dir.glob("[Dd]jango-*.tar.gz"))
    if not archives:
        sdist_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--dest",
            str(sdist_dir),
            DJANGO_SPEC,
        ]
        logger.info("downloading the Django sdist: %s", " ".join(command))
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        archives = sorted(sdist_dir.glob("[Dd]jango-*.tar.gz"))
        if done.returncode != 0 or not archives:
            raise RuntimeError(
                f"could not download the demo corpus ({DJANGO_SPEC}) with pip: "
                f"{done.stderr.strip()[-500:]}"
            )
    extract_docs(archives[-1], docs)
    return docs


def extract_docs(archive: Path, docs: Path) -> None:
    """Extract the ``<name>/docs/`` members of ``archive`` into ``docs`` (no path escapes)."""
    docs.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        members = []
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if len(parts) < 3 or parts[1] != "docs" or not member.isfile():
                continue
            member.name = str(Path(*parts[2:]))
            members.append(member)
        tar.extractall(docs, members=members, filter="data")
    (docs / ".complete").write_text(f"{archive.name}\n")
    logger.info("extracted %d documentation files into %s", len(members), docs)
