"""iTunes-style MP4 tags (M4A, M4B, MP4 audio; AAC or ALAC): write and read."""

from __future__ import annotations

from typing import Any

from mutagen.mp4 import AtomDataType, MP4Cover, MP4FreeForm

from .formats import Tags, keys_of
from .model import ChapterMark, FileTags, Picture, display

KEYS = keys_of("mp4")


def write(tags: Any, t: Tags, cover: bytes | None) -> None:
    """Set every table field and the cover on an ``MP4Tags`` object (not saved)."""
    values = t.values()
    for key, f in KEYS.items():
        tags.pop(key, None)
        value = values.get(f.name)
        if value is None:
            continue
        if f.kind == "int":
            tags[key] = [(int(value), 0)]
        elif f.kind == "bool":
            tags[key] = True
        elif key.startswith("----"):
            tags[key] = [MP4FreeForm(value.encode("utf-8"), AtomDataType.UTF8)]
        else:
            tags[key] = [value]
    if cover:
        fmt = MP4Cover.FORMAT_PNG if t.cover_mime == "image/png" else MP4Cover.FORMAT_JPEG
        tags["covr"] = [MP4Cover(cover, imageformat=fmt)]


def read(audio: Any) -> FileTags:
    """Fields, every atom, cover pictures and (``chpl``) chapters of an ``MP4`` object."""
    out = FileTags(family="mp4", version="iTunes MP4")
    tags = audio.tags
    if tags is not None:
        for key, f in KEYS.items():
            value = _value(tags.get(key), f.kind)
            if value:
                out.fields[f.name] = value
        for key, value in tags.items():
            if key == "covr":
                for c in value:
                    mime = "image/png" if c.imageformat == MP4Cover.FORMAT_PNG else "image/jpeg"
                    out.pictures.append(Picture(mime, 3, "", bytes(c)))
            else:
                out.raw.append((key, _display(value)))
    chapters = list(getattr(audio, "chapters", None) or [])
    length = float(audio.info.length)
    for i, c in enumerate(chapters):
        end = chapters[i + 1].start if i + 1 < len(chapters) else length
        out.chapters.append(ChapterMark(float(c.start), float(end), str(c.title)))
    return out


def _value(value: Any, kind: str) -> str | None:
    if value is None:
        return None
    if kind == "bool":
        return "1" if value else None
    if kind == "int":
        return str(value[0][0]) if value and value[0][0] else None
    return _display(value)


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list) and value and isinstance(value[0], tuple):
        return "; ".join("/".join(str(x) for x in v) for v in value)
    return display(value)
