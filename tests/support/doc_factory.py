"""Documents of every supported type, generated on the fly (nothing downloaded)."""

from __future__ import annotations

import json
import os
import zipfile
from email.message import EmailMessage
from pathlib import Path

from indexer.pipeline import IndexOptions
from indexer.sniff import Limits


def slow_text(path: Path) -> Path:
    """120k short, distinct paragraphs (3.4 MiB): parsing them takes tens of seconds on
    any machine, far past the few seconds' timeouts the tests set."""
    paragraphs = (f"River bend {i} reach {i * 7}." for i in range(120_000))
    path.write_text("\n\n".join(paragraphs))
    return path


def pdf_bytes(pages: list[str]) -> bytes:
    """A minimal valid PDF: one Helvetica text block per page, lines from ``\\n``."""
    n = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    font = 3 + 2 * n
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
    ]
    for i, text in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        escaped = [
            ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            for ln in text.split("\n")
        ]
        ops = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({ln}) Tj T*" for ln in escaped) + " ET"
        data = ops.encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def encrypted_pdf(path: Path, text: str) -> Path:
    from pypdf import PdfReader, PdfWriter

    plain = path.with_suffix(".plain.pdf")
    plain.write_bytes(pdf_bytes([text]))
    writer = PdfWriter(clone_from=PdfReader(str(plain)))
    writer.encrypt(user_password="secret", owner_password="owner")
    with path.open("wb") as handle:
        writer.write(handle)
    plain.unlink()
    return path


def docx(path: Path, title: str, paragraphs: list[str]) -> Path:
    from docx import Document

    document = Document()
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def pptx(path: Path, slides: list[tuple[str, str]]) -> Path:
    from pptx import Presentation

    deck = Presentation()
    for title, body in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    deck.save(str(path))
    return path


def epub(path: Path, markdown: str) -> Path:
    import pypandoc

    pypandoc.convert_text(
        markdown,
        "epub",
        format="md",
        outputfile=str(path),
        extra_args=["--metadata", "title=Generated book"],
    )
    return path


def eml(path: Path, subject: str, body: str) -> Path:
    message = EmailMessage()
    message["From"] = "alice@example.org"
    message["To"] = "bob@example.org"
    message["Subject"] = subject
    message.set_content(body)
    path.write_bytes(bytes(message))
    return path


def zip_bomb_docx(path: Path, declared_bytes: int = 2**31) -> Path:
    """A docx-shaped zip whose central directory declares a huge decompressed size."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")  # last central-directory entry: word/document.xml
    data[central + 24 : central + 28] = declared_bytes.to_bytes(4, "little", signed=False)
    path.write_bytes(bytes(data))
    return path


def write_every_type(folder: Path) -> dict[str, Path]:
    """One small, good file of every supported type; keys are the expected labels."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "txt": folder / "notes.txt",
        "rst": folder / "guide.rst",
        "md": folder / "readme.md",
        "html": folder / "page.html",
        "xml": folder / "feed.xml",
        "json": folder / "records.json",
        "csv": folder / "table.csv",
    }
    files["txt"].write_text("Meeting notes\n\nThe kettle descaling schedule moves to Fridays.\n")
    files["rst"].write_text(
        "Glaciers\n========\n\nGlaciers carve U-shaped valleys over millennia.\n"
    )
    files["md"].write_text("# Beekeeping\n\nHives need a dry spot sheltered from wind.\n")
    files["html"].write_text(
        "<html><body><h1>Sourdough</h1><p>Feed the starter twice a "
        "day with flour and water.</p></body></html>"
    )
    files["xml"].write_text(
        '<?xml version="1.0"?><feed><entry>Lighthouses guide ships '
        "past rocky coasts at night.</entry></feed>"
    )
    files["json"].write_text(
        json.dumps(
            [
                {"city": "Oslo", "fact": "Oslo has a fjord."},
                {"city": "Lima", "fact": "Lima rarely sees rain."},
            ]
        )
    )
    files["csv"].write_text("planet,moons\nMars,2\nJupiter,95\n")
    files["eml"] = eml(folder / "mail.eml", "Budget", "The telescope budget was approved today.")
    files["pdf"] = folder / "report.pdf"
    files["pdf"].write_bytes(
        pdf_bytes(
            [
                "Quarterly report\nRevenue from orchards grew.",
                "Second page\nCider sales doubled in autumn.",
            ]
        )
    )
    files["docx"] = docx(folder / "memo.docx", "Memo", ["Volcanoes vent ash and lava."])
    files["pptx"] = pptx(folder / "deck.pptx", [("Tides", "The moon's pull causes tides.")])
    files["epub"] = epub(folder / "book.epub", "# Chapter one\n\nOwls hunt silently at dusk.\n")
    return files


GOOD_NEIGHBOURS = {
    "good one.md": "# Rivers\n\nThe river floods the valley each spring.\n",
    "ünïcödé.txt": "Notes about a mountain pass and its weather.\n",
    "dots..in..name.txt": "A forest path winds between old oaks.\n",
}


