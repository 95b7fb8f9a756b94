"""Stored text as a reader should see it: markup turned into plain text, and section
labels that are headings. Pure functions over strings, no parser imports.

Chunks keep the text they were indexed with: retrieval reads that text, and reading reST
as reST at index time scored lower on the dev suite than the raw text (the reST-cleaning
topic of ``docs/results/README.md``). The pages and the CLI show a chunk through
:func:`readable_text` instead, so what a reader sees carries no markup while what the
encoders saw stays exactly as it was:

- reST roles become their visible text (``:ref:`filters <howto-filters>``` ->
  ``filters``, :func:`indexer.rst_text.role_text`); inline literals, interpreted text,
  hyperlink references (``\\`text <url>\\`_``, ``\\`text\\`__``), strong and emphasis
  lose their markers; a paragraph's closing ``::`` reads ``:``;
- directive lines go: code directives (``.. code-block:: python``) leave their code,
  admonitions read ``Note:``/``Warning: …``, version notes ``New in version 5.0.``,
  API entries (``.. method:: Library.filter()``) their signature; navigation and index
  directives (``toctree``, ``index``...) go with their options and indented bodies;
  labels, comments, substitution definitions and anonymous targets go too;
- title under- and overlines (``=====``) and Markdown fences go; Markdown link syntax
  (``[text](url)``) becomes its text (``#`` lines stay: in code they are comments).

HTML is not touched: a chunk of an HTML page holds its text already, and a ``<tag>`` in a
chunk is content (a template example) that the pages show inert.

:func:`heading_label` decides whether a partitioner's ``Title`` is a heading (used at
index time by :mod:`indexer.chunk_pieces` and at display time for older indexes).
"""

from __future__ import annotations

import re

from indexer.rst_text import (
    CODE_DIRECTIVES,
    DIRECTIVE_RE,
    DROP_DIRECTIVES,
    ROLE_RE,
    VERSION_DIRECTIVES,
    role_text,
)

