"""reStructuredText and its Sphinx extensions, reduced to what a reader of the page sees.

Pure functions, no parser imports. :func:`looks_like_rst` tells reST from plain text by
its markup; :func:`prepare_rst` rewrites what a plain reST reader (pandoc, through
``unstructured``'s RST partitioner) would show as markup or lose:

- roles become their visible text: ``:ref:`custom filters <howto-filters>``` ->
  ``custom filters``, ``:class:`~django.template.Library``` -> ``Library``,
  ``:setting:`DEBUG``` -> ``DEBUG``, ``:rfc:`2616``` -> ``RFC 2616``;
- Sphinx directives with no text of their own (``toctree``, ``index``, ``highlight``,
  ``currentmodule``, Django's ``setting``/``templatetag``/... targets) are dropped with
  their bodies; ``versionadded:: 5.0`` reads ``New in version 5.0.``; ``console`` and
  ``snippet`` blocks become code blocks; ``.. class:: Model`` keeps ``Model`` (plain
  reST's ``class`` directive would swallow it).

Directives that read other files (``include``, ``literalinclude``, any with a ``:file:``
or ``:url:`` option) are dropped: an indexed page never pulls in another file (pandoc
also runs sandboxed). Code (literal blocks after ``::`` and code directives) is never
touched. Literals,
headings, lists, tables, comments, labels and substitutions are left to the reader.
"""

from __future__ import annotations

import itertools
import re

#: A role: ``:name:`body``` (not inside a word, not a ``:...:``...``` literal).
ROLE_RE = re.compile(
    r"(?<![\w`\\]):(?P<role>[A-Za-z][\w.+-]*(?::[\w.+-]+)*):`(?P<body>[^`]+)`(?!`)"
)
TITLED_RE = re.compile(r"^(?P<title>.*?\S)\s*<(?P<target>[^<>]+)>$", re.S)
LITERAL_RE = re.compile(r"``.+?``")
DIRECTIVE_RE = re.compile(r"^(?P<indent>\s*)\.\. (?P<name>[A-Za-z][\w:.+-]*)::(?P<arg>\s.*)?$")
HEADING_RE = re.compile(r"^([=\-~^\"'`#*+_:.!])\1{2,}\s*$")
ROLE_MARK_RE = re.compile(r"(?<![\w`]):[A-Za-z][\w.+:-]*:`[^`\n]+`")
DIRECTIVE_MARK_RE = re.compile(r"^\s*\.\. [A-Za-z][\w:.+-]*::", re.M)
LABEL_MARK_RE = re.compile(r"^\.\. _[^:\n]+:(\s|$)", re.M)
LITERAL_MARK_RE = re.compile(r"``[^`\n]+``")

#: Directives whose body is code: kept verbatim.
CODE_DIRECTIVES = frozenset(
    {
        "code-block",
        "code",
        "sourcecode",
        "doctest",
        "parsed-literal",
        "console",
        "snippet",
        "testcode",
        "testoutput",
        "productionlist",
        "math",
    }
)
#: Sphinx directives that show no text of their own (navigation, index entries,
#: default languages, cross-reference targets): dropped with their bodies.
DROP_DIRECTIVES = frozenset(
    {
        "toctree",
        "index",
        "highlight",
        "currentmodule",
        "sectionauthor",
        "moduleauthor",
        "setting",
        "templatetag",
        "templatefilter",
        "fieldlookup",
        "only",
        "tabularcolumns",
        "include",
        "literalinclude",  # they read other files: never from an indexed page
    }
)
#: Directives that read a file or URL when given one of these options: then dropped.
FILE_OPTION_RE = re.compile(r"^\s+:(file|url|source):", re.M)
VERSION_DIRECTIVES = {
    "versionadded": "New in version {}.",
    "versionchanged": "Changed in version {}.",
    "deprecated": "Deprecated since version {}.",
    "versionremoved": "Removed in version {}.",
}
#: Directives a plain reST reader knows by another meaning: renamed to a generic one.
RENAMED = {"class": "py-class", "role": "py-role"}
#: Characters that reST would read as markup in text a role becomes.
_SPECIAL = re.compile(r"([\\`*|_])")


