"""Errors audiofeed raises: each names the file, field and what to do."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

#: Characters that would break an error line apart or hide part of it on a terminal.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
LINE_LIMIT = 1000  # characters of one part (path, field, message) of an error line


def one_line(text: str, limit: int = LINE_LIMIT) -> str:
    """``text`` safe for one line of output: control characters escaped, long text cut."""
    text = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode(), text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class AudiofeedError(Exception):
    """A problem the user can fix. ``str()`` is one line: ``path: field: message``."""

    def __init__(self, message: str, *, path: Path | str | None = None, field: str | None = None):
        self.message = message
        self.path = Path(path) if path is not None else None
        self.field = field
        super().__init__(self.line())

    def line(self) -> str:
        parts = [str(self.path)] if self.path is not None else []
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(one_line(p) for p in parts)


class ConfigError(AudiofeedError):
    """config.toml is missing, unreadable or invalid."""


class EpisodeError(AudiofeedError):
    """An episode file is invalid."""


class MediaError(AudiofeedError):
    """A recording cannot be read, probed or tagged."""


class StorageError(AudiofeedError):
    """The destination cannot be read or written."""


class ConcurrentPublishError(StorageError):
    """A conditional write found the destination changed since it was read: another
    publish got there first (docs/reliability.md, "Two publishers")."""


class RemovalError(AudiofeedError):
    """The live feed has episodes this show folder does not know (a stale clone)."""


@dataclass(frozen=True)
class Problem:
    """One finding of a validation pass; ``severity`` is ``error`` or ``warning``."""

    path: Path | None
    field: str | None
    message: str
    severity: str = "error"

    def line(self) -> str:
        return AudiofeedError(self.message, path=self.path, field=self.field).line()


@dataclass
class ValidationError(AudiofeedError):
    """Several problems found in one pass; raised after every input was checked."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        errors = [p for p in self.problems if p.severity == "error"]
        first = errors[0].line() if errors else "invalid input"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)

    def lines(self) -> list[str]:
        return [p.line() for p in self.problems]
