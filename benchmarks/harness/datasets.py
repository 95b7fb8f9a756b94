"""The dev suite: which BEIR folders the benchmarks score on, by name.

``scifact`` lies in the steering repository's ``shared/data``; ``django_faq`` and
``python_faq`` are built from package registries by ``benchmarks/dev_suite.py`` into
``data/dev_suite`` (never committed).
"""

from __future__ import annotations

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
