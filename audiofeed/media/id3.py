"""ID3v2 tags (MP3, and the ``id3 `` chunk of WAV): write and read, chapters as CHAP + CTOC."""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any

import mutagen.id3 as id3
from mutagen.id3 import APIC, CHAP, COMM, CTOC, PCST, TIT2, WXXX, CTOCFlags, UrlFrame
from mutagen.id3._tags import save_frame

from . import images
from .formats import Tags, keys_of
from .model import ChapterMark, FileTags, Picture, display

KEYS = keys_of("id3")
TOC_ID = "toc"


def write(tags: Any, t: Tags, marks: Sequence[ChapterMark], cover: bytes | None) -> None:
    """Set every table field, the cover and the chapters on an ``ID3`` object (not saved)."""
    values = t.values()
    for key, f in KEYS.items():
        _remove(tags, key)
        value = values.get(f.name)
        if value is not None:
            tags.add(_frame(key, value))
    if cover:
        for frame in list(tags.getall("APIC")):
            if frame.type == 3:
                del tags[frame.HashKey]
        mime = t.cover_mime or "image/jpeg"
        tags.add(APIC(encoding=3, mime=mime, type=3, desc="Cover", data=cover))
    if marks:
        tags.delall("CHAP")
        tags.delall("CTOC")
        ids = [f"chp{i}" for i in range(len(marks))]
        art = list(t.chapter_images) + [None] * (len(marks) - len(t.chapter_images))
        for cid, m, image in zip(ids, marks, art, strict=True):
            tags.add(_chap(cid, m, image))
        listed = [cid for cid, c in zip(ids, t.chapters, strict=True) if c.toc]
        tags.add(
            CTOC(
                element_id=TOC_ID,
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=listed,
                sub_frames=[TIT2(encoding=3, text=["Chapters"])],
            )
        )


def chapters_in_time_order(tags: Any) -> None:
    """Make ``tags`` save its CHAP frames last and in time order. mutagen orders frames by
    size; the CTOC says the order, but some readers (ffmpeg 5, older players) go by the file."""
    tags._write = types.MethodType(_ordered_write, tags)


def _ordered_write(self: Any, config: Any) -> bytes:
    chaps = sorted(self.getall("CHAP"), key=lambda f: (f.start_time, f.element_id))
    if not chaps:
        return type(self)._write(self, config)
    self.delall("CHAP")
    try:
        head = type(self)._write(self, config)
    finally:
        for frame in chaps:
            self.add(frame)
    return head + b"".join(save_frame(f, config=config) for f in chaps)


def _remove(tags: Any, key: str) -> None:
    if key == "COMM":  # only the plain comment: keep iTunNORM, iTunSMPB and the like
        for frame in list(tags.getall("COMM")):
            if frame.desc == "":
                del tags[frame.HashKey]
    else:
        tags.delall(key)


def _frame(key: str, value: str) -> Any:
    if key == "COMM":
        return COMM(encoding=3, lang="eng", desc="", text=[value])
    if key == "PCST":
        return PCST(value=1)
    cls = getattr(id3, key)
    if issubclass(cls, UrlFrame):
        return cls(url=value)
    return cls(encoding=3, text=[value])


def _chap(cid: str, m: ChapterMark, image: bytes | None) -> CHAP:
    end = m.end if m.end is not None else m.start
    sub: list[Any] = [TIT2(encoding=3, text=[m.title])]
    if m.url:
        sub.append(WXXX(encoding=3, desc="", url=m.url))
    if image:
        mime = images.mime_of(image) or "image/jpeg"
        sub.append(APIC(encoding=3, mime=mime, type=0, desc="Chapter image", data=image))
    return CHAP(
        element_id=cid,
        start_time=round(m.start * 1000),
        end_time=round(end * 1000),
        start_offset=0xFFFFFFFF,
        end_offset=0xFFFFFFFF,
        sub_frames=sub,
    )


def read(tags: Any) -> FileTags:
    """Fields, raw frames, pictures and chapters (in CTOC order if there is one)."""
    out = FileTags(family="id3")
    if tags is None:
        return out
    out.version = f"ID3v2.{tags.version[1]}" if getattr(tags, "version", None) else ""
    for key, f in KEYS.items():
        value = _value(tags, key)
        if value:
            out.fields[f.name] = value
    chaps: dict[str, Any] = {}
    for frame in tags.values():
        name = frame.FrameID
        if name == "APIC":
            out.pictures.append(Picture(frame.mime, int(frame.type), frame.desc, frame.data))
        elif name == "CHAP":
            chaps[frame.element_id] = frame
        elif name == "CTOC":
            out.raw.append((frame.HashKey, ", ".join(frame.child_element_ids)))
        else:
            out.raw.append((frame.HashKey, _text(frame)))
    tocs = [f for f in tags.getall("CTOC") if f.flags & CTOCFlags.TOP_LEVEL]
    order = list(tocs[0].child_element_ids) if tocs else []
    order += sorted((k for k in chaps if k not in order), key=lambda k: chaps[k].start_time)
    for cid in order:
        if cid in chaps:
            out.chapters.append(_mark(chaps[cid]))
    return out


def _value(tags: Any, key: str) -> str | None:
    frames = tags.getall(key)
    if key == "COMM":
        frames = [f for f in frames if f.desc == ""]
    if not frames:
        return None
    frame: Any = frames[0]
    if key == "PCST":
        return "1" if frame.value else None
    if isinstance(frame, UrlFrame):
        return str(getattr(frame, "url", "")) or None
    return "; ".join(str(t) for t in frame.text)


def _text(frame: Any) -> str:
    if isinstance(frame, UrlFrame):
        return str(getattr(frame, "url", ""))
    if hasattr(frame, "text"):
        return display([str(t) for t in frame.text])
    line = frame.pprint()
    return line.partition("=")[2] or line


def _mark(frame: Any) -> ChapterMark:
    title = ""
    url = None
    image = False
    for sub in frame.sub_frames.values():
        if sub.FrameID == "TIT2":
            title = str(sub.text[0]) if sub.text else ""
        elif sub.FrameID == "WXXX":
            url = sub.url
        elif sub.FrameID == "APIC":
            image = True
    return ChapterMark(frame.start_time / 1000, frame.end_time / 1000, title, url, image)
