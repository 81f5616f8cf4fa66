"""Chapters: validation against the recording, the Podcasting 2.0 JSON file, and MP4 chapters.

mutagen reads MP4 chapters but cannot write them, so :func:`mp4_remux` has ffmpeg copy the
audio stream untouched (``-c copy``, no re-encoding) into a new MP4 with the chapters from an
FFMETADATA file: ffmpeg writes both a QuickTime chapter track (Apple Podcasts, iOS, VLC) and a
Nero ``chpl`` box (mutagen, many Android players). The tags are written by mutagen afterwards.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import MediaError
from ..show.catalog import Chapter
from . import ffmpeg
from .model import ChapterMark

JSON_VERSION = "1.2.0"
JSON_TYPE = "application/json+chapters"


def timestamp(seconds: float) -> str:
    """``HH:MM:SS.mmm``."""
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def validate(chapters: Sequence[Chapter], duration: float, path: Path) -> None:
    """Chapters must start inside the recording, in ascending order, without overlapping.
    The error names ``path`` (the episode file) and ``chapters[i].start``."""
    previous = None
    for i, chapter in enumerate(chapters):
        where = f"chapters[{i}].start"
        if chapter.start < 0 or chapter.start >= duration:
            raise MediaError(
                f"{timestamp(chapter.start)} is not inside the recording "
                f"(0 to {timestamp(duration)}); fix the time or the audio file",
                path=path,
                field=where,
            )
        if previous is not None and chapter.start <= previous:
            raise MediaError(
                f"{timestamp(chapter.start)} does not come after chapters[{i - 1}].start "
                f"({timestamp(previous)}); chapters must be in order and must not overlap",
                path=path,
                field=where,
            )
        previous = chapter.start


def marks(chapters: Sequence[Chapter], duration: float) -> list[ChapterMark]:
    """Chapters with end times: each ends where the next starts, the last at the end."""
    if not chapters:
        return []
    ends = [c.start for c in chapters[1:]] + [duration]
    return [
        ChapterMark(start=c.start, end=end, title=c.title, url=_http(c.url))
        for c, end in zip(chapters, ends, strict=True)
    ]


def _http(value: str | None) -> str | None:
    return value if value and value.startswith(("http://", "https://")) else None


def to_json(chapters: Sequence[Chapter], images: dict[int, str] | None = None) -> bytes:
    """The Podcasting 2.0 chapters file (``application/json+chapters``, version 1.2.0).
    ``url`` and ``img`` are included when they are absolute http(s) URLs; ``images`` gives the
    published URL of a chapter's local image by chapter index. Pure."""
    items = []
    for i, c in enumerate(chapters):
        item: dict[str, object] = {"startTime": round(float(c.start), 3), "title": c.title}
        if _http(c.url):
            item["url"] = c.url
        img = (images or {}).get(i) or _http(c.image)
        if img:
            item["img"] = img
        if not c.toc:
            item["toc"] = False
        items.append(item)
    doc = {"version": JSON_VERSION, "chapters": items}
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def ffmetadata(chapter_marks: Sequence[ChapterMark]) -> str:
    """An FFMETADATA1 text with one [CHAPTER] per mark (times in milliseconds)."""
    lines = [";FFMETADATA1"]
    for m in chapter_marks:
        end = m.end if m.end is not None else m.start
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round(m.start * 1000)}",
            f"END={round(end * 1000)}",
            f"title={_escape(m.title)}",
        ]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    for ch in "\\=;#\n":
        text = text.replace(ch, "\\" + ch)
    return text


def mp4_remux(source: Path, out: Path, chapter_marks: Sequence[ChapterMark], where: Path) -> None:
    """Copy the audio of ``source`` into ``out`` (same codec bytes, no re-encoding) with
    ``chapter_marks`` as MP4 chapters. Tags are not carried over: the caller copies them."""
    muxer = "mp4" if out.suffix.lower() == ".mp4" else "ipod"
    with tempfile.TemporaryDirectory(prefix="audiofeed-chapters-") as tmp:
        meta = Path(tmp) / "chapters.txt"
        meta.write_text(ffmetadata(chapter_marks), encoding="utf-8")
        cmd = [
            "-nostdin", "-v", "error", "-y",
            "-i", str(source), "-i", str(meta),
            "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1",
            "-c", "copy", "-movflags", "+faststart", "-fflags", "+bitexact",
            "-f", muxer, str(out),
        ]  # fmt: skip
        ffmpeg.run(cmd, path=where, doing="add the MP4 chapters (ffmpeg)", timeout=600)
