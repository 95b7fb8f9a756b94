"""The data benchmarks read: the dev suite's BEIR folders by name, and the Django docs.

``scifact`` lies in the steering repository's ``shared/data``; ``django_faq`` and
``python_faq`` are built from package registries by ``benchmarks/dev_suite.py`` into
``data/dev_suite`` (never committed). The Django docs are the demo corpus's pages
(``indexer.demo_corpus``, fetched into ``<data dir>/demo`` once).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

from evaluation import BeirDataset, load_beir

REPO = Path(__file__).resolve().parents[2]
SCIFACT = REPO.parent / "shared" / "data" / "scifact"
DEV_SUITE = REPO / "data" / "dev_suite"
SETS: dict[str, Path] = {
    "django_faq": DEV_SUITE / "django_faq",
    "python_faq": DEV_SUITE / "python_faq",
    "scifact": SCIFACT,
}


def parse_sets(spec: str) -> dict[str, Path]:
    """``"django_faq,scifact"`` or ``"mine=/path/to/beir"`` -> name -> folder, checked."""
    chosen: dict[str, Path] = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        name, _, path = item.partition("=")
        if path:
            chosen[name] = Path(path).expanduser()
        elif name in SETS:
            chosen[name] = SETS[name]
        else:
            raise SystemExit(f"unknown set {name!r}: use {', '.join(SETS)} or NAME=BEIR_FOLDER")
    for name, folder in chosen.items():
        if not (folder / "corpus.jsonl").is_file():
            hint = " (python benchmarks/dev_suite.py builds it)" if name in SETS else ""
            raise SystemExit(f"set {name}: no corpus.jsonl under {folder}{hint}")
    return chosen


def load_set(name: str, folder: Path) -> BeirDataset:
    """The set's test split: documents are ``title + " " + text``, queries the judged ones."""
    return load_beir(folder, "test", name=name)


def query_texts(data: BeirDataset) -> list[str]:
    """The judged queries' texts, in ``data.query_ids`` order."""
    return [data.queries[q] for q in data.query_ids]


def django_files(count: int = 0, seed: int | None = 0) -> list[Path]:
    """The Django docs' ``*.txt`` pages, sorted, then shuffled with ``seed`` (None: kept
    sorted); the first ``count`` of them (0: all)."""
    from core.settings import load_settings
    from indexer.demo_corpus import fetch_django_docs

    files = sorted(fetch_django_docs(load_settings().data_dir / "demo").rglob("*.txt"))
    if seed is not None:
        random.Random(seed).shuffle(files)
    return files[:count] if count else files


def pieces(files: Iterable[Path], size: int = 1000, step: int = 800) -> list[str]:
    """Each file's text cut into ``size``-character pieces starting ``step`` apart (chunk-
    sized texts without the parser), in file order."""
    texts = (path.read_text() for path in files)
    return [text[i : i + size] for text in texts for i in range(0, len(text), step)]
