"""What an earlier run made, for this run to reuse: the in-run side of ``state.Memo``."""

from __future__ import annotations

from typing import Any


class Recall:
    """Results by a key naming what they were made from: ``before`` from an earlier run,
    ``after`` what this run made or reused, to keep for the next one (what this run did
    not ask for again is dropped)."""

    def __init__(self, before: dict[str, Any] | None = None):
        self.before = before or {}
        self.after: dict[str, Any] = {}
