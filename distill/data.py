"""Training text: where it comes from, how it is held out, and how it is batched.

Sources: a BEIR ``corpus.jsonl`` (or a folder holding one), a folder of documents
(read through :func:`indexer.read_documents`), or an existing Milvus collection (through
the store's ``texts``). Only corpus text is read: never queries or judgements. The
indexer is imported lazily, inside the functions that read through it.
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
#: words per training passage for each model token (English BERT wordpieces ~ 1.3 per word)
WORDS_PER_TOKEN = 0.7


@dataclass(frozen=True)
class Example:
    """One training passage and a short pseudo-query for it (title or first sentence)."""

    text: str
    query: str
    doc: str  # which document it came from: held-out splits never cut a document in two


def first_sentence(text: str, max_words: int = 32) -> str:
    """The first sentence of ``text``, at most ``max_words`` words."""
    head = _SENTENCE_END.split(text.strip(), maxsplit=1)[0]
    return " ".join(head.split()[:max_words])


def passages(text: str, max_words: int) -> list[str]:
    """Cut ``text`` into consecutive windows of at most ``max_words`` words."""
    words = text.split()
    return [" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words)] or []


def _examples(doc: str, title: str, text: str, max_words: int, query: str = "") -> list[Example]:
    body = " ".join(f"{title} {text}".split()) if title else " ".join(text.split())
    if not body:
        return []
    query = " ".join((query or title).split()[:32]) or first_sentence(body)
    return [Example(p, query, doc) for p in passages(body, max_words)]


def from_beir(path: Path, max_words: int) -> list[Example]:
    """Passages of a BEIR corpus (``corpus.jsonl`` or its folder); pseudo-query = title."""
    corpus = path / "corpus.jsonl" if path.is_dir() else path
    if not corpus.is_file():
        raise FileNotFoundError(f"no BEIR corpus at {corpus}")
    out: list[Example] = []
    with corpus.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{corpus}:{line_no}: not JSON ({exc.msg})") from exc
            doc = str(row.get("_id", line_no))
            out.extend(_examples(doc, row.get("title") or "", row.get("text") or "", max_words))
    return out


def from_folder(path: Path, max_words: int) -> list[Example]:
    """Chunks of every supported file under ``path``; pseudo-query = section or first sentence.

    Files are read through :func:`indexer.read_documents`, so they are checked as the
    indexer checks them (type by content, size, zip bombs).
    """
    from indexer import ReadSummary, read_documents

    summary = ReadSummary()
    out: list[Example] = []
    for chunk in read_documents(path, summary):
        doc = f"{chunk.source}#{chunk.chunk_index}"
        out.extend(_examples(doc, "", chunk.text, max_words, query=chunk.section))
    logger.info(
        "training text from %d files under %s (%d of unsupported types skipped, %d failed)",
        summary.used,
        path,
        summary.unsupported,
        summary.failed,
    )
    return out


def from_collection(uri: str, collection: str, max_words: int, token: str = "") -> list[Example]:
    """The stored chunk texts of an existing collection (Milvus Lite file or server)."""
    from indexer.stores import open_store

    store = open_store(uri, token)
    try:
        rows = list(store.texts(collection))
    finally:
        store.close()
    out: list[Example] = []
    for chunk_id, text in rows:
        out.extend(_examples(chunk_id, "", text, max_words))
    return out


def load_examples(
    data: str, max_seq_length: int, milvus_uri: str = "", token: str = ""
) -> list[Example]:
    """Training passages from ``data``: a BEIR corpus, a folder, or ``collection:NAME``."""
    max_words = max(8, int(max_seq_length * WORDS_PER_TOKEN))
    if data.startswith("collection:"):
        if not milvus_uri:
            raise ValueError("reading a collection needs a Milvus URI")
        examples = from_collection(milvus_uri, data.removeprefix("collection:"), max_words, token)
    else:
        path = Path(data).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"training data {path} does not exist")
        if path.suffix == ".jsonl" or (path / "corpus.jsonl").is_file():
            examples = from_beir(path, max_words)
        elif path.is_dir():
            examples = from_folder(path, max_words)
        else:
            raise ValueError(f"{path}: expected a folder, a BEIR corpus.jsonl or collection:NAME")
    if len(examples) < 2:
        raise ValueError(f"{data}: found {len(examples)} training passages; need at least 2")
    logger.info("%d training passages from %s", len(examples), data)
    return examples


def split_holdout(
    examples: Sequence[Example], fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """``(train, held_out)``: whole documents held out, chosen by ``seed``."""
    docs = sorted({e.doc for e in examples})
    n_held = round(len(docs) * fraction)
    if fraction > 0 and n_held == 0 and len(docs) > 1:
        n_held = 1
    held = set(random.Random(seed).sample(docs, n_held))
    train = [e for e in examples if e.doc not in held]
    if len(train) < 2:
        raise ValueError("too little data left for training after the held-out split")
    return train, [e for e in examples if e.doc in held]


def whole_documents(examples: Sequence[Example]) -> list[str]:
    """Each document's passages joined in load order: the text the indexer encodes as one
    chunk (a folder's chunk, a collection's row, a BEIR document)."""
    joined: dict[str, list[str]] = {}
    for example in examples:
        joined.setdefault(example.doc, []).append(example.text)
    return [" ".join(parts) for parts in joined.values()]


#: Question frames for the "question" kind; ``{}`` is a title or a short span of the passage.
QUESTION_FRAMES = (
    "how do I {}?",
    "what is {}?",
    "why {}?",
    "how does {} work?",
    "can I {}?",
    "{}?",
)


def vary_queries(examples: Sequence[Example], kinds: Sequence[str], seed: int) -> list[Example]:
    """``examples`` with each pseudo-query redrawn from one of ``kinds`` (seeded, per passage).

    ``title``: the query :func:`load_examples` chose (title, section or first sentence).
    ``sentence``: one sentence of the passage, at most 32 words. ``span``: 3-12 consecutive
    words of it. ``question``: a question frame around the title or a 2-6 word span.
    Only the query changes; the teacher's encoding of it is the target, so a question
    that is not literally answered by the passage still teaches the student to encode
    question-shaped input the way the teacher does.
    """
    if tuple(kinds) == ("title",):
        return list(examples)
    rng, kinds = random.Random(seed), tuple(kinds)
    out: list[Example] = []
    for example in examples:
        kind = rng.choice(kinds)
        out.append(Example(example.text, _pseudo_query(example, kind, rng), example.doc))
    return out


def _pseudo_query(example: Example, kind: str, rng: random.Random) -> str:
    words = example.text.split()
    if kind == "sentence":
        sentences = [s for s in _SENTENCE_END.split(example.text) if len(s.split()) >= 3]
        return " ".join(rng.choice(sentences).split()[:32]) if sentences else example.query
    if kind == "span":
        return _span(words, rng, 3, 12) or example.query
    if kind == "question":
        subject = example.query if len(example.query.split()) <= 8 else _span(words, rng, 2, 6)
        return rng.choice(QUESTION_FRAMES).format(subject.rstrip(" .?!:").lower())
    return example.query


def _span(words: list[str], rng: random.Random, shortest: int, longest: int) -> str:
    if not words:
        return ""
    size = min(len(words), rng.randint(shortest, longest))
    start = rng.randrange(len(words) - size + 1)
    return " ".join(words[start : start + size])


class BucketBatcher:
    """Index batches of similar length (less padding), reshuffled each epoch.

    ``lengths[i]`` is the token length of example ``i``. Each epoch: shuffle, cut into
    pools of ``pool_batches`` batches, sort each pool by length, cut into batches, shuffle
    the batches. ``shard(rank, world)`` keeps every ``world``-th batch for data parallelism.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        seed: int,
        pool_batches: int = 50,
        rank: int = 0,
        world: int = 1,
    ) -> None:
        if batch_size < 1 or len(lengths) < batch_size:
            raise ValueError(f"{len(lengths)} examples cannot fill a batch of {batch_size}")
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.pool = pool_batches * batch_size
        self.rank, self.world = rank, world

    def epoch(self, number: int) -> list[list[int]]:
        rng = random.Random(self.seed * 100_003 + number)
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        batches: list[list[int]] = []
        for start in range(0, len(order), self.pool):
            chunk = sorted(order[start : start + self.pool], key=lambda i: self.lengths[i])
            for b in range(0, len(chunk) - self.batch_size + 1, self.batch_size):
                batches.append(chunk[b : b + self.batch_size])
        rng.shuffle(batches)
        usable = len(batches) - len(batches) % self.world
        return batches[self.rank : usable : self.world]

    def __iter__(self) -> Iterator[tuple[int, int, list[int]]]:
        """Endless ``(epoch, position, indices)``."""
        number = 0
        while True:
            batches = self.epoch(number)
            if not batches:
                raise ValueError("no full batch per process: use more data or fewer processes")
            for position, batch in enumerate(batches):
                yield number, position, batch
            number += 1
