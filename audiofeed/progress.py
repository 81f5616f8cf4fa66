"""Upload progress for ``audiofeed publish``: one live status line on a terminal.

A few lines of ANSI instead of a dependency (rich would cost an import and a package for
one line of text). When the output is not a terminal the CLI uses no display at all and
the per-object log lines ("uploaded 3/9 …") are the progress.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

REDRAW_EVERY = 0.1  # seconds


def human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def human_seconds(s: float) -> str:
    s = int(s + 0.5)
    return (
        f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


class LiveProgress:
    """files done/total, bytes done/total, rate and ETA, redrawn in place at most 10x/s.

    Thread-safe: transfer threads call ``advance``; the logging handler calls ``clear`` and
    ``redraw`` around every log line so lines and the status line never mix."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.lock = threading.RLock()
        self.active = False
        self.files = self.files_done = 0
        self.total = self.done = 0
        self.started = self.last_draw = 0.0

    def start(self, files: int, total_bytes: int) -> None:
        with self.lock:
            self.files, self.total = files, total_bytes
            self.started = time.monotonic()
            self.active = files > 0
            self.redraw()

    def advance(self, nbytes: int) -> None:
        with self.lock:
            self.done = max(0, self.done + nbytes)  # a retried part reports negative bytes
            if time.monotonic() - self.last_draw >= REDRAW_EVERY:
                self.redraw()

    def file_done(self, key: str, size: int) -> None:
        with self.lock:
            self.files_done += 1
            self.redraw()

    def finish(self) -> None:
        with self.lock:
            self.clear()
            self.active = False

    def status(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        line = (
            f"uploading {self.files_done}/{self.files} files, "
            f"{human_bytes(self.done)} of {human_bytes(self.total)}, {human_bytes(rate)}/s"
        )
        if rate > 0 and self.done < self.total:
            line += f", ETA {human_seconds((self.total - self.done) / rate)}"
        return line

    @contextmanager
    def above(self) -> Iterator[None]:
        """Print a line above the status line (clear it, print, draw it again)."""
        with self.lock:
            self.clear()
            yield
            self.redraw()

    def clear(self) -> None:
        with self.lock:
            if self.active:
                self.stream.write("\r\x1b[K")
                self.stream.flush()

    def redraw(self) -> None:
        with self.lock:
            if self.active:
                self.stream.write("\r\x1b[K" + self.status())
                self.stream.flush()
                self.last_draw = time.monotonic()