def looks_like_rst(text: str) -> bool:
    """Whether ``text`` carries reStructuredText markup (not just plain prose).

    Two signals among roles, directives, ``.. _labels:`` and ````literals````, or one of
    them under a heading underlined with punctuation, make it reST.
    """
    head = text[:8192]
    signals = sum(
        min(len(pattern.findall(head)), 2)
        for pattern in (ROLE_MARK_RE, DIRECTIVE_MARK_RE, LABEL_MARK_RE, LITERAL_MARK_RE)
    )
    if signals >= 2:
        return True
    lines = head.splitlines()
    headed = any(
        HEADING_RE.match(under)
        and lines[i].strip()
        and len(under.rstrip()) >= len(lines[i].strip())
        for i, under in enumerate(lines[1:])
    )
    return signals >= 1 and headed


def role_text(role: str, body: str) -> str:
    """What Sphinx shows for ``:role:`body```: the title of ``title <target>``, the last
    part of ``~a.b.c``, ``RFC n`` / ``PEP n``, else the body (``!`` dropped)."""
    titled = TITLED_RE.match(body)
    if titled:
        return " ".join(titled.group("title").split())
    body = " ".join(body.split()).lstrip("!")
    name = role.rsplit(":", 1)[-1]
    if name in ("rfc", "pep"):
        return f"{name.upper()} {body}"
    if body.startswith("~"):
        return body[1:].rsplit(".", 1)[-1] if "(" not in body else _last_dotted(body[1:])
    if name == "doc":
        return body.rstrip("/").rsplit("/", 1)[-1]
    if name == "ref":
        return body.replace("-", " ")
    return body


def _last_dotted(body: str) -> str:
    """``a.b.c(x.y)`` -> ``c(x.y)``: the last dotted part before any call."""
    name, paren, rest = body.partition("(")
    return name.rsplit(".", 1)[-1] + paren + rest


def clean_roles(line: str) -> str:
    """``line`` with each role replaced by its visible text, escaped as reST text.

    Roles inside ````inline literals```` are left alone.
    """
    out, last = [], 0
    for literal in LITERAL_RE.finditer(line):
        out += [_roles_in(line[last : literal.start()]), literal.group(0)]
        last = literal.end()
    out.append(_roles_in(line[last:]))
    return "".join(out)


def _roles_in(text: str) -> str:
    return ROLE_RE.sub(
        lambda m: _SPECIAL.sub(r"\\\1", role_text(m.group("role"), m.group("body"))), text
    )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """Index after the block below ``lines[start]``: its blank lines and lines indented
    deeper than ``indent`` (trailing blank lines are not part of it)."""
    end = start + 1
    last = start
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        if lines[end].strip():
            last = end
        end += 1
    return last + 1


def _directive(lines: list[str], i: int, match: re.Match[str]) -> tuple[list[str], int]:
    """``(lines to emit, index of the next line to read)`` for the directive at ``i``."""
    indent, name = match.group("indent"), match.group("name")
    arg = (match.group("arg") or "").strip()
    end = _block_end(lines, i, len(indent))
    options = itertools.takewhile(str.strip, lines[i + 1 : end])
    if name in DROP_DIRECTIVES or FILE_OPTION_RE.search("\n".join(options)):
        return [], end
    if name in CODE_DIRECTIVES:
        language = "console" if name == "console" else arg if name != "snippet" else "python"
        code = "code-block" if name in ("console", "snippet") else name
        head = f"{indent}.. {code}::" + (f" {language}" if language else "")
        return [head, *lines[i + 1 : end]], end
    if name in VERSION_DIRECTIVES:
        version, _, rest = arg.partition(" ")
        arg = VERSION_DIRECTIVES[name].format(version) + (f" {rest}" if rest else "")
    name = RENAMED.get(name, name)
    head = f"{indent}.. {name}::" + (f" {clean_roles(arg)}" if arg else "")
    return [head], i + 1


def prepare_rst(text: str) -> str:
    """``text`` with Sphinx roles and directives rewritten for a plain reST reader (see
    the module docstring); code blocks and everything else unchanged.

    Roles are replaced paragraph by paragraph, so one broken over lines is found too.
    """
    lines = text.splitlines()
    out: list[str] = []
    prose: list[str] = []

    def flush() -> None:
        if prose:
            out.extend(clean_roles("\n".join(prose)).split("\n"))
            prose.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        match = DIRECTIVE_RE.match(line)
        if match:
            flush()
            emitted, i = _directive(lines, i, match)
            out += emitted
            continue
        prose.append(line)
        i += 1
        if not line.strip():
            flush()
        elif line.rstrip().endswith("::") and not line.lstrip().startswith(".."):
            flush()
            end = _block_end(lines, i - 1, _indent(line))
            out += lines[i:end]
            i = end
    flush()
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")
