"""The extractive answer's composition: which passages' sentences, code and steps it
quotes, in which order (no Streamlit, no encoder of its own).

Each retrieved passage is read as a reader sees it (:func:`indexer.readable.readable_text`)
and cut into paragraphs: prose (split into sentences), list items (a procedure's steps)
and code. A sentence is a candidate when it can stand alone
(:func:`usecases.answer_text.answer_sentence`); one that ends with ``:`` and is followed
by code or a list (``Register it with your Library instance:``) is an *intro*, quoted
with what it introduces (ended with a period when the chunk does not hold it). Every
candidate is scored against the question, then :func:`compose_points`:

1. the **lead passage** is the highest-ranked passage whose best candidate scores at
   least ``lead_relative`` × the best of all (the retrieval's top passage when it holds
   the answer): up to ``max_lead`` of its candidates above the floor, in reading order,
   an intro with its code block or list whole, a list item with its whole list;
2. then up to ``max_support`` sentences from other passages, each its passage's best,
   in retrieval order, near-duplicates (by shared terms) left out.

Every quoted piece is an :class:`~usecases.answer_text.AnswerPoint` citing its passage.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexer.readable import readable_text
from indexer.stores.bm25 import analyze
from indexer.types import Hit
from usecases.answer_text import PROSE_SHARE, AnswerPoint, answer_sentence, clean_sentence
from usecases.highlight import split_sentences
from usecases.sentence_scores import SentenceScorer

_BULLET = re.compile(r"^\s*(?:[*\-+•]|#\.|\(?\d{1,2}[.)])\s+")
_ITEM_START = re.compile(r"\n(?=\s*(?:[*\-+•]|#\.|\(?\d{1,2}[.)])\s+)")
_CODE_START = re.compile(
    r"^\s*(?:(?:def|class|import|from\s+\S+\s+import|return|if|for|with|async|await)\b|"
    r"@\w|>>>|\$ |\{%|\{\{|<[A-Za-z!/]|[\w.\[\]]+\s*=[^=])"
)
_PROSE_WORD = re.compile(r"^[\"'(“‘]*[A-Za-z][A-Za-z'’\-]*[\"'”’),.;:!?]*$")
#: Longest code block or list an answer quotes whole; a longer one stays in its chunk.
MAX_BLOCK_CHARS = 1500
MAX_LIST_ITEMS = 10


@dataclass(frozen=True)
class Unit:
    """One piece of a passage: ``sentence``, ``intro`` (ends with ``:``), ``item`` (of a
    list) or ``code``; ``block`` numbers its paragraph, ``position`` its reading order."""

    passage: int
    block: int
    position: int
    kind: str
    text: str


def looks_like_code(paragraph: str) -> bool:
    """Whether a paragraph is code: indented, a statement or markup line, or mostly tokens
    that are not plain words."""
    lines = [line for line in paragraph.splitlines() if line.strip()]
    if not lines:
        return False
    if all(line.startswith(("    ", "\t")) for line in lines) or _CODE_START.match(lines[0]):
        return True
    words = paragraph.split()
    return sum(bool(_PROSE_WORD.match(w)) for w in words) < PROSE_SHARE * len(words)


def passage_units(number: int, text: str, min_words: int = 4) -> list[Unit]:
    """``text`` (stored, possibly with markup) as :class:`Unit` s in reading order."""
    units: list[Unit] = []
    for block, paragraph in enumerate(_paragraphs(readable_text(text))):
        if _BULLET.match(paragraph):
            item = clean_sentence(_BULLET.sub("", paragraph, count=1))
            units.append(Unit(number, block, len(units), "item", item))
        elif looks_like_code(paragraph):
            code = textwrap.dedent(paragraph).strip("\n")
            units.append(Unit(number, block, len(units), "code", code))
        else:
            for raw in split_sentences(paragraph):
                kind, sentence = _sentence_kind(raw, min_words)
                if kind:
                    units.append(Unit(number, block, len(units), kind, sentence))
    return units


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, a list written item under item cut into one
    paragraph per item."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        if not paragraph.strip():
            continue
        if _BULLET.match(paragraph):
            out += [p for p in _ITEM_START.split(paragraph) if p.strip()]
        else:
            out.append(paragraph)
    return out


def _sentence_kind(raw: str, min_words: int) -> tuple[str, str]:
    """``("sentence", text)``, ``("intro", text)`` or ``("", "")`` for one raw sentence."""
    sentence = answer_sentence(raw, min_words)
    if sentence:
        return "sentence", sentence
    cleaned = clean_sentence(raw)
    if cleaned.endswith(":") and answer_sentence(cleaned[:-1] + ".", min_words):
        return "intro", cleaned
    return "", ""


@dataclass(frozen=True)
class Composition:
    """How many pieces an answer takes, and how close they must be to the best."""

    max_lead: int = 3
    max_support: int = 2
    min_score: float = 0.2
    relative: float = 0.6
    lead_relative: float = 0.8
    duplicate_terms: float = 0.8


def compose_points(
    query: str, passages: Sequence[Hit], scorer: SentenceScorer, how: Composition = Composition()
) -> tuple[tuple[AnswerPoint, ...], float | None]:
    """The answer's points in order (lead passage first, see the module docstring) and
    the best candidate's score (None: no candidate at all); no points when nothing
    scores ``how.min_score``."""
    units = [u for n, hit in enumerate(passages, 1) for u in passage_units(n, hit.text)]
    candidates = [u for u in units if u.kind != "code"]
    if not candidates:
        return (), None
    scores = np.asarray(scorer.score(query, [u.text for u in candidates]), dtype=np.float64)
    best = float(scores.max())
    if best < how.min_score:
        return (), best
    floor = max(how.min_score, how.relative * best)
    by_unit = {id(u): float(s) for u, s in zip(candidates, scores, strict=True)}
    lead = min(u.passage for u in candidates if by_unit[id(u)] >= how.lead_relative * best)
    lead_units = [u for u in candidates if u.passage == lead and by_unit[id(u)] >= floor]
    lead_units.sort(key=lambda u: -by_unit[id(u)])
    picked = _with_blocks(lead_units[: how.max_lead], [u for u in units if u.passage == lead])
    support: list[Unit] = []
    for number in sorted({u.passage for u in candidates} - {lead}):
        own = [u for u in candidates if u.passage == number and u.kind == "sentence"]
        top = max(own, key=lambda u: by_unit[id(u)], default=None)
        if top is None or by_unit[id(top)] < floor or len(support) >= how.max_support:
            continue
        if not _repeats(top.text, [*picked, *support], how.duplicate_terms):
            support.append(top)
    return tuple(_point(u) for u in [*picked, *support]), best


def _with_blocks(chosen: list[Unit], passage: list[Unit]) -> list[Unit]:
    """``chosen`` in reading order, each intro with the code block or list after it and
    each list item with its whole list (an intro whose block is not here ends with a
    period)."""
    keep: dict[int, Unit] = {}
    for unit in chosen:
        if unit.kind == "sentence":
            keep[unit.position] = unit
            continue
        follows = _block_after(unit, passage) if unit.kind == "intro" else _list_of(unit, passage)
        if unit.kind == "intro":  # what it introduces is not in this chunk: a sentence
            keep[unit.position] = unit if follows else _as_sentence(unit)
        keep.update({u.position: u for u in follows})
    return [keep[p] for p in sorted(keep)]


def _as_sentence(intro: Unit) -> Unit:
    """An intro whose code or list the passage does not hold, ended as a sentence."""
    return Unit(intro.passage, intro.block, intro.position, "sentence", intro.text[:-1] + ".")


def _block_after(intro: Unit, passage: list[Unit]) -> list[Unit]:
    """The code block, or the list, in the paragraph after ``intro`` (if short enough)."""
    after = [u for u in passage if u.block == intro.block + 1]
    if after and after[0].kind == "code" and len(after[0].text) <= MAX_BLOCK_CHARS:
        return after[:1]
    if after and after[0].kind == "item":
        return _list_of(after[0], passage)
    return []


def _list_of(item: Unit, passage: list[Unit]) -> list[Unit]:
    """The run of list items around ``item`` (consecutive paragraphs), if short enough."""
    items = {u.block: u for u in passage if u.kind == "item"}
    start = end = item.block
    while start - 1 in items:
        start -= 1
    while end + 1 in items:
        end += 1
    run = [items[b] for b in range(start, end + 1)]
    fits = len(run) <= MAX_LIST_ITEMS and sum(len(u.text) for u in run) <= MAX_BLOCK_CHARS
    return run if fits else [item]


def _repeats(text: str, earlier: Sequence[Unit], share: float) -> bool:
    """Whether ``text``'s terms mostly repeat one earlier piece's (Jaccard >= ``share``)."""
    terms = set(analyze(text))
    for unit in earlier:
        other = set(analyze(unit.text))
        if terms and other and len(terms & other) / len(terms | other) >= share:
            return True
    return False


def _point(unit: Unit) -> AnswerPoint:
    kind = {"code": "code", "item": "item"}.get(unit.kind, "text")
    return AnswerPoint(unit.text, (unit.passage,), kind)
