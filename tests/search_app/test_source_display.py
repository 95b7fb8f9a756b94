"""One display root per index: sources shown relative to the folder they came from."""

from __future__ import annotations

from indexer.retrieval import collection_name
from indexer.stores.base import CollectionInfo
from indexer.types import Hit
from search_app.components import SourceFormat
from search_app.hits import hit_header
from tests.support.fakes import KeywordEncoder, keyword_index
from tests.support.services import fake_service

WORDS = ["cat", "dog", "bird"]


def test_root_spans_every_collection_and_an_empty_one_has_no_say(tmp_path):
    teacher, student = KeywordEncoder(WORDS, name="teacher"), KeywordEncoder(WORDS, name="student")
    store = keyword_index({"/srv/docs/howto/a.txt": "cat", "/srv/docs/ref/b.txt": "dog"}, teacher)
    keyword_index({"/srv/docs/howto/a.txt": "cat"}, student, store=store)
    empty = KeywordEncoder(WORDS, name="student-int8")
    coll = collection_name("docs", empty.name)
    store.ensure_collection(coll, CollectionInfo(empty.name, empty.dim, empty.fingerprint))
    service, _ = fake_service(tmp_path, store, {"teacher": teacher, "student": student})
    assert service.library.source_roots() == ("/srv/docs",)
    assert service.library.shown("/srv/docs/ref/b.txt", wait=None) == "ref/b.txt"
    keyword_index({"/srv/other/c.txt": "bird"}, student, store=store)
    fresh, _ = fake_service(tmp_path, store, {"teacher": teacher, "student": student})
    assert fresh.library.source_roots() == ("/srv",)


def test_uploads_show_under_the_data_folder_and_leave_the_root_alone(tmp_path):
    teacher = KeywordEncoder(WORDS, name="teacher")
    uploaded = str(tmp_path / "data" / "uploads" / "notes.txt")
    docs = {"/srv/docs/howto/a.txt": "cat", "/srv/docs/ref/b.txt": "dog", uploaded: "bird"}
    service, _ = fake_service(tmp_path, keyword_index(docs, teacher), {"teacher": teacher})
    assert service.library.source_roots() == ("/srv/docs", str(tmp_path / "data"))
    assert service.library.shown(uploaded, wait=None) == "uploads/notes.txt"
    assert service.library.shown("/srv/docs/howto/a.txt", wait=None) == "howto/a.txt"


def test_hit_header_shows_the_source_as_the_page_formats_it():
    hit = Hit(id="1", score=0.5, text="t", source="/srv/docs/ref/b.txt")
    assert "ref\\/b\\.txt" in hit_header(1, hit, SourceFormat(("/srv/docs",)))
    assert "srv" not in hit_header(1, hit, SourceFormat(("/srv/docs",)))
    assert "\\/srv\\/docs\\/ref" in hit_header(1, hit)  # no root known: the whole path


def test_pages_show_bidi_and_invisible_characters_escaped():
    show = SourceFormat(("/srv/docs",))
    assert show("/srv/docs/invoice-\u202etxt.exe") == "invoice-\\u202etxt.exe"
    assert show("/elsewhere/a\u200bb.txt") == "/elsewhere/a\\u200bb.txt"
