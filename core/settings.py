"""Every environment variable distilsearch reads, read in one place.

| variable                       | default              | meaning                                  |
|--------------------------------|----------------------|------------------------------------------|
| ``DISTILSEARCH_DATA_DIR``      | ``./data``           | indexes, caches, the demo corpus         |
| ``DISTILSEARCH_MODELS_DIR``    | ``./models``         | distilled students (``student/``, ...)   |
| ``MILVUS_URI``                 | ``<data>/milvus.db`` | file = Milvus Lite, ``http://`` = server |
| ``MILVUS_TOKEN``               | empty                | ``user:password`` or API key (server)    |
| ``DISTILSEARCH_COLLECTION``    | ``docs``             | base collection name                     |
| ``DISTILSEARCH_ENCODER``       | ``teacher``          | default encoder for index and search     |
| ``DISTILSEARCH_SEARCH_MODE``   | ``dense``            | default search mode: dense, keyword or   |
|                                |                      | hybrid (CLI ``--mode``, the UI's default)|
| ``DISTILSEARCH_THREADS``       | all cores            | torch CPU threads                        |
| ``DISTILSEARCH_LLM_URL``       | empty (offline)      | OpenAI-compatible URL for Ask answers    |
| ``DISTILSEARCH_LLM_MODEL``     | empty                | model for that endpoint (required)       |
| ``DISTILSEARCH_LLM_KEY``       | empty                | bearer key for that endpoint             |
| ``DISTILSEARCH_MAX_UPLOAD_MB`` | ``20``               | largest file the UI accepts to index     |
| ``DISTILSEARCH_UI_WRITES``     | off                  | UI may upload, delete, run evaluations   |
| ``DISTILSEARCH_UI_SECRET``     | empty                | key the UI asks for before any write     |
| ``DISTILSEARCH_CACHE_DIR``     | ``~/.cache/distilsearch`` | assembled packaged models           |
| ``DISTILSEARCH_EMBEDDING_CACHE_MB`` | ``1024``        | bound on the indexer's vector cache |
|                                |                      | (``<data>/cache/embeddings.sqlite``) |
|                                |                      | in MiB; 0 turns it off               |
| ``DISTILSEARCH_MILVUS_RETRY_S`` | ``15``              | how long a store call keeps retrying |
|                                |                      | an unreachable Milvus; 0: no retry   |
| ``HF_HUB_OFFLINE``             | unset                | only the local hub cache is used         |
| ``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK`` | set by torchrun | data-parallel distillation       |

The default search mode is ``dense``, chosen on the dev suite (hybrid search topic of
``docs/results/README.md``).

:func:`is_server_uri` is the one rule for "this Milvus URI names a server, not a Lite file".
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

SERVER_URI_PREFIXES = ("http://", "https://", "tcp://", "unix:")
_TRUE = {"1", "true", "yes", "on"}
_COLLECTION_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,200}$")
DEFAULT_MAX_UPLOAD_MB = 20
DEFAULT_EMBEDDING_CACHE_MB = 1024
DEFAULT_MILVUS_RETRY_S = 15.0
MAX_UPLOAD_MB_CEILING = 1024
MIN_SECRET_CHARS = 12
#: How a query can be matched (``indexer.MODES`` names the same three; core imports nothing).
SEARCH_MODES = ("dense", "keyword", "hybrid")
DEFAULT_SEARCH_MODE = "dense"


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
    ui_writes: bool = False
    ui_secret: str = field(default="", repr=False)
    cache_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "distilsearch")
    hub_offline: bool = False
    search_mode: str = DEFAULT_SEARCH_MODE
    embedding_cache_mb: int = DEFAULT_EMBEDDING_CACHE_MB  # 0 = no embedding cache
    milvus_retry_s: float = DEFAULT_MILVUS_RETRY_S  # 0 = fail at the first unreachable call

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
        if self.ui_writes and len(self.ui_secret) < MIN_SECRET_CHARS:
            raise ValueError(
                "DISTILSEARCH_UI_WRITES is on: set DISTILSEARCH_UI_SECRET to a key of at least "
                f"{MIN_SECRET_CHARS} characters (writes are allowed only behind it)"
            )
        if self.search_mode not in SEARCH_MODES:
            raise ValueError(
                f"DISTILSEARCH_SEARCH_MODE must be one of {', '.join(SEARCH_MODES)}, "
                f"got {self.search_mode!r}"
            )
        if self.embedding_cache_mb < 0:
            raise ValueError(
                f"DISTILSEARCH_EMBEDDING_CACHE_MB must be >= 0, got {self.embedding_cache_mb}"
            )
        if not 0 <= self.milvus_retry_s <= 3600:
            raise ValueError(
                f"DISTILSEARCH_MILVUS_RETRY_S must be in [0, 3600], got {self.milvus_retry_s}"
            )
        if not 1 <= self.max_upload_mb <= MAX_UPLOAD_MB_CEILING:
            raise ValueError(
                f"DISTILSEARCH_MAX_UPLOAD_MB must be in [1, {MAX_UPLOAD_MB_CEILING}], "
                f"got {self.max_upload_mb}"
            )

    @property
    def is_server(self) -> bool:
        """True when the URI names a Milvus server rather than a Milvus Lite file."""
        return is_server_uri(self.milvus_uri)

    @property
    def embedding_cache(self) -> Path | None:
        """The indexer's vector cache file, or None when it is off."""
        on = self.embedding_cache_mb > 0
        return self.data_dir / "cache" / "embeddings.sqlite" if on else None

    @property
    def failure_ledger(self) -> Path:
        """The indexer's record of files that failed under a size or time limit."""
        return self.data_dir / "cache" / "failed-files.json"

    @property
    def lite_path(self) -> Path | None:
        """The Milvus Lite data file, or None when the URI names a server."""
        return None if self.is_server else Path(self.milvus_uri).expanduser()

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the non-None ``changes`` applied (CLI flags over env vars)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from ``env`` (default: ``os.environ``)."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("DISTILSEARCH_DATA_DIR", "data")).expanduser()
    threads = _number(env, "DISTILSEARCH_THREADS", os.cpu_count() or 1, int)
    max_upload_mb = _number(env, "DISTILSEARCH_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB, int)
    cache_mb = _number(env, "DISTILSEARCH_EMBEDDING_CACHE_MB", DEFAULT_EMBEDDING_CACHE_MB, int)
    retry_s = _number(env, "DISTILSEARCH_MILVUS_RETRY_S", DEFAULT_MILVUS_RETRY_S, float)
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
        cache_dir=Path(
            env.get("DISTILSEARCH_CACHE_DIR") or Path.home() / ".cache" / "distilsearch"
        ).expanduser(),
        hub_offline=env.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE,
        ui_writes=env.get("DISTILSEARCH_UI_WRITES", "").strip().lower() in _TRUE,
        ui_secret=env.get("DISTILSEARCH_UI_SECRET", ""),
        search_mode=env.get("DISTILSEARCH_SEARCH_MODE", "").strip().lower() or DEFAULT_SEARCH_MODE,
        embedding_cache_mb=cache_mb,
        milvus_retry_s=retry_s,
    )


