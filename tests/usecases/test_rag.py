"""Answer generators: the extractive default (exact) and the OpenAI-compatible client."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from indexer.types import Hit
from tests.support.fakes import KeywordEncoder
from usecases.rag import (
    ExtractiveGenerator,
    GenerationError,
    Generator,
    OpenAICompatibleGenerator,
    cited_numbers,
    normalise_citations,
)

PASSAGES = [
    Hit("1", 0.9, "The cat sat on the mat. Birds fly south in winter.", "a.txt"),
    Hit(
        "2", 0.8, "A dog and a cat play together. The cat sat on the mat.", "b.txt", section="Pets"
    ),
    Hit("3", 0.1, "Fish swim in the deep sea.", "c.txt"),
]


def test_extractive_quotes_the_lead_passage_in_reading_order_and_drops_repeats():
    generator = ExtractiveGenerator(KeywordEncoder(["cat", "dog", "fish", "bird"]))
    assert isinstance(generator, Generator)
    answer = generator.generate("cat dog", PASSAGES)
    # scores: "A dog and a cat…" 1.0, "The cat sat…" 0.71 (in [1] and [2]). [1]'s best is
    # under 0.8 x the best, so [2] leads: its two sentences in reading order; [1]'s only
    # candidate repeats one already quoted, so nothing else is cited
    assert answer.text == "A dog and a cat play together. [2] The cat sat on the mat. [2]"
    assert [(p.sentence, p.numbers) for p in answer.points] == [
        ("A dog and a cat play together.", (2,)),
        ("The cat sat on the mat.", (2,)),
    ]
    assert [c.number for c in answer.citations] == [2]
    assert answer.cited == {2} and len(answer.retrieved) == 3 and not answer.notes


def test_extractive_says_when_nothing_matches():
    answer = ExtractiveGenerator(KeywordEncoder(["zebra"])).generate("zebra", PASSAGES)
    assert answer.text == "" and not answer.citations
    assert "not answer it" in answer.notes[0]
    empty = ExtractiveGenerator(KeywordEncoder(["cat"])).generate("cat", [Hit("9", 1, "Hi.", "x")])
    assert "no usable sentences" in empty.notes[0]


def test_citation_parsing():
    assert normalise_citations("A [1, 2] b [3]") == "A [1][2] b [3]"
    assert cited_numbers("x [2] y [1][2] z [7]", 3) == ([2, 1], [7])


class _Handler(BaseHTTPRequestHandler):
    reply: ClassVar[tuple[int, bytes]] = (200, b"{}")
    seen: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        type(self).seen.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        status, payload = type(self).reply
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"seen": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1", handler
    server.shutdown()
    server.server_close()


def test_llm_client_sends_a_grounded_prompt_and_reads_citations(endpoint):
    url, handler = endpoint
    content = "Cats sit on mats [1, 2]. Dogs too [9]."
    handler.reply = (200, json.dumps({"choices": [{"message": {"content": content}}]}).encode())
    generator = OpenAICompatibleGenerator(url, "tiny-llm", api_key="sk-test")
    answer = generator.generate("Where do cats sit?", PASSAGES)
    request = handler.seen[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    assert request["body"]["model"] == "tiny-llm" and request["body"]["temperature"] == 0
    system, user = request["body"]["messages"]
    assert "only the numbered passages" in system["content"]
    assert "[2] (b.txt § Pets)\nA dog and a cat" in user["content"]
    assert user["content"].endswith("Question: Where do cats sit?")
    assert answer.text == "Cats sit on mats [1][2]. Dogs too [9]."
    assert [c.hit.id for c in answer.citations] == ["1", "2"]
    assert answer.generator == "llm:tiny-llm"
    assert any("[9]" in note for note in answer.notes)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ((500, b"overloaded"), "HTTP 500"),
        ((200, b"not json"), "no chat completion"),
        ((200, b'{"choices": [{"message": {"content": " "}}]}'), "empty answer"),
    ],
)
def test_llm_client_failures_raise_generation_error(endpoint, reply, message):
    url, handler = endpoint
    handler.reply = reply
    with pytest.raises(GenerationError, match=message):
        OpenAICompatibleGenerator(url, "m").generate("q", PASSAGES)


def test_llm_client_unreachable_and_bad_config():
    with pytest.raises(GenerationError, match="cannot reach"):
        OpenAICompatibleGenerator("http://127.0.0.1:9/v1", "m", timeout_s=2).generate("q", PASSAGES)
    with pytest.raises(ValueError, match="http"):
        OpenAICompatibleGenerator("file:///etc/passwd", "m")
    with pytest.raises(ValueError, match="model"):
        OpenAICompatibleGenerator("http://x/v1", "")


def test_the_llm_reads_the_passages_without_markup_and_its_answer_is_measured(endpoint):
    """The stub endpoint gets reader's text (no roles, literals or underlines, labels that
    are headings); the answer's citations are checked against what was retrieved."""
    url, handler = endpoint
    rst = Hit(
        "r",
        0.9,
        "Registering custom filters\n==========================\n\n"
        "Register it with your ``Library`` instance, see :ref:`the notes <howto-notes>`.",
        "howto/custom-template-tags.txt",
        section=":caption: ``x.html``",
    )
    reply = "Register the filter with your Library instance [1]. It runs fast [3]."
    handler.reply = (200, json.dumps({"choices": [{"message": {"content": reply}}]}).encode())
    answer = OpenAICompatibleGenerator(url, "stub").generate("register a filter", [rst])
    _, user = handler.seen[0]["body"]["messages"]
    assert "[1] (howto/custom-template-tags.txt)\nRegistering custom filters\n\n" in user["content"]
    assert "your Library instance, see the notes." in user["content"]
    assert "``" not in user["content"] and ":ref:" not in user["content"]
    assert "=====" not in user["content"] and "caption" not in user["content"]
    assert [c.number for c in answer.citations] == [1]
    assert any("[3], which no retrieved chunk has" in note for note in answer.notes)
