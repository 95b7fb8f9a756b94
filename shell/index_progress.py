"""The index command's progress: a file bar, chunks per second, and an ETA per phase
(:class:`usecases.progress.IndexProgress`): the run's from chunks written per second over
the last minute and the bytes still to read, a large file's from chunks encoded per
second, so the estimate does not swing with each small or slow file."""

from __future__ import annotations

import sys

from indexer.report import FileResult
from usecases.progress import IndexProgress, file_bytes, format_eta

BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} files [{elapsed}{postfix}]"


class BarEvents:
    """:class:`usecases.indexing.IndexEvents` drawn as a tqdm bar on stderr."""

    def __init__(self) -> None:
        self.bar = None
        self.progress = IndexProgress(0)
        # every key set up front: the encode thread updates values, never the key set
        self.postfix: dict[str, object] = {"chunks/s": "0.0", "eta": "?", "encoding": "-"}

    def started(self, files: int, engine: str, total_bytes: int = 0) -> None:
        from tqdm import tqdm

        self.progress = IndexProgress(files, total_bytes)
        desc = "indexing" if engine == "local" else f"indexing ({engine})"
        self.bar = tqdm(total=files, desc=desc, dynamic_ncols=True, bar_format=BAR_FORMAT)

    def file_done(self, result: FileResult, chunks_written: int) -> None:
        size = file_bytes([result.path]) if result.status != "skipped" else 0
        self.progress.file_done(chunks_written, size)
        if self.bar is None:
            return
        self.bar.update()
        self.postfix["chunks/s"] = f"{self.progress.written.rate():.1f}"
        self.postfix["eta"] = format_eta(self.progress.run_eta_s())
        self.bar.set_postfix(self.postfix, refresh=False)

    def encoding(self, label: str, done: int, total: int) -> None:
        self.progress.encoding(label, done, total)
        if self.bar is None:
            return
        eta = format_eta(self.progress.batch_eta_s())
        self.postfix["encoding"] = f"{label[-40:]} {done}/{total} (eta {eta})"
        self.bar.set_postfix(self.postfix)

    def notice(self, message: str) -> None:
        print(f"distilsearch index: {message}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
