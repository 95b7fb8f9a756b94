"""``distill_meta.json``: the one reader and writer of a distilled student's record.

``distill`` writes it into the student's folder (and copies it into every export); the
pairing rule reads the teacher's weight fingerprint from it, the pages read the recorded
agreement estimate, ``distilsearch agreement --write`` adds one. Everything goes through
:class:`StudentMeta`, so the file's name, size bound and keys live in one place.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

META_NAME = "distill_meta.json"
#: A metadata file larger than this is not read (an export's is a few KB).
MAX_META_BYTES = 1 << 20
TEACHER_FINGERPRINT = "teacher_fingerprint"
AGREEMENT = "agreement"
#: The label-free frontier ``distill`` measures on the user's documents:
#: ``{"rows": [{"encoder", "queries", "docs_per_s", "speed_ratio", "agreement",
#: "recommended"}], "threshold": float, "recommended": encoder name}``.
FRONTIER = "frontier"


class StudentMetaError(ValueError):
    """A folder's ``distill_meta.json`` is missing, unreadable or not a JSON object."""


@dataclass(frozen=True)
class StudentMeta:
    """The record in ``folder``; ``data`` is the parsed JSON object."""

    folder: Path
    data: Mapping[str, Any] = field(default_factory=dict)

    @staticmethod
    def path(folder: Path) -> Path:
        return Path(folder) / META_NAME

    @classmethod
    def exists(cls, folder: Path) -> bool:
        return cls.path(folder).is_file()

    @classmethod
    def read(cls, folder: Path) -> StudentMeta:
        """The record in ``folder``; :class:`StudentMetaError` naming the file otherwise."""
        path = cls.path(folder)
        if not path.is_file():
            raise StudentMetaError(
                f"{folder} has no {META_NAME}: only a student exported by "
                "`distilsearch distill` records which teacher it learned from"
            )
        try:
            if path.stat().st_size > MAX_META_BYTES:
                raise StudentMetaError(f"{path} is larger than {MAX_META_BYTES} bytes")
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StudentMetaError(f"cannot read {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise StudentMetaError(f"{path} does not hold a JSON object")
        return cls(Path(folder), data)

    @classmethod
    def read_optional(cls, folder: Path | None) -> StudentMeta | None:
        """The record, or None when there is no folder, no file, or it cannot be read
        (logged)."""
        if folder is None or not cls.exists(folder):
            return None
        try:
            return cls.read(folder)
        except StudentMetaError as exc:
            logger.info("%s", exc)
            return None

    def write(self) -> StudentMeta:
        """Write ``data`` to the folder (sorted keys, one file); returns ``self``."""
        text = json.dumps(dict(self.data), indent=2, sort_keys=True, default=str) + "\n"
        self.path(self.folder).write_text(text, encoding="utf-8")
        return self

    def updated(self, **fields: Any) -> StudentMeta:
        """A copy with ``fields`` merged in (not written)."""
        return StudentMeta(self.folder, {**self.data, **fields})

    @property
    def teacher_fingerprint(self) -> str | None:
        value = self.data.get(TEACHER_FINGERPRINT)
        return value if isinstance(value, str) and value else None

    @property
    def teacher(self) -> str:
        """The teacher to load: its folder while it exists, else its name, else
        ``"teacher"`` (the registry's)."""
        folder = self.data.get("teacher_dir")
        if isinstance(folder, str) and Path(folder).is_dir():
            return folder
        name = self.data.get("teacher")
        return name if isinstance(name, str) and name else "teacher"

    @property
    def training_max_seq_length(self) -> int | None:
        config = self.data.get("config")
        value = config.get("max_seq_length") if isinstance(config, dict) else None
        return int(value) if isinstance(value, int | float) else None

    @property
    def agreement(self) -> dict[str, Any] | None:
        block = self.data.get(AGREEMENT)
        return block if isinstance(block, dict) else None

    @property
    def training(self) -> dict[str, Any]:
        block = self.data.get("training")
        return block if isinstance(block, dict) else {}

    @property
    def undertrained(self) -> bool:
        """Whether training stopped on its time ceiling before its step budget."""
        return bool(self.training.get("undertrained"))

    @property
    def frontier(self) -> dict[str, Any] | None:
        block = self.data.get(FRONTIER)
        return block if isinstance(block, dict) and isinstance(block.get("rows"), list) else None
