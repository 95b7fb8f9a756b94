"""Every environment variable distilsearch reads, read in one place.

| variable                       | default              | meaning                                  |
|--------------------------------|----------------------|------------------------------------------|
| ``DISTILSEARCH_DATA_DIR``      | ``./data``           | indexes, caches, the demo corpus         |
| ``DISTILSEARCH_MODELS_DIR``    | ``./models``         | distilled students (``student/``, ...)   |
| ``MILVUS_URI``                 | ``<data>/milvus.db`` | file = Milvus Lite, ``http://`` = server |
| ``MILVUS_TOKEN``               | empty                | ``user:password`` or API key (server)    |
| ``DISTILSEARCH_COLLECTION``    | ``docs``             | base collection name                     |
| ``DISTILSEARCH_ENCODER``       | ``teacher``          | default encoder for index and search     |
| ``DISTILSEARCH_THREADS``       | all cores            | torch CPU threads                        |
| ``DISTILSEARCH_LLM_URL``       | empty (offline)      | OpenAI-compatible URL for Ask answers    |
| ``DISTILSEARCH_LLM_MODEL``     | empty                | model for that endpoint (required)       |
| ``DISTILSEARCH_LLM_KEY``       | empty                | bearer key for that endpoint             |
| ``DISTILSEARCH_MAX_UPLOAD_MB`` | ``20``               | largest file the UI accepts to index     |
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

_COLLECTION_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,200}$")
DEFAULT_MAX_UPLOAD_MB = 20
MAX_UPLOAD_MB_CEILING = 1024


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
    llm_url: str = ""
    llm_model: str = ""
    llm_key: str = field(default="", repr=False)
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB

    def __post_init__(self) -> None:
        if not _COLLECTION_RE.match(self.collection):
            raise ValueError(
                f"DISTILSEARCH_COLLECTION={self.collection!r}: use letters, digits and "
                "underscores, starting with a letter or underscore"
            )
        if self.threads < 1:
            raise ValueError(f"DISTILSEARCH_THREADS must be >= 1, got {self.threads}")
        if self.llm_url and not self.llm_url.startswith(("http://", "https://")):
            raise ValueError(
                f"DISTILSEARCH_LLM_URL must start with http:// or https://, got {self.llm_url!r}"
            )
        if self.llm_url and not self.llm_model:
            raise ValueError(
                "DISTILSEARCH_LLM_URL is set: name the model in DISTILSEARCH_LLM_MODEL"
            )
        if not 1 <= self.max_upload_mb <= MAX_UPLOAD_MB_CEILING:
            raise ValueError(
                f"DISTILSEARCH_MAX_UPLOAD_MB must be in [1, {MAX_UPLOAD_MB_CEILING}], "
                f"got {self.max_upload_mb}"
            )

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
    upload_raw = env.get("DISTILSEARCH_MAX_UPLOAD_MB", "")
    try:
        max_upload_mb = int(upload_raw) if upload_raw else DEFAULT_MAX_UPLOAD_MB
    except ValueError as exc:
        raise ValueError(
            f"DISTILSEARCH_MAX_UPLOAD_MB must be an integer, got {upload_raw!r}"
        ) from exc
    return Settings(
        data_dir=data_dir,
        models_dir=Path(env.get("DISTILSEARCH_MODELS_DIR", "models")).expanduser(),
        milvus_uri=env.get("MILVUS_URI", "") or str(data_dir / "milvus.db"),
        milvus_token=env.get("MILVUS_TOKEN", ""),
        collection=env.get("DISTILSEARCH_COLLECTION", "docs"),
        encoder=env.get("DISTILSEARCH_ENCODER", "teacher"),
        threads=threads,
        llm_url=env.get("DISTILSEARCH_LLM_URL", "").strip().rstrip("/"),
        llm_model=env.get("DISTILSEARCH_LLM_MODEL", "").strip(),
        llm_key=env.get("DISTILSEARCH_LLM_KEY", ""),
        max_upload_mb=max_upload_mb,
    )
