"""Sphinx HTML sections for the dev suite, parsed with the standard library's html.parser.

Only the page body (``<div role="main">``) is read. Each ``<section id=...>`` becomes a
:class:`~dev_suite_rst.Section`: ``slug`` = the section's id, ``title`` = the text of its
``<h1>``..``<h6>``, ``text`` = its own text outside nested sections, ``level`` = its
nesting depth (1 = the page title). Left out: navigation and local tables of contents
(``<nav>``, ``class="contents"``/``"toc"`` — an FAQ page lists every question there),
permalink marks (``a.headerlink``), scripts and styles. Block elements end paragraphs;
``<pre>`` keeps its line breaks, other whitespace is collapsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from dev_suite_rst import Section

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
BLOCKS = frozenset(
    {
        "p",
        "div",
        "pre",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "blockquote",
        "section",
        "figure",
        "figcaption",
        "caption",
        "br",
    }
    | HEADINGS
)
SKIP_TAGS = frozenset({"nav", "script", "style"})
SKIP_CLASSES = frozenset({"contents", "toc", "headerlink", "sphinxsidebar", "linenos"})


@dataclass
class _Open:
    """A section being read: its id, heading parts, text parts and enclosing keys."""

    slug: str
    level: int
    parents: tuple[str, ...]
    order: int
    title: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    titled: bool = False


class SphinxSections(HTMLParser):
    """Collects the sections of one Sphinx page; read ``sections`` after ``feed``/``close``."""

    def __init__(self, path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.sections: list[tuple[int, Section]] = []  # (document order, section)
        self._opened = 0
        self._open: list[_Open] = []
        self._main_divs = 0  # open <div>s inside the main body; 0 = outside it
        self._skip: tuple[str, int] | None = None  # (tag, depth) of a skipped subtree
        self._heading = False
        self._pre = 0

    def _skipped(self, tag: str, attrs: dict[str, str | None]) -> bool:
        classes = set((attrs.get("class") or "").split())
        return tag in SKIP_TAGS or bool(classes & SKIP_CLASSES)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip is not None:
            name, depth = self._skip
            self._skip = (name, depth + 1) if tag == name else self._skip
            return
        attributes = dict(attrs)
        if not self._main_divs:
            if tag == "div" and attributes.get("role") == "main":
                self._main_divs = 1
                self._open = [_Open(slug="", level=0, parents=(), order=0)]
            return
        if self._skipped(tag, attributes):
            self._skip = (tag, 1)
            return
        self._main_divs += tag == "div"
        if tag == "section":
            parents = tuple(f"{self.path}#{s.slug}" for s in self._open if s.slug)
            self._opened += 1
            slug = attributes.get("id") or f"section-{self._opened}"
            level = len(parents) + 1
            self._open.append(_Open(slug, level, parents, order=self._opened))
        self._heading = self._heading or tag in HEADINGS
        self._pre += tag == "pre"
        self._emit("\n" if tag == "br" else "\n\n" if tag in BLOCKS else "")

    def handle_endtag(self, tag: str) -> None:
        if self._skip is not None:
            name, depth = self._skip
            if tag == name:
                self._skip = (name, depth - 1) if depth > 1 else None
            return
        if not self._main_divs:
            return
        self._main_divs -= tag == "div"
        if tag == "section" and len(self._open) > 1:
            self._close(self._open.pop())
        elif tag in HEADINGS and self._heading:
            self._heading = False
            self._open[-1].titled = True
        self._pre -= tag == "pre" and self._pre > 0
        self._emit("\n\n" if tag in BLOCKS else "")
        if not self._main_divs:
            while self._open:
                self._close(self._open.pop())

    def handle_data(self, data: str) -> None:
        if self._skip is not None or not self._main_divs or not self._open:
            return
        if not self._pre:
            data = re.sub(r"\s+", " ", data)
        current = self._open[-1]
        if self._heading and not current.titled:
            current.title.append(data)
        else:
            current.text.append(data)

    def _emit(self, text: str) -> None:
        if text and self._open and not self._heading:
            self._open[-1].text.append(text)

    def _close(self, section: _Open) -> None:
        title = re.sub(r"\s+", " ", "".join(section.title)).strip()
        if not section.slug and not title:
            section.slug = "page"
        lines = "".join(section.text).splitlines()  # code keeps its indentation
        text = "\n".join(re.sub(r"^ (?=\S)", "", line.rstrip()) for line in lines)
        text = re.sub(r"\n{3,}", "\n\n", text).strip()
        record = Section(self.path, section.slug, title, text, section.level, section.parents)
        self.sections.append((section.order, record))


def parse_html(path: str, source: str) -> list[Section]:
    """The sections of one Sphinx HTML page, in document order."""
    parser = SphinxSections(path)
    parser.feed(source)
    parser.close()
    return [section for _, section in sorted(parser.sections, key=lambda pair: pair[0])]


def parse_html_tree(root: Path, folders: tuple[str, ...]) -> list[Section]:
    """Sections of every ``root/<folder>/**/*.html`` page (sorted by path)."""
    sections: list[Section] = []
    for folder in folders:
        for file in sorted((root / folder).rglob("*.html")):
            rel = file.relative_to(root).with_suffix("").as_posix()
            page = parse_html(rel, file.read_text(encoding="utf-8", errors="replace"))
            sections.extend(s for s in page if s.text or s.title)
    return sections
