"""Who may change the index from the UI: nobody unless the operator turns writes on.

Uploads, deletes and evaluation runs are writes. They are off by default (a served UI
is read-only, whoever reaches its port); ``DISTILSEARCH_UI_WRITES=1`` with
``DISTILSEARCH_UI_SECRET`` (or ``distilsearch serve --allow-writes``) turns them on behind
that shared key. The service checks the key on every write, so a page that forgot to ask
still cannot write.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from core.settings import Settings

READ_ONLY = (
    "this UI is read-only: the operator turns writes on with `distilsearch serve "
    "--allow-writes` (or DISTILSEARCH_UI_WRITES=1 and DISTILSEARCH_UI_SECRET)"
)


class WriteRefusedError(PermissionError):
    """A write without writes enabled, or without the right key."""


@dataclass(frozen=True)
class WriteAccess:
    """Whether writes are on, and the key that unlocks them."""

    enabled: bool = False
    secret: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> WriteAccess:
        return cls(settings.ui_writes, settings.ui_secret)

    def allows(self, key: str | None) -> bool:
        """True when writes are on and ``key`` is the operator's key."""
        if not self.enabled or not self.secret or not key:
            return False
        return hmac.compare_digest(key.encode("utf-8"), self.secret.encode("utf-8"))

    def check(self, key: str | None) -> None:
        """Raise :class:`WriteRefusedError` unless :meth:`allows` ``key``."""
        if not self.enabled:
            raise WriteRefusedError(READ_ONLY)
        if not self.allows(key):
            raise WriteRefusedError("the write key is missing or wrong")
