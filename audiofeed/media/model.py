"""What reading a file's tags gives back: logical fields, every raw tag, pictures, chapters."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from . import images


@dataclass(frozen=True)
class Picture:
    """An embedded image (cover art or a chapter image)."""

    mime: str
    type: int  # ID3/FLAC picture type; 3 = front cover
    description: str
    data: bytes

    def summary(self) -> dict[str, Any]:
        width, height = images.dimensions(self.data)
        return {
            "mime": self.mime,
            "type": self.type,
            "description": self.description,
            "size": len(self.data),
            "width": width,
            "height": height,
            "sha256": hashlib.sha256(self.data).hexdigest(),
        }


@dataclass(frozen=True)
class ChapterMark:
    """A chapter as stored in a file: start and end in seconds."""

    start: float
    end: float | None
    title: str
    url: str | None = None
    image: bool = False

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": round(self.start, 3), "title": self.title}
        if self.end is not None:
            out["end"] = round(self.end, 3)
        if self.url:
            out["url"] = self.url
        if self.image:
            out["image"] = True
        return out


@dataclass
class FileTags:
    """The tags of one file, read back."""

    family: str  # id3 | mp4 | vorbis
    fields: dict[str, str] = field(default_factory=dict)  # logical name -> text
    raw: list[tuple[str, str]] = field(default_factory=list)  # every tag: key, display value
    pictures: list[Picture] = field(default_factory=list)
    chapters: list[ChapterMark] = field(default_factory=list)
    version: str = ""  # e.g. ID3v2.4

    @property
    def cover(self) -> Picture | None:
        return next((p for p in self.pictures if p.type == 3), None) or (
            self.pictures[0] if self.pictures else None
        )


def display(value: Any) -> str:
    """A tag value as one line of text."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(value)} bytes>"
    if isinstance(value, list | tuple):
        return "; ".join(display(v) for v in value)
    return str(value)
