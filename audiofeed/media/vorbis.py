"""Vorbis comments (Ogg Vorbis, Ogg Opus, FLAC): write and read; chapters as CHAPTERnnn."""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from typing import Any

from mutagen.flac import FLAC
from mutagen.flac import Picture as FlacPicture

from . import images
from .chapters import timestamp
from .formats import Tags, keys_of
from .model import ChapterMark, FileTags, Picture, display

KEYS = keys_of("vorbis")
PICTURE_KEY = "METADATA_BLOCK_PICTURE"
CHAPTER_RE = re.compile(r"^CHAPTER(\d{3})(NAME|URL)?$", re.IGNORECASE)


def write(audio: Any, t: Tags, marks: Sequence[ChapterMark], cover: bytes | None) -> None:
    """Set every table field, the cover and the chapters on a FLAC/Ogg object (not saved)."""
    tags = audio.tags
    values = t.values()
    for key, f in KEYS.items():
        if key in tags:
            del tags[key]
        value = values.get(f.name)
        if value is not None:
            tags[key] = [value]
    if cover:
        pic = _picture(cover, t.cover_mime or "image/jpeg")
        if isinstance(audio, FLAC):
            keep = [b for b in audio.metadata_blocks if not (b.code == 6 and b.type == 3)]
            audio.metadata_blocks[:] = keep
            audio.add_picture(pic)
        else:
            others = [v for v in tags.get(PICTURE_KEY, []) if not _is_front_cover(v)]
            tags[PICTURE_KEY] = [*others, base64.b64encode(pic.write()).decode("ascii")]
    if marks:
        for key in [k for k in tags.keys() if CHAPTER_RE.match(k)]:  # noqa: SIM118 (pairs)
            del tags[key]
        for n, m in enumerate(marks, 1):
            tags[f"CHAPTER{n:03d}"] = [timestamp(m.start)]
            tags[f"CHAPTER{n:03d}NAME"] = [m.title]
            if m.url:
                tags[f"CHAPTER{n:03d}URL"] = [m.url]


def _picture(data: bytes, mime: str) -> FlacPicture:
    pic = FlacPicture()
    pic.type = 3
    pic.mime = mime
    pic.desc = "Cover"
    width, height = images.dimensions(data)
    pic.width, pic.height = width or 0, height or 0
    pic.depth = 24
    pic.data = data
    return pic


def _is_front_cover(value: str) -> bool:
    pic = _decode_picture(value)
    return pic is not None and pic.type == 3


def _decode_picture(value: str) -> FlacPicture | None:
    try:
        return FlacPicture(base64.b64decode(value))
    except Exception:
        return None


def read(audio: Any) -> FileTags:
    """Fields, every comment, pictures and chapters of a FLAC/Ogg object."""
    out = FileTags(family="vorbis", version="Vorbis comments")
    tags = audio.tags
    if tags is None:
        return out
    for key, f in KEYS.items():
        values = tags.get(key)
        if values:
            out.fields[f.name] = "; ".join(values)
    chapters: dict[int, dict[str, str]] = {}
    for key, values in tags.items():
        upper = key.upper()
        match = CHAPTER_RE.match(upper)
        for value in values:
            if upper == PICTURE_KEY:
                pic = _decode_picture(value)
                if pic is not None:
                    out.pictures.append(Picture(pic.mime, int(pic.type), pic.desc, pic.data))
                continue
            if match:
                chapters.setdefault(int(match[1]), {})[match[2] or "START"] = value
            out.raw.append((upper, display(value)))
    if isinstance(audio, FLAC):
        for p in audio.pictures:
            out.pictures.append(Picture(p.mime, int(p.type), p.desc, p.data))
    length = float(audio.info.length)
    starts = [
        (n, s)
        for n, c in sorted(chapters.items())
        if (s := _seconds(c.get("START", ""))) is not None
    ]
    for i, (n, start) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else length
        c = chapters[n]
        out.chapters.append(ChapterMark(start, end, c.get("NAME", ""), c.get("URL")))
    return out


def _seconds(text: str) -> float | None:
    if not re.fullmatch(r"\d+:\d{2}:\d{2}(\.\d+)?", text.strip()):
        return None
    h, m, s = text.strip().split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)