def _number(env: dict[str, str], name: str, default: float, kind: type) -> Any:
    """``env[name]`` as ``kind`` (``int`` or ``float``), ``default`` when unset or blank."""
    raw = env.get(name, "").strip()
    try:
        return kind(raw) if raw else default
    except ValueError as exc:
        article = "an integer" if kind is int else "a number"
        raise ValueError(f"{name} must be {article}, got {raw!r}") from exc


def is_server_uri(uri: str) -> bool:
    """True when ``uri`` names a Milvus server (``http://host:19530``), not a Lite file."""
    return uri.startswith(SERVER_URI_PREFIXES)


def hide_lite_uri_from_pymilvus() -> None:
    """Drop a Milvus Lite *file* ``MILVUS_URI`` from the environment (server URIs stay).

    pymilvus reads ``MILVUS_URI`` itself when imported and raises "Illegal uri" for a
    file path; settings have already read it, so nothing is lost.
    """
    uri = os.environ.get("MILVUS_URI", "")
    if uri and not is_server_uri(uri):
        del os.environ["MILVUS_URI"]


@dataclass(frozen=True)
class ProcessGroupEnv:
    """What ``torchrun`` tells each process: how many there are and which one this is."""

    world_size: int = 1
    rank: int = 0
    local_rank: int = 0


def torchrun_env(env: dict[str, str] | None = None) -> ProcessGroupEnv:
    """Read torchrun's ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK`` (one process when unset)."""
    env = dict(os.environ if env is None else env)
    world = int(env.get("WORLD_SIZE", "1"))
    if world <= 1:
        return ProcessGroupEnv()
    rank = int(env["RANK"])
    return ProcessGroupEnv(world, rank, int(env.get("LOCAL_RANK", rank)))
