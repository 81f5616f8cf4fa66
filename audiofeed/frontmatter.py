"""Episode files: TOML front matter between ``+++`` lines, then a Markdown body."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from .errors import EpisodeError
from .safetext import clean_text, clean_tree

DELIMITER = "+++"


@dataclass(frozen=True)
class Document:
    """A parsed episode file: the front matter table and the Markdown body."""

    meta: dict[str, Any]
    body: str


def split(text: str, path: Path) -> tuple[str, str]:
    """Return (front matter TOML, body); raise if the ``+++`` block is missing."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != DELIMITER:
        raise EpisodeError(
            f"must start with a '{DELIMITER}' line opening the TOML front matter", path=path
        )
    for i in range(1, len(lines)):
        if lines[i].strip() == DELIMITER:
            return "".join(lines[1:i]), "".join(lines[i + 1 :]).lstrip("\n")
    raise EpisodeError(f"front matter is not closed by a '{DELIMITER}' line", path=path)


def parse(text: str, path: Path) -> Document:
    """Parse an episode file's text; TOML errors name the line in the file."""
    head, body = split(text, path)
    try:
        meta = tomllib.loads(head)
    except tomllib.TOMLDecodeError as exc:
        raise EpisodeError(
            f"invalid TOML front matter: {_shift_line(str(exc), 1)}", path=path
        ) from exc
    return Document(meta=clean_tree(meta), body=clean_text(body))


def read(path: Path) -> Document:
    """Read and parse an episode file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise EpisodeError(f"not UTF-8 text (byte {exc.start})", path=path) from exc
    except OSError as exc:
        raise EpisodeError(f"cannot read: {exc.strerror}", path=path) from exc
    return parse(text, path)


def render(meta: dict[str, Any], body: str) -> str:
    """Serialise front matter and body into an episode file's text."""
    head = tomli_w.dumps(meta, multiline_strings=True)
    return f"{DELIMITER}\n{head}{DELIMITER}\n{body.rstrip()}\n"


def with_field(text: str, key: str, value: str) -> str:
    """Insert ``key = "value"`` as the first line of the front matter, keeping the rest as is."""
    line = tomli_w.dumps({key: value})
    first_newline = text.index("\n") + 1
    return text[:first_newline] + line + text[first_newline:]


def _shift_line(message: str, offset: int) -> str:
    """tomllib counts lines from the front matter; shift them to count from the file."""
    return re.sub(r"line (\d+)", lambda m: f"line {int(m.group(1)) + offset}", message)
