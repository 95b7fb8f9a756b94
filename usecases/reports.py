"""Evaluation reports for the UI: find them under the report roots, run a small one.

The report itself (schema, tolerant loading, drill-down) is
:class:`evaluation.EvalReport`; this module only knows where reports live and how the
service's store and encoders run a quick evaluation on a BEIR subsample.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from evaluation import JSON_NAME, EvalReport
from usecases.workspace import IndexContext

logger = logging.getLogger(__name__)


class ReportCatalog:
    """Reports on disk, and small evaluations run through the service's store and encoders."""

    def __init__(self, index: IndexContext) -> None:
        self._ctx = index

    @property
    def roots(self) -> list[Path]:
        return [Path("reports"), self._ctx.settings.data_dir / "reports"]

    def find(self) -> list[Path]:
        """Folders holding a ``report.json`` under the report roots, newest first."""
        found = {
            p.parent.resolve()
            for root in self.roots
            if root.is_dir()
            for p in [*root.glob(JSON_NAME), *root.glob(f"*/{JSON_NAME}")]
        }
        return sorted(found, key=lambda p: (p / JSON_NAME).stat().st_mtime, reverse=True)

    def load(self, folder: Path) -> EvalReport:
        """The report in ``folder`` (tolerant; ``ReportError`` without readable JSON)."""
        return EvalReport.load(folder)

    def run_small(
        self,
        dataset_dir: Path,
        encoders: Sequence[str],
        max_queries: int = 30,
        max_docs: int = 300,
        split: str = "test",
        *,
        key: str | None = None,
    ) -> Path:
        """Evaluate ``encoders`` on a subsample (the judged docs of the first ``max_queries``
        queries, topped up to ``max_docs``); returns the written report's folder.

        A write: refused (:class:`~usecases.access.WriteRefusedError`) without ``key``.
        """
        self._ctx.writes.check(key)
        from usecases.evaluating import run_small

        limits = (max_queries, max_docs)
        ctx = self._ctx
        return run_small(ctx.settings, ctx.store, ctx.encoder, dataset_dir, encoders, limits, split)
