"""Builders shared by the UI tests (AppTest and browser): a BEIR folder, a student, an index.

A "student" for UI tests is a real sentence-transformers model: the packaged teacher
with only layers (0, 2, 4) kept, saved where ``build_encoder("student")`` looks for it
(``<models dir>/student``). It ranks differently from the teacher, like an untrained
student, which is what the comparison views need to show.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from encoders import Encoder, SentenceTransformerEncoder
from indexer.pipeline import IndexOptions, index_files
from indexer.stores.milvus import MilvusStore
from indexer.walk import iter_files
from tests.support.paths import DOCS, REPO

APP = REPO / "search_app" / "app.py"
#: Retrieved text that must render inert: literal, never as HTML or Markdown.
XSS_PAYLOAD = "<script>window.__pwned=1</script> and <b>bold</b> and **md**"
XSS_TEXT = (
    "Security notice for the payload test.\n\n"
    f"The sanitiser keeps {XSS_PAYLOAD} as plain characters on the page.\n"
)


def make_beir(root: Path) -> Path:
    """A five-document BEIR folder: three judged queries, one relevant document each (d1-d3)."""
    import json

    docs = {
        "d0": "a cat and a dog and a fish",
        "d1": "cats purr and cats sleep",
        "d2": "a dog barks at the postman",
        "d3": "fish swim",
        "d4": "birds fly south",
    }
    queries = {"q1": "cats cat", "q2": "dog", "q3": "fish"}
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": k, "title": "", "text": v}) + "\n" for k, v in docs.items())
    )
    (root / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": k, "text": v}) + "\n" for k, v in queries.items())
    )
    (root / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\n"
    )
    return root


#: Stand-ins saved so far in this process, by (teacher folder, layers): each is cut from
#: the teacher once per test session and copied for every later caller.
_STANDINS: dict[tuple[Path, tuple[int, ...]], Path] = {}


def save_student_standin(teacher_dir: Path, out: Path, layers: Sequence[int] = (0, 2, 4)) -> Path:
    """Save the teacher with only ``layers`` kept (an undistilled student) under ``out``."""
    key = (Path(teacher_dir), tuple(layers))
    if key not in _STANDINS:
        _STANDINS[key] = _cut_teacher(key[0], key[1], Path(tempfile.mkdtemp(prefix="standin-")))
        atexit.register(shutil.rmtree, _STANDINS[key], ignore_errors=True)
    shutil.copytree(_STANDINS[key], out, dirs_exist_ok=True)
    return out


def _cut_teacher(teacher_dir: Path, layers: tuple[int, ...], out: Path) -> Path:
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(teacher_dir), device="cpu")
    bert = model[0].auto_model
    bert.encoder.layer = torch.nn.ModuleList([bert.encoder.layer[i] for i in layers])
    bert.config.num_hidden_layers = len(layers)
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    return out


def student_encoder(models_dir: Path, teacher: SentenceTransformerEncoder) -> Encoder:
    """The stand-in student at ``<models_dir>/student`` (built on first use)."""
    folder = models_dir / "student"
    if not (folder / "modules.json").is_file():
        save_student_standin(teacher.model_dir, folder)
    return SentenceTransformerEncoder("student", folder)


def build_index(
    db_path: Path, encoders: Sequence[Encoder], extra: Sequence[Path] = (), base: str = "docs"
) -> None:
    """Index the test docs (and ``extra`` files) with every encoder, then let go of the file.

    Letting go matters: Milvus Lite lets one process hold a data file at a time.
    """
    store = MilvusStore(str(db_path))
    try:
        files = [*iter_files([DOCS]), *extra]
        report = index_files(files, list(encoders), store, base, IndexOptions(workers=0))
        assert report.ok, report.files
    finally:
        store.close()  # also stops this process's Lite server, freeing the file