#: A line of one punctuation character repeated: a title's under- or overline, a rule, a
#: simple table's border (runs split by spaces), a grid table's ``+----+`` border (quotes,
#: backticks, colons and dots four times or more: ``"""`` is a docstring).
RULE_LINE = re.compile(
    r"^\s*(?:([=\-~^#*+_!])\1{2,}(?:\s+\1{2,})*|([\"'`:.])\2{3,}|\+(?:[-=]+\+)+)\s*$"
)
#: The same inside a line, where a partitioner joined a title and its underline.
_INLINE_RULE = re.compile(r"^([=~^#*_+\-])\1{3,}(?:\s+|$)|\s+([=~^#*_+\-])\2{3,}(?=\s|$)")
_LABEL = re.compile(r"^\s*\.\. (?:_[^:]*:|\|[^|]+\|)(?:\s.*)?$")
_COMMENT = re.compile(r"^\s*\.\.(?:\s.*)?$")
_ANONYMOUS_TARGET = re.compile(r"^\s*__(?:\s.*)?$")
_OPTION = re.compile(r"^\s*:(?P<name>[\w-]+):(?:\s+(?P<value>.*))?$")
_FIELD = re.compile(
    r"^(?P<indent>\s*):(?P<name>[A-Za-z][\w-]*)(?P<args>\s[^:`]+)?:(?:\s+(?P<value>.*))?$"
)
#: Options of the directives Sphinx pages use (``:maxdepth: 2``, ``:caption: file.py``).
DIRECTIVE_OPTIONS = frozenset(
    [
        "maxdepth",
        "caption",
        "name",
        "class",
        "linenos",
        "lineno-start",
        "emphasize-lines",
        "dedent",
        "force",
        "glob",
        "hidden",
        "titlesonly",
        "numbered",
        "includehidden",
        "reversed",
        "width",
        "height",
        "alt",
        "align",
        "scale",
        "target",
        "header-rows",
        "widths",
        "stub-columns",
        "language",
        "module",
        "platform",
        "synopsis",
        "noindex",
        "no-index",
        "deprecated",
        "async",
        "classmethod",
        "staticmethod",
        "abstractmethod",
        "final",
        "value",
        "annotation",
        "local",
        "depth",
        "backlinks",
        "selected",
        "label",
        "encoding",
    ]
)
#: Sphinx info fields as a reader sees them.
FIELD_NAMES = {
    "param": "Parameter",
    "parameter": "Parameter",
    "arg": "Argument",
    "type": "Type",
    "rtype": "Return type",
    "returns": "Returns",
    "return": "Returns",
    "raises": "Raises",
    "raise": "Raises",
}
_FENCE = re.compile(r"^\s*(?:```|~~~)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_INLINE_DIRECTIVE = re.compile(r"(?:^|(?<=\s))\.\. [A-Za-z][\w:.+-]*::\s*")
_LITERAL = re.compile(r"(?<!`)``(?!`)([^`]+?)(?<!`)``(?!`)")
_TITLED_REF = re.compile(r"`([^`<>\n]+?)\s*<[^`>\n]*>`_{0,2}")
_REF = re.compile(r"`([^`\n]+)`__?(?!\w)")
_INTERPRETED = re.compile(r"(?<![`\w])_?`([^`\n]+)`(?![`\w])")
_STRONG = re.compile(r"\*\*([^\s*](?:[^*\n]*?[^\s*])?)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*\\])\*([^\s*](?:[^*\n]*?[^\s*])?)\*(?![\w*])")
_DANGLING_STRONG = re.compile(r"^(\s*)\*\*(?=[A-Z\s]|$)|(?<=\S)\*\*\s*$")
_FOOTNOTE = re.compile(r"\s?\[(?:#\w*|\d+|\*)\]_")
_MD_LINK = re.compile(r"!?\[([^\]\n]+)\]\([^)\s]+\)")
_ESCAPE = re.compile(r"\\([*_`|\\])")
_DOUBLE_COLON = re.compile(r"(?<=\S)::\s*$|^\s*::\s*$|\s+::(?=\s|$)")
_BLANKS = re.compile(r"\n{3,}")
ADMONITIONS = {
    "note": "Note:",
    "warning": "Warning:",
    "tip": "Tip:",
    "hint": "Hint:",
    "important": "Important:",
    "caution": "Caution:",
    "danger": "Danger:",
    "attention": "Attention:",
    "error": "Error:",
    "seealso": "See also:",
    "admonition": "",
}


def readable_text(text: str) -> str:
    """``text`` without reST/Markdown markup, line structure kept (see the module doc)."""
    out: list[str] = []
    text = ROLE_RE.sub(lambda m: role_text(m.group("role"), m.group("body")), text)
    lines = _LITERAL.sub(r"\1", text).splitlines()  # both: they may run over lines
    i = 0
    while i < len(lines):
        kept, i = _line(lines, i, out)
        if kept is not None:
            out.append(readable_inline(kept).rstrip())
    return _BLANKS.sub("\n\n", "\n".join(out)).strip("\n")


def _line(lines: list[str], i: int, out: list[str]) -> tuple[str | None, int]:
    """``(what line i becomes or None, the next line to read)``."""
    line = lines[i]
    if RULE_LINE.match(line) or _LABEL.match(line) or _FENCE.match(line):
        return None, i + 1
    if _ANONYMOUS_TARGET.match(line):
        return None, i + 1
    directive = DIRECTIVE_RE.match(line)
    if directive:
        return _directive(lines, i, directive)
    if _COMMENT.match(line):
        return None, i + 1
    option = _OPTION.match(line)
    if option and _after_directive(out, lines, i):
        value = option.group("value") or ""
        return (value if option.group("name") == "caption" and value else None), i + 1
    field = _FIELD.match(line)
    if field:  # a field list (``:param x: ...``, ``:rtype: ...``): its name as words
        name = FIELD_NAMES.get(field.group("name"), field.group("name"))
        value = f" {field.group('value')}" if field.group("value") else ""
        return f"{field.group('indent')}{name}{field.group('args') or ''}:{value}", i + 1
    return line, i + 1


def _after_directive(out: list[str], lines: list[str], i: int) -> bool:
    """Whether line ``i`` (``:name: value``) is a directive's option: after the directive
    and its other options, or, with a directive option's name, opening the text (a chunk
    cut right after its directive)."""
    j = i - 1
    while j >= 0 and (not lines[j].strip() or _OPTION.match(lines[j])):
        j -= 1
    if j >= 0:
        return bool(DIRECTIVE_RE.match(lines[j]))
    option = _OPTION.match(lines[i])
    return option is not None and option.group("name") in DIRECTIVE_OPTIONS


def _directive(lines: list[str], i: int, match: re.Match[str]) -> tuple[str | None, int]:
    """A directive line as text (or None), and where reading goes on."""
    name = match.group("name").rsplit(":", 1)[-1]
    arg = (match.group("arg") or "").strip()
    if name in DROP_DIRECTIVES:
        return None, _body_end(lines, i, len(match.group("indent")))
    if name in CODE_DIRECTIVES:
        return None, i + 1
    if name in VERSION_DIRECTIVES:
        version, _, rest = arg.partition(" ")
        return VERSION_DIRECTIVES[name].format(version) + (f" {rest}" if rest else ""), i + 1
    if name in ADMONITIONS:
        label = ADMONITIONS[name]
        return (f"{label} {arg}".strip() if label or arg else None), i + 1
    return (arg or None), i + 1


def _body_end(lines: list[str], i: int, indent: int) -> int:
    """The line after a dropped directive's options and indented body."""
    end = i + 1
    while end < len(lines):
        line = lines[end]
        indented = len(line) - len(line.lstrip()) > indent
        if line.strip() and not indented and not _OPTION.match(line):
            break
        end += 1
    return end


def readable_inline(text: str) -> str:
    """One line (or a run of text) without inline reST/Markdown markup."""
    text = ROLE_RE.sub(lambda m: role_text(m.group("role"), m.group("body")), text)
    text = _INLINE_DIRECTIVE.sub("", text)
    text = _LITERAL.sub(r"\1", text)
    text = _TITLED_REF.sub(r"\1", text)
    text = _REF.sub(r"\1", text)
    text = _INTERPRETED.sub(r"\1", text)
    text = _STRONG.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\1", text)
    text = _DANGLING_STRONG.sub(r"\1", text)
    text = _FOOTNOTE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _INLINE_RULE.sub("", text)
    text = _DOUBLE_COLON.sub(lambda m: ":" if m.group(0).startswith(":") else "", text)
    return _ESCAPE.sub(r"\1", text)


#: A label longer than this many words is a sentence, not a heading.
MAX_HEADING_WORDS = 14
MAX_HEADING_CHARS = 120
#: Lines of code: keywords that open a statement, decorators, prompts, template tags,
#: markup tags, assignments and calls with arguments.
_CODE = re.compile(
    r"^(?:(?:def|class|async|return|import|from\s+\S+\s+import|if|elif|else|for|while|try|"
    r"except|finally|with|raise|yield|lambda|print)\b|self\.|@|>>>|\$\s|\{%|\{\{|<[A-Za-z!/?])"
    r"|\{%|%\}|\{\{|\}\}|[^=!<>]=[^=]|;\s*$|[{}]|\w\([^)]*[=\"'][^)]*\)|^[\w.]+\.\w+\(.*\)$"
)
#: A single word that names a file or folder (``polls/``, ``__init__.py``).
_PATH = re.compile(
    r"^[\w.-]*(?:/[\w.-]*)+$|^[\w-]*\.(?:py|html?|txt|rst|md|json|cfg|toml|ya?ml|js|css)$"
)


def heading_label(title: str) -> str:
    """``title`` (a partitioner's ``Title`` element or a stored section) as a section
    label without markup, or ``""`` when it is not a heading: an option (``:maxdepth:
    2``), a directive or label, a line of code or markup, a file name, a sentence (ends
    with ``.``), a lead-in (ends with ``:``), or longer than ``MAX_HEADING_WORDS`` words.
    """
    raw = " ".join(line.strip() for line in title.splitlines() if not RULE_LINE.match(line))
    if not raw or raw.startswith(("..", ":", "__", "|", ">>>")) or _OPTION.match(raw):
        return ""
    text = " ".join(readable_inline(_MD_HEADING.sub("", raw)).split()).strip(" *")
    if not text or len(text) > MAX_HEADING_CHARS or len(text.split()) > MAX_HEADING_WORDS:
        return ""
    if text.endswith((".", ":", ",", ";", "(", "\\")) or text[0] in "([{-+*#|":
        return ""
    if _CODE.search(text) or _PATH.match(text):
        return ""
    return text
