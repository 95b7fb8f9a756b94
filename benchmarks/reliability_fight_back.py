"""Reliability sections for untrusted folders and UI writes (used by reliability_report.py).

``fight_back`` runs the real ``distilsearch index`` over a folder that fights back (a file
it may not read, a FIFO, a link to a secret outside the folder, a name with a newline)
without root's read-any-file rights, then searches for the secret. ``ui_writes`` tries
each UI write through ``SearchService`` with writes off, with a wrong key and the right one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "root:x:0:0 secret-canary"
KEY = "operator-key-for-the-report"


def _no_read_override() -> list[str]:
    """Run as root with file permissions enforced (setpriv drops the DAC override)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"] if setpriv else []


def _write_folder(tmp: Path) -> tuple[Path, dict[str, str]]:
    folder, outside = tmp / "fights-back", tmp / "outside"
    folder.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + "\n")
    (folder / "good.txt").write_text("Herons wade in the shallow river.\n")
    (folder / "locked.txt").write_text("Nobody may read this file.\n")
    (folder / "locked.txt").chmod(0)
    os.mkfifo(folder / "pipe.txt")
    os.symlink(outside / "secret.txt", folder / "passwd-link.txt")
    (folder / "new\nline.txt").write_text("Otters live by the river.\n")
    expected = {
        "good.txt": "indexed",
        "locked.txt": "failed",
        "pipe.txt": "skipped",
        "passwd-link.txt": "skipped",
        "new\\x0aline.txt": "indexed",
    }
    return folder, expected


def _cli(args: list[str], env: dict[str, str], prefix: list[str]) -> subprocess.CompletedProcess:
    command = [*prefix, sys.executable, "-m", "shell.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


def fight_back(tmp: Path) -> list[dict]:
    """Index the folder with the real CLI, then look for the secret through search."""
    folder, expected = _write_folder(tmp)
    env = dict(
        os.environ,
        DISTILSEARCH_DATA_DIR=str(tmp / "fb-data"),
        MILVUS_URI=str(tmp / "fb-data" / "milvus.db"),
    )
    prefix = _no_read_override()
    report = tmp / "fb-report.json"
    _cli(["index", str(folder), "--report", str(report)], env, prefix)
    files = json.loads(report.read_text())["files"]
    rows = [_row(e["path"].rsplit("/", 1)[-1], expected, e["status"], e["reason"]) for e in files]
    found = _cli(["search", SECRET, "--json", "-k", "10"], env, prefix)
    enforced = bool(prefix) or os.geteuid() != 0
    got = "found" if SECRET in found.stdout else "not found"
    search = {"(search for the secret)": "not found"}
    rows.append(_row("(search for the secret)", search, got, f"permissions enforced: {enforced}"))
    return rows


def _row(name: str, expected: dict[str, str], got: str, reason: str) -> dict:
    wanted = expected.get(name, "?")
    return {"file": name, "expected": wanted, "got": got, "ok": wanted == got, "reason": reason}


def ui_writes(tmp: Path) -> list[dict]:
    """Each UI write under three operator settings; what went through."""
    from core.settings import load_settings
    from usecases.search import SearchService

    writes_on = {"DISTILSEARCH_UI_WRITES": "1", "DISTILSEARCH_UI_SECRET": KEY}
    cases = [
        ("writes off (default)", {}, KEY, "refused"),
        ("writes on, wrong key", writes_on, "guess-guess-guess", "refused"),
        ("writes on, right key", writes_on, KEY, "done"),
    ]
    rows = []
    for number, (label, extra, key, expected) in enumerate(cases):
        env = {"DISTILSEARCH_DATA_DIR": str(tmp / f"writes-{number}"), **extra}
        service = SearchService.from_settings(load_settings(env))
        try:
            for outcome in _try_writes(service, key):
                ok = outcome["outcome"].startswith(expected)
                rows.append({"setting": label, "expected": expected, "ok": ok, **outcome})
        finally:
            service.close()
    return rows


def _try_writes(service, key: str) -> list[dict]:
    """Upload then delete one note with ``key``; each write's outcome."""
    from usecases.access import WriteRefusedError

    outcomes = []
    for action in ("upload", "delete"):
        try:
            if action == "upload":
                note = [("note.md", b"# Note\n\nA heron.\n")]
                service.library.index_uploads(note, ["teacher"], key=key)
            else:
                service.library.delete_source("note.md", key=key)
            outcomes.append({"write": action, "outcome": "done"})
        except WriteRefusedError as exc:
            outcomes.append({"write": action, "outcome": f"refused: {exc}"})
    return outcomes


def render(fight: list[dict], writes: list[dict]) -> list[str]:
    """Markdown sections for the report."""
    out = [
        "",
        "## Files that fight back",
        "",
        "The real `distilsearch index` over a folder holding a file it may not read (mode "
        "000, run without root's read-any-file rights), a FIFO, a link to a secret outside "
        "the folder and a file name with a newline; then `distilsearch search` for the "
        "secret.",
        "",
        "| file | expected | got | reason |",
        "|---|---|---|---|",
    ]
    for row in fight:
        mark = "" if row["ok"] else " **UNEXPECTED**"
        reason = str(row["reason"])[:90].replace("|", "/")
        out.append(f"| `{row['file']}` | {row['expected']} | {row['got']}{mark} | {reason} |")
    out += [
        "",
        "## Writes from the UI",
        "",
        "Every write the UI offers, through `SearchService` as the pages call it.",
        "",
        "| operator setting | write | expected | outcome |",
        "|---|---|---|---|",
    ]
    out += [
        f"| {r['setting']} | {r['write']} | {r['expected']} | {r['outcome'][:100]}"
        f"{'' if r['ok'] else ' **UNEXPECTED**'} |"
        for r in writes
    ]
    return out
