"""Progress bars for ``audiofeed publish`` on a terminal (rich): mastering (one row per
recording, and the whole with its ETA), then the upload (files, bytes, rate, ETA).

Used only when stderr is a terminal; otherwise the log lines ("mastered …", "uploaded
3/9 …") are the progress. Log lines printed while a bar is shown go above it (rich's live
display takes over stderr and prints what is written there above the bars).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


class RichProgress:
    """Implements the upload display (deploy.Progress) and the mastering one
    (mastering.MasterProgress)."""

    def __init__(self, stream: TextIO):
        self.console = Console(file=stream, stderr=True)
        self.lock = threading.RLock()
        self.bars: Progress | None = None
        self.task: TaskID | None = None
        self.rows: dict[str, TaskID] = {}
        self.files = self.files_done = 0

    def _open(self, *columns: Any) -> Progress:
        self._close()
        self.bars = Progress(*columns, console=self.console, transient=False)
        self.bars.start()
        return self.bars

    def _close(self) -> None:
        if self.bars is not None:
            self.bars.stop()
            self.bars = None
            self.rows = {}

    # -- mastering ---------------------------------------------------------------------
    def master_start(self, files: list[tuple[str, int]]) -> None:
        with self.lock:
            bars = self._open(
                SpinnerColumn(finished_text="✓"),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            self.files, self.files_done = len(files), 0
            total = sum(size for _, size in files) or 1
            self.task = bars.add_task(self._master_line(), total=total)
            for name, size in files:
                self.rows[name] = bars.add_task(f"  {name}", total=size or 1)

    def _master_line(self) -> str:
        return f"mastering {self.files_done}/{self.files} recordings"

    def master_done(
        self, name: str, size: int, facts: dict[str, Any] | None, worker: str | None = None
    ) -> None:
        with self.lock:
            if self.bars is None or self.task is None:
                return
            self.files_done += 1
            row = self.rows.get(name)
            if row is not None:
                note = ""
                if facts and facts.get("action") == "mastered":
                    note = f" → {facts['output']['integrated']:.1f} LUFS"
                elif facts:
                    note = " (on target: as it is)"
                note += f" on {worker}" if worker else ""  # a cluster's worker
                self.bars.update(row, completed=size or 1, description=f"  {name}{note}")
            self.bars.update(self.task, advance=size or 1, description=self._master_line())

    def master_finish(self) -> None:
        with self.lock:
            self._close()

    # -- upload ------------------------------------------------------------------------
    def start(self, files: int, total_bytes: int) -> None:
        with self.lock:
            if files <= 0:
                return
            bars = self._open(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
            )
            self.files, self.files_done = files, 0
            self.task = bars.add_task(self._upload_line(), total=total_bytes or 1)

    def _upload_line(self) -> str:
        return f"uploading {self.files_done}/{self.files} files"

    def advance(self, nbytes: int) -> None:
        with self.lock:
            if self.bars is not None and self.task is not None:
                self.bars.advance(self.task, nbytes)  # a retried part reports negative bytes

    def file_done(self, key: str, size: int) -> None:
        with self.lock:
            if self.bars is not None and self.task is not None:
                self.files_done += 1
                self.bars.update(self.task, description=self._upload_line())

    def finish(self) -> None:
        with self.lock:
            self._close()

    def print_line(self, text: str) -> None:
        """A log line, above the bars while they are shown."""
        with self.lock:
            self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    @contextmanager
    def above(self) -> Iterator[None]:
        """Print a log line above the bars."""
        with self.lock:
            yield
