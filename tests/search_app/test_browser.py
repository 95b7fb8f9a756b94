"""The app served by ``streamlit run`` and driven in Debian's Chromium through Playwright.

One server per module, on 127.0.0.1 and a free port, over a small real index (the
test docs, pages written in reST with Sphinx markup, Markdown and HTML like the demo's,
and a chunk carrying HTML/Markdown payloads) built with the real teacher and a stand-in
student. Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.readable import heading_label
from indexer.stores.lite_server import free_port, stop_process
from shell.serve_command import streamlit_command
from tests.support.app_builders import (
    REPO,
    XSS_PAYLOAD,
    XSS_TEXT,
    build_index,
    student_encoder,
)

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 120_000

if not CHROMIUM.exists():
    pytest.skip(
        "Debian chromium is missing at /usr/bin/chromium (apt-get install -y chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api")


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"streamlit did not become healthy in {timeout_s}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory, teacher) -> Iterator[str]:
    root = tmp_path_factory.mktemp("served")
    student = student_encoder(root / "models", teacher)
    notice = root / "docs" / "security-notice.txt"
    notice.parent.mkdir()
    notice.write_text(XSS_TEXT)
    markup = sorted((REPO / "tests" / "data" / "markup").iterdir())
    build_index(root / "data" / "milvus.db", [teacher, student], extra=[notice, *markup])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "streamlit.log"
    port = free_port()
    env = {
        **os.environ,
        "DISTILSEARCH_DATA_DIR": str(root / "data"),
        "DISTILSEARCH_MODELS_DIR": str(root / "models"),
        "DISTILSEARCH_THREADS": "2",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
    }
    for name in ("MILVUS_URI", "DISTILSEARCH_LLM_URL", "DISTILSEARCH_ENCODER"):
        env.pop(name, None)
    command = streamlit_command("127.0.0.1", port)
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log)
        yield url
    finally:
        stop_process(proc)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    page.close()


def submit(page, url: str, field: str, text: str, button: str) -> None:
    page.goto(url)
    box = page.get_by_label(field)
    box.wait_for()
    box.fill(text)
    box.press("Tab")
    page.get_by_role("button", name=button).click()


def shot(page, name: str) -> None:
    """A full-page screenshot once the page is idle (tables draw on a canvas, late)."""
    for table in page.locator("[data-testid='stDataFrame']").all():
        table.locator("canvas").first.wait_for(state="attached")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_as_indexed(page) -> None:
    """Unfold every hit's text as indexed (markup and all)."""
    folds = page.get_by_text("As indexed (with its markup)")
    for i in range(folds.count()):
        folds.nth(i).click()
    page.wait_for_timeout(500)


def test_search_shows_hits_with_latency(server, page):
    submit(page, server, "Query", "how do I write a custom template filter", "Search")
    page.get_by_text("ms search").first.wait_for()
    page.get_by_text("template-filters.rst").first.wait_for()
    body = page.inner_text("body")
    shot(page, "search")
    assert "template-filters.rst" in body
    assert "register.filter" in body
    assert "default: dense — see docs/results/hybrid.md" in body  # the mode, and why
    # an encoder without a collection is not offered: named, greyed, with its command
    assert "Not offered until indexed: student-int8 distilsearch distill" in body


def test_compare_shows_verdict_and_both_sides(server, page):
    submit(page, f"{server}/compare", "Query", "cache a whole page", "Compare")
    page.get_by_text("student agrees on").first.wait_for()
    page.get_by_text("caching.md").last.wait_for()
    page.get_by_text("teacher latency").first.wait_for()  # the page streams in; wait for its end
    body = page.inner_text("body")
    shot(page, "compare")
    assert "overlap@10" in body and "teacher latency" in body and "student latency" in body


def test_ask_cites_and_links_the_chunks_it_used(server, page):
    submit(page, f"{server}/ask", "Question", "How do I register a custom filter?", "Ask")
    page.get_by_text("Chunks the answer used").wait_for()
    page.locator("[id^='cite-']").first.wait_for()
    links = page.locator('a[href="#cite-1"], a[href="#cite-2"], a[href="#cite-3"]')
    assert links.count() >= 1
    target = links.first.get_attribute("href").lstrip("#")
    assert page.locator(f"[id='{target}']").count() == 1
    shot(page, "ask")
    assert "extractive" in page.inner_text("body")


def test_retrieved_html_and_markdown_render_inert(server, page):
    submit(page, server, "Query", "security notice sanitiser payload", "Search")
    page.get_by_text("ms search").first.wait_for()
    page.get_by_text("security-notice.txt").first.wait_for()
    page.get_by_text("window.__pwned").first.wait_for()
    body = page.inner_text("body")
    shot(page, "inert-payload")
    # shown as a reader sees it: Markdown's ** taken out as markup, the tags as text
    assert "<script>window.__pwned=1</script> and <b>bold</b> and md" in body
    open_as_indexed(page)
    assert XSS_PAYLOAD in main_text(page)  # as indexed, literally
    assert page.evaluate("typeof window.__pwned") == "undefined"
    main = page.locator("section.main, [data-testid='stMain']").first
    assert main.locator("script", has_text="__pwned").count() == 0
    assert main.locator("b", has_text="bold").count() == 0


