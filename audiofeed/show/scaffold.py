"""``audiofeed init`` and ``audiofeed new``: write a new show and new episode files."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from pathlib import Path
from typing import Any

from ..common.files import write_atomic
from ..errors import AudiofeedError
from . import frontmatter
from .catalog import new_guid, slugify

CONFIG_TEMPLATE = """\
# audiofeed show configuration; see docs/show-format.md
[podcast]
title = "{title}"
description = "Recordings of every session of {title}."
author = "{author}"
language = "en"
categories = ["Education"]
explicit = false
image = "cover.png"
website = "https://example.org/"
owner = {{ name = "{author}", email = "podcast@example.org" }}

[publish]
base_url = "http://127.0.0.1:8000/"   # where the published folder is served
destination = "public"
"""


def init_show(folder: Path, title: str, author: str) -> list[Path]:
    """Create config.toml, a cover image, episodes/ and recordings/ in ``folder``."""
    config = folder / "config.toml"
    if config.exists():
        raise AudiofeedError("already exists; not overwriting an existing show", path=config)
    for sub in ("episodes", "recordings"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        (folder / sub / ".gitkeep").touch()
    write_atomic(
        config, CONFIG_TEMPLATE.format(title=_toml_text(title), author=_toml_text(author)).encode()
    )
    cover = folder / "cover.png"
    if not cover.exists():
        write_atomic(cover, solid_png(1400, (32, 64, 128)))
    return [config, cover, folder / "episodes", folder / "recordings"]


def _toml_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def solid_png(size: int, rgb: tuple[int, int, int]) -> bytes:
    """A square, single-colour RGB PNG (placeholder cover art), made without dependencies."""
    row = b"\x00" + bytes(rgb) * size
    raw = zlib.compress(row * size, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def parse_person(text: str) -> dict[str, str]:
    """``"Name (Affiliation)"`` -> {name, affiliation}."""
    text = text.strip()
    if text.endswith(")") and "(" in text:
        name, _, aff = text[:-1].partition("(")
        return {"name": name.strip(), "affiliation": aff.strip()}
    return {"name": text}


def new_episode(episodes_dir: Path, meta: dict[str, Any], body: str) -> Path:
    """Write a new episode file named after its slug, with a fresh guid."""
    meta = {k: v for k, v in meta.items() if v not in (None, [], "")}
    meta.setdefault("guid", new_guid())
    slug = meta.get("slug") or slugify(meta["title"])
    path = episodes_dir / f"{slug}.md"
    if path.exists():
        raise AudiofeedError("already exists; choose another --slug", path=path)
    write_atomic(path, frontmatter.render(meta, body or "Describe the session here.").encode())
    return path


def parse_start(text: str) -> dt.datetime:
    """An ISO 8601 date-time with offset, e.g. 2022-09-08T09:30+01:00."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise AudiofeedError(f"{text!r} is not an ISO 8601 date-time", field="--start") from exc
    if value.tzinfo is None:
        raise AudiofeedError(
            f"{text!r} has no time zone offset; add one, e.g. {text}+01:00", field="--start"
        )
    return value
