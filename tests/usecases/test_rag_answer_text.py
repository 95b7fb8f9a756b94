"""Readable extractive answers: whole sentences, no dangling markup, cited, in order."""

from __future__ import annotations

import pytest

from indexer.types import Hit
from tests.support.fakes import KeywordEncoder
from usecases.answer_passages import Composition
from usecases.answer_text import (
    AnswerPoint,
    answer_sentence,
    claims,
    clean_sentence,
    has_verb_cue,
    points_text,
    rejection,
)
from usecases.rag import ExtractiveGenerator

#: Raw reST as old collections hold it (before the indexer cleaned markup).
RAW_REST = Hit(
    "1",
    0.9,
    "Template language\n=================\n\n"
    "Django's template language is designed to feel comfortable to HTML designers. "
    "See :ref:`the template language docs <templates>` for every template tag.\n\n"
    "The template language::\n\n    {% if user %}Hello{% endif %}\n\n"
    "A template tag such as ``{% url %}`` is written in the template language.",
    "docs/topics/templates.txt",
)
PLAIN = Hit("2", 0.8, "Templates are text files. Every template language tag is cached.", "b.txt")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            ":ref:`the documentation on ModelAdmin <model-admin>` explains it.",
            "the documentation on ModelAdmin explains it.",
        ),
        ("Set :setting:`SESSION_COOKIE_DOMAIN` to match.", "Set `SESSION_COOKIE_DOMAIN` to match."),
        ("Call ``python manage.py shell`` now.", "Call `python manage.py shell` now."),
        ("This is **very** *important* here.", "This is very important here."),
        ("* Bullet items are lists.", "Bullet items are lists."),
        ("#) Numbered items are lists too.", "Numbered items are lists too."),
    ],
)
def test_clean_sentence_turns_markup_into_plain_text(raw, clean):
    assert clean_sentence(raw) == clean


@pytest.mark.parametrize(
    ("sentence", "why"),
    [
        ("The template language::", "not a whole sentence"),
        ("Then do this:", "not a whole sentence"),
        ("Template language", "not a whole sentence"),
        ("is designed for HTML designers.", "not a whole sentence"),
        ("It is.", "too short or too long"),
        ("Use the `url tag in templates.", "unbalanced quotes or brackets"),
        ("(This script is written for bash.", "unbalanced quotes or brackets"),
        ("Mark it using the .. deprecated:: A.B annotation.", "markup or code left"),
        ("Run this now >>> print(x) to see it.", "markup or code left"),
        ("Equivalent to: sorted(iterable, key=key)[:n].", "code, not prose"),
        ("Height of the image in pixels.", "no verb"),
        ("New in version 3.8 of Python.", "no verb"),
        ("See the sql for more information.", "a pointer elsewhere"),
        ("For more details, read the deployment checklist.", "a pointer elsewhere"),
        ("Why might a user see a CSRF failure after logging in?", "a question, not an answer"),
    ],
)
def test_rejection_names_the_broken_rule(sentence, why):
    assert rejection(sentence) == why
    assert answer_sentence(sentence) is None


@pytest.mark.parametrize(
    "sentence",
    [
        "The cat sat on the mat.",
        "Instead, you retrieve them from a Layer object.",
        "Django's template language is designed to feel comfortable to HTML designers.",
        'The admin site "only" allows access to staff users (is_staff).',
    ],
)
def test_whole_sentences_pass(sentence):
    assert rejection(sentence) is None
    assert has_verb_cue(sentence)


def test_extractive_answer_from_raw_rest_has_no_dangling_markup():
    encoder = KeywordEncoder(["template", "language", "tag", "designers"])
    # every sentence of the lead that scores at all is kept, and the other passage's best:
    # only the readability rules drop any
    everything = Composition(max_lead=9, max_support=9, min_score=0.01, relative=0)
    generator = ExtractiveGenerator(encoder, everything)
    answer = generator.generate("template language tag", [RAW_REST, PLAIN])
    sentences = [p.sentence for p in answer.points]
    assert sentences == [  # the "See :ref:`...` for ..." pointer is no answer: dropped
        "Django's template language is designed to feel comfortable to HTML designers.",
        "A template tag such as {% url %} is written in the template language.",
        "Every template language tag is cached.",
    ]
    assert all(rejection(s) is None for s in sentences)
    assert not any(s.endswith(":") or ":ref:" in s or "``" in s for s in sentences)
    assert [p.numbers for p in answer.points] == [(1,), (1,), (2,)]
    assert answer.cited == {1, 2}
    assert answer.text.startswith(f"{sentences[0]} [1] {sentences[1]} [1] ")
    assert answer.text.endswith(
        "in the template language. [1] Every template language tag is cached. [2]"
    )


def test_text_keeps_the_order_and_each_piece_cited():
    points = [
        AnswerPoint("A one is here:", (2,)),
        AnswerPoint("register.filter('cut', cut)", (2,), "code"),
        AnswerPoint("Then B is here.", (1,)),
        AnswerPoint("Step one.", (1,), "item"),
        AnswerPoint("Step two.", (1,), "item"),
    ]
    assert points_text(points) == (
        "A one is here: [2]\n\n    register.filter('cut', cut)\n[2]\n\n"
        "Then B is here. [1]\n- Step one. [1]\n- Step two. [1]"
    )


def test_claims_attach_trailing_markers_to_their_sentence():
    text = "Cats sit on mats [1]. Dogs bark loudly. [2][3] Fish swim [1, 2]. No source here."
    assert claims(text) == [
        AnswerPoint("Cats sit on mats.", (1,)),
        AnswerPoint("Dogs bark loudly.", (2, 3)),
        AnswerPoint("Fish swim.", (1, 2)),
        AnswerPoint("No source here.", ()),
    ]
