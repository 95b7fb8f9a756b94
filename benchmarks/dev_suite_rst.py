"""reStructuredText sections for the dev suite: one :class:`Section` per heading.

A heading is a line at column 0 followed by an underline of one repeated punctuation
character at least as long as the line (optionally with an identical overline), after a
blank line. Levels follow the order in which underline styles first appear in a file,
as docutils assigns them. A section's ``text`` is its own body only, up to the next
heading of any level; nested sections are sections of their own, with the enclosing
sections' keys in ``parents``. Inline markup is reduced to its visible text
(``:role:`text <target>``` -> ``text``, ````code```` -> ``code``), label and link-target
lines are dropped, and directives keep their argument where it is content
(``.. class:: Model`` -> ``Model``) and lose it where it is not (``code-block``).

:class:`Section` is the record the HTML parser (``dev_suite_html``) produces too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

UNDERLINE_RE = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}\s*$")
LABEL_RE = re.compile(r"^\s*\.\. (_[^:]*:|\|[^|]+\|).*$")
DIRECTIVE_RE = re.compile(r"^(\s*)\.\. ([\w:.-]+)::\s*(.*)$")
OPTION_RE = re.compile(r"^\s+:[\w-]+:(\s.*)?$")
#: Directives whose argument is a language, a path or a layout hint, not content.
DROP_ARGUMENT = frozenset(
    {
        "code-block",
        "code",
        "sourcecode",
        "highlight",
        "toctree",
        "image",
        "figure",
        "literalinclude",
        "include",
        "contents",
        "raw",
        "csv-table",
        "list-table",
        "table",
    }
)
ROLE_TITLE_RE = re.compile(r":[\w:.+-]+:`([^`<]*?)\s*<[^`>]*>`")
ROLE_RE = re.compile(r":[\w:.+-]+:`([~!]?)([^`]*)`")
LINK_RE = re.compile(r"`([^`<]*?)\s*<[^`>]*>`_{1,2}")
REF_RE = re.compile(r"`([^`]+)`_{1,2}")
LITERAL_RE = re.compile(r"``(.+?)``")
STRONG_RE = re.compile(r"\*\*(.+?)\*\*")


@dataclass(frozen=True)
class Section:
    """One heading of one page: ``key`` = ``path#slug``, ``parents`` = enclosing keys."""

    path: str
    slug: str
    title: str
    text: str
    level: int
    parents: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.path}#{self.slug}"


def slugify(title: str) -> str:
    """``"How do I cite Django?"`` -> ``"how-do-i-cite-django"`` (ASCII, at most 80 chars)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:80].rstrip("-") or "section"


def clean_inline(text: str) -> str:
    """The visible text of RST inline markup (roles, literals, links, strong emphasis)."""
    text = ROLE_TITLE_RE.sub(r"\1", text)
    text = ROLE_RE.sub(
        lambda m: m.group(2).rsplit(".", 1)[-1] if m.group(1) == "~" else m.group(2), text
    )
    text = LINK_RE.sub(r"\1", text)
    text = LITERAL_RE.sub(r"\1", text)
    text = REF_RE.sub(r"\1", text)
    return STRONG_RE.sub(r"\1", text)


def clean_body(lines: list[str]) -> str:
    """Body lines -> plain text: labels and directive options dropped, markup reduced."""
    out: list[str] = []
    in_options = False
    for raw in lines:
        line = raw.rstrip()
        if LABEL_RE.match(line):
            continue
        directive = DIRECTIVE_RE.match(line)
        if directive:
            indent, name, argument = directive.groups()
            in_options = True
            if argument and name not in DROP_ARGUMENT:
                out.append(indent + argument)
            continue
        if in_options and OPTION_RE.match(line):
            continue
        in_options = False
        if line.endswith("::"):
            line = line[:-1].rstrip(": ") + ":" if line.strip() != "::" else ""
        out.append(clean_inline(line))
    text = "\n".join(out).strip("\n")
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", text)


def is_heading(lines: list[str], i: int) -> bool:
    """True when ``lines[i]`` is a title whose underline is ``lines[i + 1]``."""
    if i + 1 >= len(lines):
        return False
    title, under = lines[i].rstrip(), lines[i + 1].rstrip()
    if not title or title[0].isspace() or UNDERLINE_RE.match(title):
        return False
    if not UNDERLINE_RE.match(under) or len(under) < len(title):
        return False
    before = lines[i - 1].rstrip() if i > 0 else ""
    if not before:
        return True
    over_ok = before == under and (i < 2 or not lines[i - 2].strip())
    return over_ok


def find_headings(lines: list[str]) -> list[tuple[int, int, str, str]]:
    """``(first line of the heading block, first body line, title, style)`` per heading."""
    found = []
    for i in range(len(lines)):
        if not is_heading(lines, i):
            continue
        under = lines[i + 1].rstrip()
        overlined = i > 0 and lines[i - 1].rstrip() == under
        style = ("over" if overlined else "under") + under[0]
        found.append((i - 1 if overlined else i, i + 2, lines[i].strip(), style))
    return found


def parse_rst(path: str, source: str) -> list[Section]:
    """The sections of one RST file; ``path`` is its name without ``.txt`` (``faq/general``)."""
    lines = source.splitlines()
    headings = find_headings(lines)
    styles: list[str] = []
    stack: list[tuple[int, str]] = []  # (level, key) of the enclosing sections
    seen: dict[str, int] = {}
    sections = []
    for n, (_start, body_start, raw_title, style) in enumerate(headings):
        if style not in styles:
            styles.append(style)
        level = styles.index(style) + 1
        end = headings[n + 1][0] if n + 1 < len(headings) else len(lines)
        title = clean_inline(raw_title)
        slug = slugify(title)
        seen[slug] = seen.get(slug, 0) + 1
        slug = slug if seen[slug] == 1 else f"{slug}-{seen[slug]}"
        while stack and stack[-1][0] >= level:
            stack.pop()
        text = clean_body(lines[body_start:end])
        parents = tuple(key for _, key in stack)
        sections.append(Section(path, slug, title, text, level, parents))
        stack.append((level, f"{path}#{slug}"))
    return sections


def parse_rst_tree(root: Path, skip: frozenset[str] = frozenset()) -> list[Section]:
    """Sections of every ``root/**/*.txt`` with headings (sorted by path; ``skip`` names)."""
    sections: list[Section] = []
    for file in sorted(root.rglob("*.txt")):
        rel = file.relative_to(root).with_suffix("").as_posix()
        if rel in skip:
            continue
        sections.extend(parse_rst(rel, file.read_text(encoding="utf-8", errors="replace")))
    return sections
