"""The index command's progress: a file bar, chunks per second, and an ETA per phase from a
smoothed rate (files over the last minute; chunks over the last minute inside a large
file), so the estimate does not swing with each slow file."""

from __future__ import annotations

import sys

from indexer.report import FileResult
from usecases.progress import SmoothedRate, format_eta

BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} files [{elapsed}{postfix}]"


class BarEvents:
    """:class:`usecases.indexing.IndexEvents` drawn as a tqdm bar on stderr."""

    def __init__(self) -> None:
        self.bar = None
        self.files = SmoothedRate()
        self.chunks = SmoothedRate()  # chunks written
        self.encoded = SmoothedRate()  # chunks encoded, inside a batch
        self._written = 0
        self._encoding: tuple[str, int] = ("", 0)
        # every key set up front: the encode thread updates values, never the key set
        self.postfix: dict[str, object] = {"chunks/s": "0.0", "eta": "?", "encoding": "-"}

    def started(self, files: int, engine: str) -> None:
        from tqdm import tqdm

        desc = "indexing" if engine == "local" else f"indexing ({engine})"
        self.bar = tqdm(total=files, desc=desc, dynamic_ncols=True, bar_format=BAR_FORMAT)

    def file_done(self, result: FileResult, chunks_written: int) -> None:
        self.files.add()
        self.chunks.add(chunks_written - self._written)
        self._written = chunks_written
        if self.bar is None:
            return
        self.bar.update()
        remaining = self.bar.total - self.bar.n
        self.postfix["chunks/s"] = f"{self.chunks.rate():.1f}"
        self.postfix["eta"] = format_eta(self.files.eta_s(remaining))
        self.bar.set_postfix(self.postfix, refresh=False)

    def encoding(self, label: str, done: int, total: int) -> None:
        last_label, last_done = self._encoding
        self.encoded.add(done - last_done if label == last_label and done >= last_done else done)
        self._encoding = (label, done)
        if self.bar is None:
            return
        eta = format_eta(self.encoded.eta_s(total - done))
        self.postfix["encoding"] = f"{label[-40:]} {done}/{total} (eta {eta})"
        self.bar.set_postfix(self.postfix)

    def notice(self, message: str) -> None:
        print(f"distilsearch index: {message}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
