"""Episode files: TOML front matter between ``+++`` lines, then a Markdown body."""

from __future__ import annotations

import datetime
import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit

from ..common.memo import Recall
from ..common.safetext import clean_text, clean_tree
from ..errors import EpisodeError

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


def read(path: Path, memo: Recall | None = None) -> Document:
    """Read and parse an episode file. ``memo``: parsed files (as JSON) by a digest of
    their bytes; TOML parsing is the costliest part of loading a big show, and a file whose
    bytes were parsed before is not parsed again."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EpisodeError(f"cannot read: {exc.strerror}", path=path) from exc
    key = hashlib.blake2b(data, digest_size=16).hexdigest() if memo is not None else ""
    if memo is not None and key in memo.before:
        doc = _revive(memo.before[key])
        if isinstance(doc, list) and len(doc) == 2 and isinstance(doc[0], dict):
            memo.after[key] = memo.before[key]
            return Document(meta=doc[0], body=str(doc[1]))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EpisodeError(f"not UTF-8 text (byte {exc.start})", path=path) from exc
    doc = parse(text.replace("\r\n", "\n").replace("\r", "\n"), path)  # as read_text() does
    if memo is not None:
        plain = _plain([doc.meta, doc.body])
        if plain is not None:
            memo.after[key] = plain
    return doc


#: a JSON object {MARK: type, "v": ISO text} stands for a TOML date/time in the memo; no
#: parsed table has that key (``_plain`` refuses to memoise one that does)
MARK = "\0"
_TIME_TYPES: dict[str, Any] = {
    "datetime": datetime.datetime,
    "date": datetime.date,
    "time": datetime.time,
}


def _plain(value: Any) -> Any:
    """Parsed TOML as JSON-able data (dates as marked objects); None if it cannot be."""
    if isinstance(value, dict):
        if MARK in value:
            return None
        out = {}
        for k, v in value.items():
            out[k] = _plain(v)
            if out[k] is None:
                return None
        return out
    if isinstance(value, list):
        items = [_plain(v) for v in value]
        return None if any(v is None for v in items) else items
    for name, kind in _TIME_TYPES.items():  # datetime first: it is also a date
        if isinstance(value, kind):
            return {MARK: name, "v": value.isoformat()}
    return value


def _revive(value: Any) -> Any:
    if isinstance(value, dict):
        if MARK in value:
            return _TIME_TYPES[value[MARK]].fromisoformat(value["v"])
        return {k: _revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


def _styled(value: Any) -> Any:
    """Values as tomlkit writes them in a new file: text with line breaks as multi-line
    strings (a description reads as written), tables and lists likewise."""
    if isinstance(value, str) and "\n" in value:
        return tomlkit.string(value, multiline=True)
    if isinstance(value, dict):
        return {k: _styled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_styled(v) for v in value]
    return value


def render(meta: dict[str, Any], body: str) -> str:
    """Serialise front matter and body into a new episode file's text."""
    return _join(tomlkit.dumps(_styled(meta)), body)


def update(text: str, path: Path, meta: dict[str, Any], body: str) -> str:
    """``text`` (an episode file) with its front matter changed to ``meta`` and its body to
    ``body``, keeping the organiser's comments, order and layout for everything that did
    not change (tomlkit edits the document in place)."""
    head, _ = split(text, path)
    doc = tomlkit.parse(head)
    _apply(doc, meta)
    return _join(tomlkit.dumps(doc), body)


def _apply(table: Any, new: dict[str, Any]) -> None:
    """Make the tomlkit ``table`` equal to ``new``: only changed keys are written."""
    for key in [k for k in table if k not in new]:
        del table[key]
    for key, value in new.items():
        if key in table:
            old = table[key]
            current = old.unwrap() if hasattr(old, "unwrap") else old
            if current == value:
                continue
            if isinstance(value, dict) and isinstance(old, dict):
                _apply(old, value)
                continue
        table[key] = _styled(value)


def _join(head: str, body: str) -> str:
    if head and not head.endswith("\n"):
        head += "\n"
    return f"{DELIMITER}\n{head}{DELIMITER}\n{body.rstrip()}\n"


def with_field(text: str, key: str, value: str) -> str:
    """Insert ``key = "value"`` as the first line of the front matter, keeping the rest
    exactly as it is (comments included)."""
    line = tomlkit.dumps({key: value})
    first_newline = text.index("\n") + 1
    return text[:first_newline] + line + text[first_newline:]


def _shift_line(message: str, offset: int) -> str:
    """tomllib counts lines from the front matter; shift them to count from the file."""
    return re.sub(r"line (\d+)", lambda m: f"line {int(m.group(1)) + offset}", message)
