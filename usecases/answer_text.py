"""Readable answer sentences: reST/Markdown residue cleaned, fragments rejected (no Streamlit).

Retrieved chunks may hold raw reST (collections indexed before the indexer cleaned it), so
every candidate sentence goes through :func:`clean_sentence` and is kept only when
:func:`answer_sentence` accepts it. The rules, in order (a sentence failing one is dropped):

1. cleaning: inline roles ``:ref:`text <target>``` -> ``text``, ``:class:`Foo``` -> ``Foo``;
   ````literal```` -> ```literal```; ``**bold**``/``*emphasis*`` markers dropped; list
   bullets (``*``, ``-``, ``#)``, ``1.``) dropped from the start; whitespace collapsed.
2. whole: starts with a capital letter, digit or an opening quote/backtick (not a
   mid-sentence piece), and ends with ``.``, ``!`` or ``?`` (optionally closed by a quote
   or bracket). That rejects headings, and ``Do this:``/``It is now::`` which announce a
   code block the answer does not show.
3. length: ``min_words`` to ``MAX_WORDS`` words.
4. balanced: an even number of backticks and of double quotes; ``()``, ``[]``, ``{}``
   balanced (``[n]`` citation markers are removed first).
5. no markup left: no directive ``..``, role ``:word:```, doctest ``>>>``, shell ``$``
   prompt, ``::``, table ``|``/``+--`` rules.
6. prose, not code: at least ``PROSE_SHARE`` of the tokens are plain words.
7. a clause: some word is a verb cue: an auxiliary or modal (``is``, ``can``...), a
   subject pronoun (``you``, ``they``...), a verb from a small lexicon of common
   (documentation) verbs in any regular form, or a word ending in ``-ed``/``-ing``.
   ``New in version 3.8.`` and ``Height of the image in pixels.`` are dropped.
8. an answer, not a pointer: ``See the SQL topic for more information.`` and ``For more
   details, read ...`` send the reader elsewhere and are dropped.
9. an answer, not a question: a sentence ending with ``?`` (an FAQ's heading, a rhetorical
   question) is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from usecases.highlight import collapse_whitespace, split_sentences

MAX_WORDS = 80
PROSE_SHARE = 0.6

_ROLE_WITH_TARGET = re.compile(r":[\w.+-]+(?::[\w.+-]+)?:`([^`<]*?)\s*<[^`>]*>`")
_ROLE = re.compile(r":[\w.+-]+(?::[\w.+-]+)?:`~?!?([^`]*)`")
_DOUBLE_BACKTICK = re.compile(r"``(.+?)``")
_STRONG = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*(\S(?:[^*]*?\S)?)\*(?![\w*])")
_BULLET = re.compile(r"^(?:[*\-+•]\s+|#\)\s*|\(?\d{1,2}[.)]\s+(?=[A-Z]))")
_START = re.compile(r"^[\"'“‘(`]?[A-Z0-9]")
_END = re.compile(r"[.!?][\"'”’)\]]?$")
_CITATION = re.compile(r"\s*\[\d{1,3}\]")
_RESIDUE = re.compile(
    r"(?:^|\s)\.\.(?:\s|$)|:\w+:`|>>>|(?:^|\s)\$\s|::|\s\|\s|\+--|--\+|\.\. \w+::"
)
_PROSE_TOKEN = re.compile(r"^[\"'“‘(`]*[A-Za-z][A-Za-z'’\-]*[\"'”’)`,.;:!?]*$")
_WORD = re.compile(r"[a-z]+")
#: A sentence that only sends the reader elsewhere (rule 8).
_POINTER = re.compile(
    r"^(?:see|read|refer to|consult|check out|for (?:more|further|full) (?:information|details)"
    r"|more (?:information|details))\b",
    re.IGNORECASE,
)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_AUXILIARIES = _wordset(
    "am is are was were be been being has have had do does did can could will would shall "
    "should may might must isn't aren't wasn't weren't doesn't don't didn't can't cannot "
    "won't wouldn't shouldn't hasn't haven't it's that's there's what's you we they "
    "he she i"
)
#: Base forms of common verbs; regular -s/-es/-ed/-d/-ing forms are derived.
_VERB_BASES = _wordset(
    "accept access add allow apply ask assign avoid build call cause change check choose "
    "come compare compile configure connect contain convert copy create define delete "
    "depend describe display enable encode ensure evaluate exist expect explain extend "
    "fail fetch fill find fix follow force generate get give go handle happen help hold "
    "ignore implement import include increase install keep know lead learn let like limit "
    "list load look lose make manage match mean modify move need note open override own "
    "pass perform play point prefer prevent print process produce protect provide put "
    "raise reach read receive recommend reduce refer register remove render replace "
    "report represent request require reset resolve respond restart return reuse run "
    "save say search see seem select send serve set share show sit specify start stay "
    "stop store subclass suggest support take tell test think translate treat try turn "
    "understand update upgrade use validate vary want wish work wrap write fly append "
    "reject operate push pull remain differ behave emit prompt wait block close "
    "inherit execute invoke instantiate iterate parse override"
)
_IRREGULAR = _wordset(
    "sat ran went made took taken gave given got gotten found kept left put let said saw "
    "seen came became begun began wrote written built brought held meant sent told thought "
    "knew known chose chosen fell flew grew led lost met paid sold shown spent stood "
    "understood done gone broke broken"
)


@dataclass(frozen=True)
class AnswerPoint:
    """One piece of an answer and the passage number(s) it cites: a whole sentence
    (``kind`` ``text``), a list item (``item``, a step of a procedure) or a code block
    quoted whole (``code``)."""

    sentence: str
    numbers: tuple[int, ...]
    kind: str = "text"


def _verb_forms() -> frozenset[str]:
    forms: set[str] = set(_IRREGULAR)
    for base in _VERB_BASES:
        stem = base[:-1] if base.endswith("e") else base
        forms.update({base, base + "s", base + "es", stem + "ed", stem + "ing", base + "d"})
        if base.endswith("y") and base[-2] not in "aeiou":
            forms.update({base[:-1] + "ies", base[:-1] + "ied"})
    return frozenset(forms)


_VERBS = _verb_forms()


def clean_sentence(sentence: str) -> str:
    """``sentence`` with inline reST/Markdown markup turned into plain text (rule 1)."""
    text = _ROLE_WITH_TARGET.sub(r"\1", sentence)
    text = _ROLE.sub(r"`\1`", text)
    text = _DOUBLE_BACKTICK.sub(r"`\1`", text)
    text = _STRONG.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\1", text)
    return _BULLET.sub("", collapse_whitespace(text))


def rejection(sentence: str, min_words: int = 4) -> str | None:
    """Why a cleaned sentence cannot stand in an answer (rules 2-9), or None if it can."""
    bare = _CITATION.sub("", sentence).strip()
    words = bare.split()
    if not _START.match(bare) or not _END.search(bare):
        return "not a whole sentence"
    if not min_words <= len(words) <= MAX_WORDS:
        return "too short or too long"
    if not _balanced(bare):
        return "unbalanced quotes or brackets"
    if _RESIDUE.search(bare):
        return "markup or code left"
    if sum(bool(_PROSE_TOKEN.match(w)) for w in words) < PROSE_SHARE * len(words):
        return "code, not prose"
    if not has_verb_cue(bare):
        return "no verb"
    if _POINTER.match(bare):
        return "a pointer elsewhere"
    if bare.rstrip("\"'”’)]").endswith("?"):
        return "a question, not an answer"
    return None


def answer_sentence(sentence: str, min_words: int = 4) -> str | None:
    """The cleaned sentence when it passes every rule, else None."""
    cleaned = clean_sentence(sentence)
    return cleaned if cleaned and rejection(cleaned, min_words) is None else None


def has_verb_cue(sentence: str) -> bool:
    """Whether a word of ``sentence`` looks like a verb (rule 7)."""
    for raw in sentence.lower().replace("’", "'").split():
        word = raw.strip("\"'“”‘`()[]{},.;:!?")
        if word in _AUXILIARIES or word in _VERBS:
            return True
        if len(word) > 4 and _WORD.fullmatch(word) and word.endswith(("ed", "ing")):
            return True
    return False


def _balanced(text: str) -> bool:
    if text.count("`") % 2 or text.count('"') % 2:
        return False
    depth = {"(": 0, "[": 0, "{": 0}
    closing = {")": "(", "]": "[", "}": "{"}
    for char in text:
        if char in depth:
            depth[char] += 1
        elif char in closing:
            depth[closing[char]] -= 1
            if depth[closing[char]] < 0:
                return False
    return not any(depth.values())


def points_text(points: Iterable[AnswerPoint]) -> str:
    """Plain-text answer in the points' order: sentences run on, each followed by its
    ``[n]``; a list item on a line of its own after ``- ``; a code block on lines of its
    own, indented, its ``[n]`` after it."""
    out = ""
    for point in points:
        cites = "".join(f"[{n}]" for n in point.numbers)
        if point.kind == "code":
            code = "\n".join("    " + line for line in point.sentence.splitlines())
            out = f"{out.rstrip()}\n\n{code}\n{cites}\n\n"
        elif point.kind == "item":
            out = f"{out.rstrip()}\n- {point.sentence} {cites}\n"
        else:
            out += ("" if not out or out.endswith("\n") else " ") + f"{point.sentence} {cites}"
    return out.strip()


_LEADING_CITES = re.compile(r"^((?:\s*\[\d{1,3}\])+)\s*")
_CITE_LIST = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})+)\]")
_CITE_NUMBER = re.compile(r"\[(\d{1,3})\]")


def claims(text: str) -> list[AnswerPoint]:
    """A free-text answer with ``[n]`` (or ``[1, 2]``) markers as claims.

    Sentences as :func:`usecases.highlight.split_sentences` cuts them; a marker that opens
    a piece (``... mat. [1] Dogs ...``) belongs to the sentence before it. List bullets
    are dropped; each claim's text has its markers removed.
    """
    points: list[AnswerPoint] = []
    text = _CITE_LIST.sub(lambda m: "".join(f"[{n.strip()}]" for n in m.group(1).split(",")), text)
    for raw in split_sentences(text):
        lead = _LEADING_CITES.match(raw)
        if lead and points:
            numbers = tuple(int(n) for n in _CITE_NUMBER.findall(lead.group(1)))
            last = points[-1]
            points[-1] = AnswerPoint(last.sentence, _unique(last.numbers + numbers))
            raw = raw[lead.end() :]
        sentence = collapse_whitespace(_CITATION.sub("", _BULLET.sub("", raw)))
        if sentence:
            numbers = tuple(int(n) for n in _CITE_NUMBER.findall(raw))
            points.append(AnswerPoint(sentence, _unique(numbers)))
    return points


def _unique(numbers: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(numbers))
