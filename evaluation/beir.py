"""Load BEIR-format datasets: ``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``.

``--dataset`` takes a directory (always works) or a BEIR name such as ``scifact``: a
name is looked up under ``<data dir>/beir/<name>`` and otherwise downloaded from the
public BEIR mirror, which fails with a clear message where the internet is unreachable.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from indexer.types import Chunk

logger = logging.getLogger(__name__)

BEIR_URL = "https://public.ukp.informatik.tu-darmstadt.de/thakur/BEIR/datasets/{name}.zip"
BEIR_NAMES = frozenset(
    {
        "arguana",
        "climate-fever",
        "cqadupstack",
        "dbpedia-entity",
        "fever",
        "fiqa",
        "hotpotqa",
        "msmarco",
        "nfcorpus",
        "nq",
        "quora",
        "scidocs",
        "scifact",
        "trec-covid",
        "webis-touche2020",
    }
)
DOWNLOAD_TIMEOUT_S = 30.0
FILE_TYPE = "beir"


@dataclass(frozen=True)
class BeirDataset:
    """A loaded BEIR split.

    ``doc_ids``/``titles``/``texts`` are parallel lists over the corpus; ``queries`` holds
    only the queries judged in ``qrels`` (query id -> text); ``qrels`` maps query id ->
    doc id -> graded relevance.
    """

    name: str
    split: str
    doc_ids: list[str]
    titles: list[str]
    texts: list[str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    corpus_hash: str = field(default="")

    def __post_init__(self) -> None:
        if not (len(self.doc_ids) == len(self.titles) == len(self.texts)):
            raise ValueError("doc_ids, titles and texts must have the same length")
        if not self.doc_ids:
            raise ValueError(f"dataset {self.name!r} has an empty corpus")
        if not self.queries:
            raise ValueError(f"dataset {self.name!r} has no judged queries in split {self.split!r}")
        if not self.corpus_hash:
            digest = hashlib.sha256()
            for doc_id, text in zip(self.doc_ids, self.documents, strict=True):
                digest.update(f"{doc_id}\x00{text}\x01".encode("utf-8", errors="surrogatepass"))
            object.__setattr__(self, "corpus_hash", digest.hexdigest())

    @property
    def documents(self) -> list[str]:
        """Text each encoder sees: ``title + " " + text`` stripped (as MTEB encodes BEIR)."""
        return [f"{t} {x}".strip() for t, x in zip(self.titles, self.texts, strict=True)]

    @property
    def query_ids(self) -> list[str]:
        return list(self.queries)

    def chunks(self) -> list[Chunk]:
        """One :class:`Chunk` per document; the BEIR doc id travels in ``source``."""
        return [
            Chunk(
                text=text,
                source=doc_id,
                file_type=FILE_TYPE,
                section=title,
                id=doc_chunk_id(doc_id),
            )
            for doc_id, title, text in zip(self.doc_ids, self.titles, self.documents, strict=True)
        ]


def doc_chunk_id(doc_id: str) -> str:
    """A 32-hex-char chunk id for an arbitrary BEIR doc id (filter-safe, <= 64 chars)."""
    return hashlib.sha256(doc_id.encode("utf-8", errors="surrogatepass")).hexdigest()[:32]


def dataset_slug(name: str) -> str:
    """A collection-name-safe form of a dataset name."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()[:40] or "dataset"


def _read_jsonl(path: Path) -> list[dict[str, object]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from exc
    return rows


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            parts = line.rstrip("\n").split("\t")
            if not line.strip() or (line_no == 1 and not parts[-1].strip().lstrip("-").isdigit()):
                continue  # blank line or header (``query-id corpus-id score``)
            if len(parts) != 3:
                raise ValueError(f"{path}:{line_no}: expected 3 tab-separated columns")
            query_id, doc_id, score = parts
            qrels.setdefault(query_id, {})[doc_id] = int(score)
    return qrels


def read_queries(root: Path) -> dict[str, str]:
    """Query id -> text from a BEIR folder's ``queries.jsonl``, judged or not.

    Tolerant, for showing query texts: {} when the file is absent or unreadable, and a
    line that is not a JSON object with an ``_id`` is skipped.
    """
    path = Path(root).expanduser() / "queries.jsonl"
    texts: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(row, dict) and "_id" in row:
                    texts[str(row["_id"])] = str(row.get("text", ""))
    except (OSError, UnicodeDecodeError) as exc:
        logger.info("no query texts from %s: %s", path, exc)
        return {}
    return texts


def load_beir(root: Path, split: str = "test", name: str | None = None) -> BeirDataset:
    """Read a BEIR directory; ``FileNotFoundError`` names any missing file."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"dataset directory {root} does not exist")
    paths = {
        "corpus": root / "corpus.jsonl",
        "queries": root / "queries.jsonl",
        "qrels": root / "qrels" / f"{split}.tsv",
    }
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{root} is not a BEIR dataset: missing {', '.join(missing)}")
    corpus = _read_jsonl(paths["corpus"])
    all_queries = {
        str(row["_id"]): str(row.get("text", "")) for row in _read_jsonl(paths["queries"])
    }
    qrels = _read_qrels(paths["qrels"])
    unknown = [q for q in qrels if q not in all_queries]
    if unknown:
        logger.warning("%d judged queries are missing from queries.jsonl", len(unknown))
    queries = {q: all_queries[q] for q in qrels if q in all_queries and all_queries[q].strip()}
    qrels = {q: qrels[q] for q in queries}
    dataset = BeirDataset(
        name=name or root.name,
        split=split,
        doc_ids=[str(row["_id"]) for row in corpus],
        titles=[str(row.get("title") or "") for row in corpus],
        texts=[str(row.get("text") or "") for row in corpus],
        queries=queries,
        qrels=qrels,
    )
    logger.info(
        "loaded %s/%s: %d docs, %d judged queries",
        dataset.name,
        split,
        len(dataset.doc_ids),
        len(queries),
    )
    return dataset


def resolve_dataset(spec: str, data_dir: Path) -> Path:
    """A directory for ``spec``: an existing path, a cached BEIR name, or a fresh download."""
    path = Path(spec).expanduser()
    if path.is_dir():
        return path
    if spec not in BEIR_NAMES:
        raise FileNotFoundError(
            f"dataset {spec!r} is neither a directory nor a BEIR dataset name "
            f"({', '.join(sorted(BEIR_NAMES))})"
        )
    target = data_dir / "beir" / spec
    if (target / "corpus.jsonl").is_file():
        return target
    download_beir(spec, target)
    return target


def download_beir(name: str, target: Path) -> None:
    """Fetch and unpack BEIR's ``<name>.zip`` into ``target``; ``RuntimeError`` offline."""
    url = BEIR_URL.format(name=name)
    logger.info("downloading %s", url)
    try:
        with urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            payload = response.read()
    except (URLError, OSError) as exc:
        raise RuntimeError(
            f"cannot download BEIR dataset {name!r} from {url} ({exc}); this machine looks "
            f"offline. Download and unzip it elsewhere, then pass --dataset /path/to/{name}"
        ) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        root = target.parent.resolve()
        for member in archive.namelist():
            if not (root / member).resolve().is_relative_to(root):
                raise RuntimeError(f"refusing unsafe path {member!r} in {url}")
        archive.extractall(root)  # the zip holds ``<name>/corpus.jsonl`` ...
    if not (target / "corpus.jsonl").is_file():
        raise RuntimeError(f"{url} did not contain {name}/corpus.jsonl")
