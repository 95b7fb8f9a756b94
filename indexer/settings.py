"""Every environment variable distilsearch reads, read in one place.

| variable                    | default              | meaning                                   |
|-----------------------------|----------------------|-------------------------------------------|
| ``DISTILSEARCH_DATA_DIR``   | ``./data``           | indexes, caches, the demo corpus          |
| ``DISTILSEARCH_MODELS_DIR`` | ``./models``         | distilled students (``student/``, ...)    |
| ``MILVUS_URI``              | ``<data>/milvus.db`` | file = Milvus Lite, ``http://`` = server |
| ``MILVUS_TOKEN``            | empty                | ``user:password`` or API key for a server |
| ``DISTILSEARCH_COLLECTION`` | ``docs``             | base collection name                      |
| ``DISTILSEARCH_ENCODER``    | ``teacher``          | default encoder for index and search      |
| ``DISTILSEARCH_THREADS``    | all cores            | torch CPU threads                         |
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

_COLLECTION_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,200}$")


@dataclass(frozen=True)
class Settings:
    """Resolved runtime settings. Build with :func:`load_settings`."""

    data_dir: Path
    models_dir: Path
    milvus_uri: str
    milvus_token: str
    collection: str
    encoder: str
    threads: int

    def __post_init__(self) -> None:
        if not _COLLECTION_RE.match(self.collection):
            raise ValueError(
                f"DISTILSEARCH_COLLECTION={self.collection!r}: use letters, digits and "
                "underscores, starting with a letter or underscore"
            )
        if self.threads < 1:
            raise ValueError(f"DISTILSEARCH_THREADS must be >= 1, got {self.threads}")

    @property
    def is_server(self) -> bool:
        """True when the URI names a Milvus server rather than a Milvus Lite file."""
        return self.milvus_uri.startswith(("http://", "https://", "tcp://", "unix:"))

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the non-None ``changes`` applied (CLI flags over env vars)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from ``env`` (default: ``os.environ``)."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("DISTILSEARCH_DATA_DIR", "data")).expanduser()
    threads_raw = env.get("DISTILSEARCH_THREADS", "")
    try:
        threads = int(threads_raw) if threads_raw else (os.cpu_count() or 1)
    except ValueError as exc:
        raise ValueError(f"DISTILSEARCH_THREADS must be an integer, got {threads_raw!r}") from exc
    return Settings(
        data_dir=data_dir,
        models_dir=Path(env.get("DISTILSEARCH_MODELS_DIR", "models")).expanduser(),
        milvus_uri=env.get("MILVUS_URI", "") or str(data_dir / "milvus.db"),
        milvus_token=env.get("MILVUS_TOKEN", ""),
        collection=env.get("DISTILSEARCH_COLLECTION", "docs"),
        encoder=env.get("DISTILSEARCH_ENCODER", "teacher"),
        threads=threads,
    )
