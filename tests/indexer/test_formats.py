"""Every common document type through real detection, partitioning and chunking."""

from __future__ import annotations

import pytest

from indexer.chunking import chunk_file
from indexer.sniff import Limits, Rejected, Unsupported, detect
from tests.support import doc_factory

EXPECTED_WORDS = {
    "txt": "kettle",
    "rst": "Glaciers",
    "md": "Hives",
    "html": "starter",
    "xml": "Lighthouses",
    "json": "fjord",
    "csv": "Jupiter",
    "eml": "telescope",
    "pdf": "orchards",
    "docx": "Volcanoes",
    "pptx": "tides",
    "epub": "Owls",
}


@pytest.fixture(scope="module")
def every_type(tmp_path_factory):
    return doc_factory.write_every_type(tmp_path_factory.mktemp("types"))


@pytest.mark.parametrize("label", sorted(EXPECTED_WORDS))
def test_each_type_is_detected_and_chunked(every_type, label):
    path = every_type[label]
    kind = detect(path)
    assert kind.label == label
    chunks = chunk_file(path, mime=kind.mime, file_type=kind.label)
    assert chunks, f"no chunks from {path.name}"
    assert all(c.file_type == label for c in chunks)
    assert EXPECTED_WORDS[label] in " ".join(c.text for c in chunks)


def test_pdf_chunks_carry_page_numbers(every_type):
    chunks = chunk_file(every_type["pdf"], mime="application/pdf", file_type="pdf")
    assert chunks[0].page == 1
    assert {c.page for c in chunks} <= {1, 2}


def test_detection_uses_content_not_only_the_name(every_type, tmp_path):
    renamed = tmp_path / "no_extension"
    renamed.write_bytes(every_type["pdf"].read_bytes())
    assert detect(renamed).label == "pdf"
    html = tmp_path / "page.data"
    html.write_text("<!DOCTYPE html><html><body><p>Hello there</p></body></html>")
    assert detect(html).label == "html"
    docx_as_pptx = tmp_path / "deck.pptx"
    docx_as_pptx.write_bytes(every_type["docx"].read_bytes())
    with pytest.raises(Rejected, match="looks like docx"):
        detect(docx_as_pptx)


@pytest.mark.parametrize(
    ("name", "content", "error", "match"),
    [
        ("empty.txt", b"", Unsupported, "empty"),
        ("junk.pdf", b"\x00\x01\x02binary" * 100, Rejected, "binary"),
        ("junk.docx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, Rejected, "binary"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 50, Unsupported, "binary"),
        ("truncated.pdf", doc_factory.pdf_bytes(["cut short"])[:60], Rejected, "PDF"),
        ("archive.zip", None, Unsupported, "not a docx"),
    ],
)
def test_bad_files_get_a_reason(tmp_path, name, content, error, match):
    path = tmp_path / name
    if content is None:
        import zipfile

        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("a.txt", "hello")
    else:
        path.write_bytes(content)
    with pytest.raises(error, match=match):
        detect(path)


def test_encrypted_pdf_and_zip_bomb_and_size_limit_are_refused(tmp_path):
    locked = doc_factory.encrypted_pdf(tmp_path / "locked.pdf", "secret plans")
    with pytest.raises(Rejected, match="encrypted"):
        detect(locked)
    bomb = doc_factory.zip_bomb_docx(tmp_path / "bomb.docx")
    with pytest.raises(Rejected, match="zip bomb"):
        detect(bomb)
    big = tmp_path / "big.txt"
    big.write_text("word " * 1000)
    with pytest.raises(Rejected, match="limit"):
        detect(big, Limits(max_file_bytes=1000))