#: Options the hostile folder is indexed with: a 4 MiB size limit, a 4 s per-file timeout.
HOSTILE_OPTIONS = IndexOptions(limits=Limits(max_file_bytes=4 * 2**20), workers=1, timeout_s=4)


def write_hostile_folder(root: Path) -> dict[str, str]:
    """Write hostile files beside good ones; return name -> expected status (``a|b``: either)."""
    root.mkdir(parents=True)
    for name, text in GOOD_NEIGHBOURS.items():
        (root / name).write_text(text)
    expected = {}
    (root / "zero.txt").write_bytes(b"")
    expected["zero.txt"] = "skipped"
    (root / "junk.txt").write_bytes(os.urandom(4096).replace(b"\n", b"\x00"))
    expected["junk.txt"] = "failed"
    (root / "junk.pdf").write_bytes(b"\x00\xff" * 2048)
    expected["junk.pdf"] = "failed"
    (root / "junk.docx").write_bytes(b"PK\x03\x04" + os.urandom(2048))
    expected["junk.docx"] = "failed"
    (root / "truncated.pdf").write_bytes(pdf_bytes(["cut here"])[:70])
    expected["truncated.pdf"] = "failed"
    encrypted_pdf(root / "encrypted.pdf", "locked text")
    expected["encrypted.pdf"] = "failed"
    zip_bomb_docx(root / "bomb.docx")
    expected["bomb.docx"] = "failed"
    (root / "huge.txt").write_bytes(b"x" * (5 * 2**20))
    expected["huge.txt"] = "failed"  # over the test's 4 MiB limit
    slow_text(root / "slow.txt")
    expected["slow.txt"] = "failed"  # per-file timeout
    os.symlink(root / "self-loop.txt", root / "self-loop.txt")
    expected["self-loop.txt"] = "failed"
    os.symlink(root, root / "loop-dir")  # a folder loop: never followed
    # odd but legitimate text: indexed, and never leaking what it references
    (root / "xxe.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<d><i>Kites fly over the river. &x;</i></d>"
    )
    (root / "utf16.txt").write_bytes("Glaciers and river ice.\n".encode("utf-16"))
    (root / "bad-utf8.txt").write_bytes(b"river \xff\xfe\xc3\x28 text \xe2\x82\xac end\n")
    raw_name = os.fsdecode(b"latin1-\xe9.txt")  # a file name that is not UTF-8
    (root / raw_name).write_text("The desert at noon.\n")
    for name in [*GOOD_NEIGHBOURS, "xxe.xml", "utf16.txt", "bad-utf8.txt", raw_name]:
        expected[name] = "indexed"
    (root / "deep.html").write_text("<html><body>" + "<div>" * 5000 + "owls" + "</div>" * 5000)
    expected["deep.html"] = "failed"  # too deep for the parser: said, not a silent cut
    for name in ("deep.json", "deep"):  # once ended the whole run (RecursionError)
        (root / name).write_text("[" * 100_000 + "]" * 100_000)
        expected[name] = "failed"
    (root / "..dots..txt").write_text("A dotted name is hidden, and reported.\n")
    (root / ".hidden-folder").mkdir()
    (root / ".hidden-folder" / "inside.txt").write_text("Never read, reported once.\n")
    expected["..dots..txt"] = expected[".hidden-folder"] = "skipped"
    expected.update(write_untrusted_entries(root))
    return expected


#: Names a filesystem allows that once stopped a run or broke a filter (one unique word each).
HOSTILE_NAMES = {
    "new\nline.txt": "lantern",
    "car\rret.txt": "harbour",
    "tab\tname.txt": "meadow",
    "esc\x1b[31mred.txt": "quarry",
    "-leading-dash.txt": "orchard",
    "back\\slash.txt": "glacier",
    "sep\u2028line.txt": "canyon",
    os.fsdecode(b"invalid-\xff\xfe.txt"): "lagoon",
    "n" * 251 + ".txt": "tundra",  # 255 bytes, the longest name ext4 allows
    "bidi-\u202etxt.exe": "prairie",  # shown raw, reads as "bidi-exe.txt"
    "zero\u200bwidth\ufeff.txt": "estuary",  # invisible characters
}


def write_untrusted_entries(root: Path) -> dict[str, str]:
    """Links out of the tree, a link inside it, a FIFO, and hostile names, under ``root``.

    The secret outside ``root`` must never be indexed; returns name -> expected status.
    """
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("root:x:0:0 the river secret\n")
    os.symlink(outside / "secret.txt", root / "passwd-link.txt")
    os.symlink(outside, root / "outside-dir")
    os.symlink(root / "good one.md", root / "inside-link.txt")  # the same file twice
    os.mkfifo(root / "pipe.txt")
    expected = {
        "passwd-link.txt": "skipped",
        "outside-dir": "skipped",
        "inside-link.txt": "skipped",
        "pipe.txt": "skipped",
        "loop-dir": "skipped",
    }
    for name, word in HOSTILE_NAMES.items():
        (root / name).write_text(f"A {word} named by a hostile file name.\n")
        expected[name] = "indexed"
    return expected
