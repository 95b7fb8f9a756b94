"""A label-free estimate, on the user's own passages, of how well a student agrees with
its teacher.

No queries or judgements are needed. From the passages, pseudo-queries are drawn: for a
sampled passage, one of its sentences of at least :data:`MIN_QUERY_WORDS` words, cut to
a random span of :data:`MIN_QUERY_WORDS`..:data:`MAX_QUERY_WORDS` words (a passage
without such a sentence gives a span of its words). Short spans stand in for what
people type: a few words taken from the documents they search, not a title (a user's
files seldom have one) and not the first sentence (the training pseudo-query). Every
draw comes from one ``random.Random(seed)``, so the same passages and seed give the
same pseudo-queries. Each pseudo-query is searched exactly (inner product over every
passage) by

* ``teacher`` -- the teacher on its own vectors: the ceiling;
* ``student`` -- the student on its own vectors;
* ``student docs + teacher queries`` -- the student's passage vectors searched with the
  teacher's query vectors (teacher-query mode, :mod:`encoders.pairing`), when the
  student pairs with the teacher;

and each system's top 10 is compared with the teacher's: overlap@10 and rank-biased
overlap (:mod:`evaluation.fidelity`), plus self-retrieval hit@10 (is the passage the
pseudo-query came from in the system's top 10). The estimate stays bounded: at most
``max_passages`` passages (a seeded sample) and ``max_queries`` pseudo-queries, encoded
in batches.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from encoders import Encoder, pairs_with, system_label
from evaluation.fidelity import ranking_fidelity
from evaluation.metrics import exact_run, ranking

logger = logging.getLogger(__name__)

K = 10
RBO_P = 0.9
DEFAULT_MAX_PASSAGES = 2000
DEFAULT_MAX_QUERIES = 200
MIN_QUERY_WORDS = 6
MAX_QUERY_WORDS = 12
ENCODE_BATCH = 64
TEACHER = "teacher"
STUDENT = "student"
TEACHER_QUERIES = system_label(STUDENT, TEACHER)  # "student docs + teacher queries"
SAMPLER = (
    f"a random {MIN_QUERY_WORDS}-{MAX_QUERY_WORDS}-word span of a random sentence "
    f"(of >= {MIN_QUERY_WORDS} words) of a sampled passage"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class PseudoQuery:
    """A pseudo-query and the index of the passage it was cut from."""

    text: str
    source: int


def _span(words: list[str], rng: random.Random) -> str:
    length = min(len(words), rng.randint(MIN_QUERY_WORDS, MAX_QUERY_WORDS))
    start = rng.randint(0, len(words) - length)
    return " ".join(words[start : start + length])


def pseudo_query(passage: str, rng: random.Random) -> str | None:
    """A span of one sentence of ``passage`` (see the module doc); None when too short."""
    sentences = [s.split() for s in _SENTENCE_END.split(passage.strip())]
    long_enough = [words for words in sentences if len(words) >= MIN_QUERY_WORDS]
    if long_enough:
        return _span(rng.choice(long_enough), rng)
    words = passage.split()
    return _span(words, rng) if len(words) >= MIN_QUERY_WORDS else None


def normalise_passage(text: str) -> str:
    """``text`` with every run of whitespace made one space, ends trimmed."""
    return " ".join(text.split())


def sample_passages(texts: Iterable[str], max_passages: int, seed: int) -> list[str]:
    """Distinct non-empty passages (whitespace-normalised, first kept), at most
    ``max_passages`` of them drawn by ``seed``, in their original order."""
    if max_passages < 1:
        raise ValueError(f"max_passages must be >= 1, got {max_passages}")
    distinct = list(dict.fromkeys(normalise_passage(t) for t in texts if t and t.strip()))
    if len(distinct) <= max_passages:
        return distinct
    keep = sorted(random.Random(seed).sample(range(len(distinct)), max_passages))
    return [distinct[i] for i in keep]


def sample_queries(passages: Sequence[str], max_queries: int, seed: int) -> list[PseudoQuery]:
    """Up to ``max_queries`` pseudo-queries, each from another passage, by ``seed``."""
    if max_queries < 1:
        raise ValueError(f"max_queries must be >= 1, got {max_queries}")
    rng = random.Random(seed)
    order = list(range(len(passages)))
    rng.shuffle(order)
    out: list[PseudoQuery] = []
    for index in order:
        text = pseudo_query(passages[index], rng)
        if text is not None:
            out.append(PseudoQuery(text, index))
            if len(out) == max_queries:
                break
    return out


def encode(
    texts: Sequence[str], encode_fn: Callable[[list[str]], np.ndarray], batch: int = ENCODE_BATCH
) -> np.ndarray:
    """``encode_fn`` over ``texts`` in batches of ``batch`` -> ``(len(texts), dim)``."""
    parts = [np.asarray(encode_fn(list(texts[i : i + batch]))) for i in range(0, len(texts), batch)]
    return np.vstack(parts).astype(np.float32, copy=False)


@dataclass(frozen=True)
class SystemAgreement:
    """One system's mean agreement with the teacher's top 10, and its self-retrieval."""

    overlap_at_10: float
    rbo: float
    self_hit_at_10: float


@dataclass(frozen=True)
class AgreementEstimate:
    """The estimate: how many pseudo-queries and passages, and each system's figures."""

    n_queries: int
    n_passages: int
    systems: Mapping[str, SystemAgreement]
    seed: int = 0

    def verdict(self, who: str = "the student") -> str:
        """One plain sentence, e.g. "On your documents the student agrees with the teacher
        on 8 of 10 results" (mean overlap@10 x 10, rounded)."""
        depth = min(K, self.n_passages)
        own = self.systems.get(STUDENT)
        if own is None or depth == 0:
            return "No agreement estimate for the student on your documents."
        sentence = (
            f"On your documents {who} agrees with the teacher on "
            f"{round(own.overlap_at_10 * depth)} of {depth} results"
        )
        mode = self.systems.get(TEACHER_QUERIES)
        if mode is not None:
            sentence += f" ({round(mode.overlap_at_10 * depth)} of {depth} with teacher queries)"
        return sentence + f", estimated from {self.n_queries} sentences of your passages."

    def to_dict(self, who: str = "the student") -> dict[str, Any]:
        """Plain JSON: the figures, how they were drawn, and :meth:`verdict` for ``who``."""
        return {
            "n_queries": self.n_queries,
            "n_passages": self.n_passages,
            "k": K,
            "rbo_p": RBO_P,
            "seed": self.seed,
            "pseudo_queries": SAMPLER,
            "systems": {name: vars(s).copy() for name, s in self.systems.items()},
            "verdict": self.verdict(who),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AgreementEstimate:
        """The estimate back from :meth:`to_dict`; ``ValueError`` when it is malformed."""
        try:
            systems = {
                str(name): SystemAgreement(
                    *(_fraction(row[f]) for f in ("overlap_at_10", "rbo", "self_hit_at_10"))
                )
                for name, row in dict(data["systems"]).items()
            }
            n_queries, n_passages = int(data["n_queries"]), int(data["n_passages"])
            return cls(n_queries, n_passages, systems, int(data.get("seed", 0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not an agreement estimate: {exc!r}") from exc


def _fraction(value: Any) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{number} is not in [0, 1]")
    return number


class AgreementProbe:
    """Pseudo-queries over sampled passages and the teacher's rankings of them, made once;
    :meth:`measure` then scores any number of students (fp32, int8) against them."""

    def __init__(
        self,
        texts: Iterable[str],
        teacher: Encoder,
        *,
        max_passages: int = DEFAULT_MAX_PASSAGES,
        max_queries: int = DEFAULT_MAX_QUERIES,
        seed: int = 0,
        batch: int = ENCODE_BATCH,
        queries: Sequence[PseudoQuery] | None = None,
    ) -> None:
        """Sample passages and pseudo-queries by ``seed``; or, with ``queries``, take
        ``texts`` as the passages as they are and ``queries`` (sources index ``texts``)."""
        if queries is None:
            self.passages = sample_passages(texts, max_passages, seed)
            self.queries = sample_queries(self.passages, max_queries, seed)
        else:
            self.passages, self.queries = list(texts), list(queries)
            if any(not 0 <= q.source < len(self.passages) for q in self.queries):
                raise ValueError("a pseudo-query's source is not one of the passages")
        if not self.queries:
            raise ValueError(f"no passage has {MIN_QUERY_WORDS} words to draw a pseudo-query from")
        self.teacher, self.seed, self.batch = teacher, seed, batch
        self.doc_ids = [f"p{i:06d}" for i in range(len(self.passages))]
        self.query_ids = [f"q{i:05d}" for i in range(len(self.queries))]
        pairs = zip(self.query_ids, self.queries, strict=True)
        self.sources = {qid: self.doc_ids[q.source] for qid, q in pairs}
        logger.info(
            "agreement: %d pseudo-queries over %d passages", len(self.queries), len(self.passages)
        )
        self.teacher_queries = self._encode_queries(teacher)
        self.teacher_docs = encode(self.passages, teacher.encode_documents, batch)
        self.reference = self._rankings(self.teacher_docs, self.teacher_queries)

    def _encode_queries(self, encoder: Encoder) -> np.ndarray:
        return encode([q.text for q in self.queries], encoder.encode_queries, self.batch)

    def _rankings(self, docs: np.ndarray, queries: np.ndarray) -> dict[str, list[str]]:
        run = exact_run(self.doc_ids, docs, self.query_ids, queries, top_k=K)
        return {qid: ranking(scores) for qid, scores in run.items()}

    def _agreement(self, rankings: Mapping[str, list[str]]) -> SystemAgreement:
        fid = ranking_fidelity(rankings, self.reference, TEACHER, K, RBO_P)
        hits = [self.sources[qid] in rankings[qid][:K] for qid in self.query_ids]
        return SystemAgreement(fid.overlap, fid.rbo, float(np.mean(hits)))

    def overlap(self, encoder: Encoder, teacher_queries: bool = False) -> float:
        """Mean overlap@10 of ``encoder``'s rankings with the teacher's, its own queries
        or (``teacher_queries``) the teacher's; 1.0 for the teacher itself."""
        if encoder is self.teacher:
            return 1.0
        docs = encode(self.passages, encoder.encode_documents, self.batch)
        queries = self.teacher_queries if teacher_queries else self._encode_queries(encoder)
        return self._agreement(self._rankings(docs, queries)).overlap_at_10

    def measure(self, student: Encoder, teacher_queries: bool = True) -> AgreementEstimate:
        """The teacher's, ``student``'s and (``teacher_queries``, when they pair:
        :func:`encoders.check_pairing`) student docs + teacher queries' agreement."""
        student_docs = encode(self.passages, student.encode_documents, self.batch)
        systems = {
            TEACHER: self._agreement(self.reference),
            STUDENT: self._agreement(self._rankings(student_docs, self._encode_queries(student))),
        }
        if teacher_queries and pairs_with(student, self.teacher):
            systems[TEACHER_QUERIES] = self._agreement(
                self._rankings(student_docs, self.teacher_queries)
            )
        return AgreementEstimate(len(self.queries), len(self.passages), systems, self.seed)


def estimate_agreement(
    texts: Iterable[str],
    teacher: Encoder,
    student: Encoder,
    *,
    max_passages: int = DEFAULT_MAX_PASSAGES,
    max_queries: int = DEFAULT_MAX_QUERIES,
    seed: int = 0,
    teacher_queries: bool = True,
) -> AgreementEstimate:
    """:class:`AgreementProbe` over ``texts`` with ``teacher``, measuring ``student``."""
    probe = AgreementProbe(
        texts, teacher, max_passages=max_passages, max_queries=max_queries, seed=seed
    )
    return probe.measure(student, teacher_queries)
