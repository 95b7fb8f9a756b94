"""SearchService with exact fakes: search, highlighting, compare, answers, index management."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from core.settings import load_settings
from encoders import ModelNotFoundError
from indexer.retrieval import collection_name
from indexer.stores.base import CollectionInfo
from indexer.stores.memory import InMemoryStore
from indexer.types import Chunk
from tests.support.app_builders import make_beir
from tests.support.fakes import KeywordEncoder
from usecases.access import WriteAccess, WriteRefusedError
from usecases.highlight import split_sentences
from usecases.rag import GenerationError
from usecases.search import EncoderUnavailableError, NotIndexedError, SearchService
from usecases.uploads import UploadRejected, check_upload, safe_filename

WRITE_KEY = "service-test-write-key"
# Hand-computed below: teacher counts (cat, dog, fish), student counts (cat, dog, bird).
DOCS = {"a.txt": "cat cat dog", "b.txt": "bird bird cat", "c.txt": "fish dog", "d.txt": "bird"}


def make_service(tmp_path: Path, docs: dict[str, str], *encoders: KeywordEncoder, llm=None):
    store = InMemoryStore()
    for enc in encoders:
        coll = collection_name("docs", enc.name)
        store.ensure_collection(coll, CollectionInfo(enc.name, enc.dim, enc.fingerprint))
        chunks = [Chunk(text=t, source=s, file_type="txt") for s, t in docs.items()]
        store.upsert(coll, chunks, enc.encode_documents([c.text for c in chunks]))
    settings = load_settings(
        {
            "DISTILSEARCH_DATA_DIR": str(tmp_path / "data"),
            "DISTILSEARCH_MODELS_DIR": str(tmp_path / "models"),
        }
    )
    by_name = {e.name: e for e in encoders}

    def factory(name: str):
        if name not in by_name:
            raise ModelNotFoundError(f"encoder {name!r} needs a distilled model")
        return by_name[name]

    service = SearchService(store, "docs", factory, settings=settings, llm=llm)
    service.library.workers = 0
    return service


@pytest.fixture
def pair(tmp_path):
    teacher = KeywordEncoder(["cat", "dog", "fish"], name="teacher")
    student = KeywordEncoder(["cat", "dog", "bird"], name="student")
    return make_service(tmp_path, DOCS, teacher, student)


def test_search_ranks_and_times(pair):
    result = pair.search("cat", "teacher", top_k=2)
    assert [h.source for h in result.hits] == ["b.txt", "a.txt"]
    assert result.hits[0].score == pytest.approx(1.0)
    assert result.hits[1].score == pytest.approx(2 / math.sqrt(5))
    assert result.total_ms == result.encode_ms + result.search_ms >= 0
    assert pair.indexed_encoders() == ["student", "teacher"]


def test_search_filters_by_source(pair):
    result = pair.search("cat", "teacher", top_k=4, filters={"source": ["a.txt", "c.txt"]})
    assert [h.source for h in result.hits] == ["a.txt", "c.txt"]


def test_highlight_marks_only_the_matching_sentences(tmp_path):
    enc = KeywordEncoder(["cat", "dog", "fish"], name="teacher")
    text = "The cat sat down.\n\nA dog ran off. Fish swim away."
    service = make_service(tmp_path, {"x.txt": text}, enc)
    result = service.search("dog", "teacher", highlight=True)
    marked = result.highlights[result.hits[0].id]
    assert marked.sentences == ("The cat sat down.", "A dog ran off.", "Fish swim away.")
    assert marked.best == frozenset({1})
    assert result.highlight_ms >= 0


def test_split_sentences_keeps_abbreviations_and_cuts_runs():
    assert split_sentences("Use e.g. this one. Then stop!  Next") == [
        "Use e.g. this one.",
        "Then stop!",
        "Next",
    ]
    assert [len(s) for s in split_sentences("x" * 1300)] == [600, 600, 100]
    rst = "=======\nTitle\n=======\n\n==== Joined ==== Body text here. *Stays* as is."
    assert split_sentences(rst) == ["Title", "Joined Body text here.", "*Stays* as is."]


def test_unindexed_and_unavailable_encoders_explain_themselves(tmp_path):
    service = make_service(tmp_path, DOCS, KeywordEncoder(["cat"], name="teacher"))
    with pytest.raises(NotIndexedError, match="distilsearch index PATH --encoder student"):
        service.search("cat", "student")
    service.store.ensure_collection("docs_student", CollectionInfo("student", 1, "x"))
    with pytest.raises(EncoderUnavailableError, match="distilled model"):
        service.search("cat", "student")
    assert "student" in service.available_encoders()  # indexed, even without a model


def test_compare_joins_by_id_with_scores_from_both_indexes(pair):
    cmp = pair.compare("cat bird", candidate="student", reference="teacher", top_k=2)
    assert cmp.verdict == "student agrees on 1 of 2 (same top hit)"
    assert (cmp.overlap, cmp.depth, cmp.same_top_hit) == (1, 2, True)
    rows = {row.hit.source: row for row in cmp.rows}
    assert [row.hit.source for row in cmp.rows] == ["b.txt", "a.txt", "d.txt"]
    b, a, d = rows["b.txt"], rows["a.txt"], rows["d.txt"]
    assert (b.reference_rank, b.candidate_rank, b.rank_shift, b.where) == (1, 1, 0, "both")
    assert (a.reference_rank, a.candidate_rank, a.where) == (2, None, "reference only")
    assert (d.reference_rank, d.candidate_rank, d.where) == (None, 2, "candidate only")
    # cosine(query, chunk) per encoder, looked up in the other index when not retrieved
    assert b.reference_score == pytest.approx(1.0)
    assert b.candidate_score == pytest.approx(3 / math.sqrt(10))
    assert a.candidate_score == pytest.approx(2 / math.sqrt(10))
    assert d.reference_score == pytest.approx(0.0)
    # cosine of the chunk's two embeddings (same dim): b = [1,0,0]·[1,0,2]/√5
    assert b.embedding_cosine == pytest.approx(1 / math.sqrt(5))
    assert a.embedding_cosine == pytest.approx(1.0)
    assert cmp.mean_abs_rank_shift == 0


def test_compare_rejects_same_encoder_and_notes_dimension_mismatch(tmp_path):
    teacher = KeywordEncoder(["cat", "dog", "fish"], name="teacher")
    student = KeywordEncoder(["cat", "dog"], name="student")
    service = make_service(tmp_path, DOCS, teacher, student)
    with pytest.raises(ValueError, match="two different"):
        service.compare("cat", "teacher", "teacher")
    cmp = service.compare("cat", "student", "teacher", top_k=4)
    assert all(row.embedding_cosine is None for row in cmp.rows)
    assert "equal dimensions (2 vs 3)" in cmp.embedding_note


def test_answer_is_extractive_with_citations(tmp_path):
    enc = KeywordEncoder(["cat", "dog", "fish"], name="teacher")
    docs = {
        "pets.txt": "The cat sat on the mat. A dog and a cat play together.",
        "sea.txt": "Fish swim in the deep sea.",
    }
    answer = make_service(tmp_path, docs, enc).answer("cat dog", "teacher", top_k=2)
    assert answer.generator == "extractive"
    assert answer.text == "The cat sat on the mat. [1] A dog and a cat play together. [1]"
    assert [(c.number, c.hit.source) for c in answer.citations] == [(1, "pets.txt")]
    assert len(answer.retrieved) == 2 and answer.retrieval_ms >= 0


def test_answer_falls_back_to_extractive_when_the_llm_fails(tmp_path):
    class Broken:
        name = "llm:broken"

        def generate(self, query, passages):
            raise GenerationError("cannot reach http://127.0.0.1:9/v1/chat/completions")

    enc = KeywordEncoder(["cat", "dog"], name="teacher")
    service = make_service(tmp_path, {"p.txt": "The cat sat on the mat today."}, enc, llm=Broken())
    answer = service.answer("cat", "teacher")
    assert answer.generator == "extractive" and answer.citations
    assert "LLM endpoint failed" in answer.notes[0]


def test_overview_and_delete_source(pair):
    overview = pair.library.overview()
    assert [(c.encoder, c.chunks, c.files) for c in overview.collections] == [
        ("student", 4, 4),
        ("teacher", 4, 4),
    ]
    assert overview.sources["a.txt"] == {"student": 1, "teacher": 1}
    assert pair.library.file_types("teacher") == ["txt"]
    pair.index.writes = WriteAccess(True, WRITE_KEY)  # deleting is a write: it needs the key
    assert pair.library.delete_source("a.txt", key=WRITE_KEY) == {"student": 1, "teacher": 1}
    assert pair.stats()[0].chunks == 3
    assert "a.txt" not in pair.library.overview().sources


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\x\\my notes.MD", "my_notes.md"),
        (".bashrc", "upload.bashrc"),
        ("ré sumé.html", "r_sum.html"),
        ("noext", "noext"),
    ],
)
def test_safe_filename(name, safe):
    assert safe_filename(name) == safe


def test_check_upload_limits():
    assert check_upload("a/b.md", b"# hi", 10, {".md"}) == "b.md"
    with pytest.raises(UploadRejected, match="not indexed"):
        check_upload("x.exe", b"MZ", 10, {".md"})
    with pytest.raises(UploadRejected, match="over the"):
        check_upload("x.md", b"x" * 11, 10, {".md"})
    with pytest.raises(UploadRejected, match="empty"):
        check_upload("x.md", b"  \n", 10, {".md"})


def test_uploads_are_checked_indexed_with_each_encoder_and_removed(pair):
    pair.index.writes = WriteAccess(True, WRITE_KEY)  # uploading is a write: it needs the key
    seen = []
    report = pair.library.index_uploads(
        [
            ("../notes/cats.md", b"# Cats\n\nThe cat sat on the mat with a dog.\n"),
            ("fake.pdf", b"just text, not a pdf at all"),
            ("big.txt", b"x" * (pair.settings.max_upload_mb * 2**20 + 1)),
        ],
        ["teacher", "student"],
        on_progress=seen.append,
        key=WRITE_KEY,
    )
    by_name = {o.name: o for o in report.outcomes}
    assert by_name["cats.md"].status == "indexed" and by_name["cats.md"].chunks >= 1
    assert by_name["cats.md"].encoders == ("teacher", "student")
    assert by_name["fake.pdf"].status == "rejected" and "not pdf" in by_name["fake.pdf"].reason
    assert by_name["big.txt"].status == "rejected" and "limit" in by_name["big.txt"].reason
    done = [(p.done, p.total, p.name) for p in seen if p.name]
    assert done == [(1, 1, "cats.md")]  # one event per file done (more while encoding)
    assert seen[-1].fraction == 1.0 and seen[-1].summary.startswith("1/1 files")
    assert list(pair.library.upload_dir.iterdir()) == []  # temporary files are gone
    source = str((pair.library.upload_dir / "cats.md").absolute())
    overview = pair.library.overview()
    assert overview.sources[source] == {"student": 1, "teacher": 1}
    again = pair.library.index_uploads(
        [("cats.md", b"# Cats\n\nThe cat sat on the mat.\n")], ["teacher"], key=WRITE_KEY
    )
    assert again.outcomes[0].status == "indexed"
    assert pair.library.sources("teacher")[source] == 1  # replaced, not duplicated


def test_run_small_evaluation_writes_a_report_the_page_can_open(tmp_path):
    # the teacher knows "cats" (d1, relevant to q1); the student only "cat" (the distractor d0)
    teacher = KeywordEncoder(["cats", "dog", "fish"], name="teacher")
    student = KeywordEncoder(["cat", "dog", "fish"], name="student")
    service = make_service(tmp_path, DOCS, teacher, student)
    key = "evaluation-write-key"
    service.index.writes = WriteAccess(True, key)  # a run writes a report: it needs the key
    beir_dir = make_beir(tmp_path / "beir")
    with pytest.raises(WriteRefusedError):
        service.reports.run_small(beir_dir, ["student", "teacher"], 2, 3)
    out = service.reports.run_small(beir_dir, ["student", "teacher"], 2, 3, key=key)
    assert out.parent == service.settings.data_dir / "reports"
    assert out.resolve() in service.reports.find()
    report = service.reports.load(out)
    assert report.dataset == "beir-small" and set(report.systems) == {"student", "teacher"}
    assert report.config["documents"] == 3 and report.config["queries"] == 2
    assert len(report.plots) == 3 and not report.problems
    deltas = report.per_query("student", "teacher", "ndcg@10")
    assert [d.query_id for d in deltas] == ["q1", "q2"]  # worst for the student first
    assert deltas[0].diff < 0 and deltas[1].diff == 0


def test_missing_encoders_say_what_to_do(tmp_path):
    service = make_service(tmp_path, DOCS, KeywordEncoder(["cat"], name="teacher"))
    (service.settings.models_dir / "student").mkdir(parents=True)
    missing = service.missing_encoders()
    assert missing["student"] == "not indexed (distilsearch index PATH --encoder student)"
    assert missing["student-int8"].startswith("no model at ")
    assert "teacher" not in missing
    assert "student-openvino-int8" not in missing  # variants appear once exported


def test_backend_variants_on_disk_are_offered_for_indexing(tmp_path):
    service = make_service(tmp_path, DOCS, KeywordEncoder(["cat"], name="teacher"))
    for name in ("student", "student-openvino-int8", "teacher-onnx", "not-a-variant"):
        (service.settings.models_dir / name).mkdir(parents=True)
    assert service.available_encoders() == [
        "student",
        "student-openvino-int8",
        "teacher",
        "teacher-onnx",
    ]
    missing = service.missing_encoders()
    assert missing["student-openvino-int8"] == (
        "not indexed (distilsearch index PATH --encoder student-openvino-int8)"
    )
    assert "not-a-variant" not in missing
    assert "teacher-onnx" not in missing  # the teacher's own vectors: a query encoder


def test_settings_for_the_llm_and_uploads():
    settings = load_settings(
        {
            "DISTILSEARCH_LLM_URL": "http://127.0.0.1:8000/v1/",
            "DISTILSEARCH_LLM_MODEL": "m",
            "DISTILSEARCH_LLM_KEY": "secret",
            "DISTILSEARCH_MAX_UPLOAD_MB": "5",
        }
    )
    assert (settings.llm_url, settings.llm_model, settings.max_upload_mb) == (
        "http://127.0.0.1:8000/v1",
        "m",
        5,
    )
    assert "secret" not in repr(settings)
    assert load_settings({}).max_upload_mb == 20 and not load_settings({}).llm_url
    for env, message in (
        ({"DISTILSEARCH_LLM_URL": "ftp://x"}, "http"),
        ({"DISTILSEARCH_LLM_URL": "http://x/v1"}, "DISTILSEARCH_LLM_MODEL"),
        ({"DISTILSEARCH_MAX_UPLOAD_MB": "0"}, "MAX_UPLOAD_MB"),
        ({"DISTILSEARCH_MAX_UPLOAD_MB": "big"}, "integer"),
    ):
        with pytest.raises(ValueError, match=message):
            load_settings(env)
