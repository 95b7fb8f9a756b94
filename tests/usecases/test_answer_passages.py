"""The extractive answer's composition: the lead passage first, whole sentences in reading
order, an introduced code block or procedure quoted whole, then other passages' best."""

from __future__ import annotations

from indexer.types import Hit
from tests.support.fakes import KeywordEncoder
from usecases.answer_passages import looks_like_code, passage_units
from usecases.rag import ExtractiveGenerator

REGISTER = Hit(
    "1",
    0.9,
    "Registering custom filters\n"
    "==========================\n\n"
    "Once you have written your filter, you register it with your ``Library`` instance::\n\n"
    '    register.filter("cut", cut)\n'
    '    register.filter("lower", lower)\n\n'
    "The ``filter`` method takes two arguments.",
    "howto/custom-template-tags.txt",
)
LIBRARY = Hit("2", 0.8, "Custom filters are Python functions you register with a library.", "b.txt")
STEPS = Hit(
    "3",
    0.7,
    "Follow these steps to deploy the site:\n\n"
    "1. Collect the static files into one folder.\n"
    "2. Run the checks command before every release.\n"
    "3. Restart the application server.",
    "deploy.txt",
)


def points(answer) -> list[tuple[str, tuple[int, ...], str]]:
    return [(p.sentence, p.numbers, p.kind) for p in answer.points]


def test_an_intro_brings_its_code_whole_and_the_top_passage_leads():
    generator = ExtractiveGenerator(KeywordEncoder(["register", "filter", "library"]))
    answer = generator.generate("register filter library", [REGISTER, LIBRARY])
    assert points(answer) == [
        (
            "Once you have written your filter, you register it with your Library instance:",
            (1,),
            "text",
        ),
        ('register.filter("cut", cut)\nregister.filter("lower", lower)', (1,), "code"),
        ("Custom filters are Python functions you register with a library.", (2,), "text"),
    ]
    assert answer.cited == {1, 2}
    assert "``" not in answer.text and "::" not in answer.text


def test_a_step_of_a_procedure_brings_the_whole_procedure_in_order():
    generator = ExtractiveGenerator(KeywordEncoder(["deploy", "checks", "release"]))
    answer = generator.generate("deploy checks release", [STEPS])
    assert points(answer) == [
        ("Follow these steps to deploy the site:", (1,), "text"),
        ("Collect the static files into one folder.", (1,), "item"),
        ("Run the checks command before every release.", (1,), "item"),
        ("Restart the application server.", (1,), "item"),
    ]


def test_the_highest_ranked_passage_holding_the_answer_comes_first():
    first = Hit("a", 0.9, "Cache the page in memory for later use.", "a.txt")
    second = Hit("b", 0.8, "Cache the page of every view you decorate.", "b.txt")
    generator = ExtractiveGenerator(KeywordEncoder(["cache", "page", "view"]))
    # [1] scores 0.82 against [2]'s 1.0: within 0.8 x the best, so [1] still leads
    answer = generator.generate("cache page view", [first, second])
    assert [p.numbers for p in answer.points] == [(1,), (2,)]
    assert answer.text == (
        "Cache the page in memory for later use. [1] Cache the page of every view you decorate. [2]"
    )


def test_passages_are_read_as_prose_code_and_items():
    kinds = [(u.kind, u.text) for u in passage_units(3, STEPS.text)]
    assert kinds[0] == ("intro", "Follow these steps to deploy the site:")
    assert [k for k, _ in kinds[1:]] == ["item", "item", "item"]
    assert looks_like_code('    register.filter("cut", cut)')
    assert looks_like_code("{% load poll_extras %}")
    assert not looks_like_code("Custom filters are Python functions you register.")


def test_an_intro_whose_code_is_in_another_chunk_ends_as_a_sentence_and_pointers_go():
    cut = Hit(
        "1",
        0.9,
        "Registering custom filters\n\n"
        "Once you have written your filter, you register it with your ``Library`` instance::\n\n"
        "See :doc:`/topics/templates` for more information about filters.",
        "howto/custom-template-tags.txt",
    )
    generator = ExtractiveGenerator(KeywordEncoder(["register", "filter", "library"]))
    answer = generator.generate("register filter library", [cut])
    assert points(answer) == [
        (
            "Once you have written your filter, you register it with your Library instance.",
            (1,),
            "text",
        ),
    ]