def test_keyword_matches_are_marked_and_the_payload_stays_inert(server, page):
    page.goto(server)
    box = page.get_by_label("Query")
    box.wait_for()
    page.get_by_text("keyword", exact=True).first.click()  # the mode picker
    box.fill("sanitiser window bold")
    box.press("Tab")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("teacher · keyword").first.wait_for()
    main = page.locator("section.main, [data-testid='stMain']").first
    marked = main.locator("span.stMarkdownColoredBackground", has_text="sanitiser").first
    marked.wait_for()
    shot(page, "keyword-highlight")
    body = page.inner_text("body")
    assert "orange-background" not in body  # the directive rendered, not shown as text
    assert marked.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    window = main.locator("span.stMarkdownColoredBackground", has_text="window").first
    assert window.inner_text() == "window"  # marked inside the inert <script> text
    assert "<script>window.__pwned=1</script>" in body and "<b>bold</b> and md" in body
    open_as_indexed(page)
    assert XSS_PAYLOAD in main_text(page)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert main.locator("script", has_text="__pwned").count() == 0
    assert main.locator("b", has_text="bold").count() == 0


#: What a reader must never see in a snippet: a Sphinx role, a directive or label, an
#: inline literal's backticks, a title underline, a directive option line.
MARKUP = re.compile(
    r"(?<![\w`]):[A-Za-z][\w.+:-]*:`|(?:^|\s)\.\. [A-Za-z][\w:.+-]*::|^\s*\.\. _|``"
    r"|^\s*([=\-~^#*+])\1{3,}\s*$|^\s*:(?:maxdepth|caption|toctree):",
    re.M,
)


def main_text(page) -> str:
    """The page's main area as a reader sees it (folded expanders are not shown)."""
    return page.locator("section.main, [data-testid='stMain']").first.inner_text()


def section_labels(text: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"§ ([^·\n]+)", text)]


def test_search_snippets_and_labels_read_clean_with_highlight_time(server, page):
    submit(page, server, "Query", "how do I register a custom template filter", "Search")
    page.get_by_text("ms search").first.wait_for()
    page.get_by_text("custom-filters.txt").first.wait_for()
    page.get_by_text("highlighting").first.wait_for()  # drawn after the hits
    text = main_text(page)
    shot(page, "search-clean")
    assert "custom-filters.txt" in text and "caching-guide.md" in text
    assert not MARKUP.search(text), MARKUP.search(text)
    labels = section_labels(text)
    assert "Registering custom filters" in labels
    assert all(label and heading_label(label) == label for label in labels), labels
    assert re.search(r"highlighting \d+ ms \(static word vectors of teacher\)", text)
    assert "Searched with teacher: the teacher every student is distilled from" in text
    open_as_indexed(page)  # the text as indexed is one click away
    assert MARKUP.search(main_text(page))


def test_compare_and_ask_show_clean_text_and_no_none(server, page):
    page.set_viewport_size({"width": 1280, "height": 1000})
    submit(page, f"{server}/compare", "Query", "register a custom template filter", "Compare")
    page.get_by_text("student agrees on").first.wait_for()
    page.get_by_text("teacher latency").first.wait_for()
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.locator("canvas").first.wait_for(state="attached")
    text = main_text(page)
    shot(page, "compare-1280")
    assert not MARKUP.search(text), MARKUP.search(text)
    assert "None" not in text
    assert "**A** = " not in text and "A = teacher (reference), B = student (candidate)" in text
    table, frame = grid.bounding_box(), page.locator("[data-testid='stMain']").first.bounding_box()
    assert table["x"] + table["width"] <= frame["x"] + frame["width"] + 1  # fits the page
    scroller = grid.locator(".dvn-scroller").first
    widths = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1] + 1, widths  # every column visible: no sideways scroll
    submit(page, f"{server}/ask", "Question", "How do I register a custom filter?", "Ask")
    page.get_by_text("Chunks the answer used").wait_for()
    text = main_text(page)
    shot(page, "ask-clean")
    answer = text.split("Answer", 1)[1].split("Chunks the answer used", 1)[0]
    assert "From " not in answer  # not grouped under file names: one answer in order
    assert not MARKUP.search(text), MARKUP.search(text)
    assert all(heading_label(label) == label for label in section_labels(text))


def test_read_only_pages_offer_nothing_they_refuse(server, page):
    page.goto(f"{server}/evaluate")
    page.get_by_text("Open a report").first.wait_for()
    page.get_by_text("distilsearch eval").first.wait_for()
    text = main_text(page)
    assert "Run a small evaluation" not in text and "next tab" not in text
    page.goto(f"{server}/index")
    page.get_by_text("Read-only: no uploads or deletes here").first.wait_for()
    text = main_text(page)
    shot(page, "index-read-only")
    assert "by upload" not in text and "Upload and index" not in text
