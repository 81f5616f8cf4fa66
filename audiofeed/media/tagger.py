"""Tag a copy of a recording (atomically), and read tags back, for every supported format."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import mutagen
from mutagen.id3 import ID3, ID3NoHeaderError, MakeID3v1
from mutagen.id3._id3v1 import find_id3v1
from mutagen.id3._tags import ID3Header

from ..errors import MediaError
from ..show.config import TagSettings
from . import chapters as chapters_mod
from . import digests, images, mp4, vorbis
from . import id3 as id3_mod
from .formats import FIELDS, Tags
from .model import FileTags
from .probe import CHUNK, AudioInfo, guard, open_audio, probe

COMMON = ("title", "artist", "album", "date", "comment", "genre")
#: room left after an MP3's ID3 tag at most. mutagen's default leaves 1 KiB + 0.1% of the
#: file (2 MiB of zeros before the audio of a 2 GiB recording, built in memory twice);
#: a published copy is re-made from the recording, never edited in place
PADDING_CAP = 64 << 10


def id3_padding(info: Any) -> int:
    """mutagen's default ID3 padding, capped at PADDING_CAP (the same bytes up to ~61 MiB)."""
    return min(info.get_default_padding(), PADDING_CAP)


def tag_copy(
    source: Path, dest: Path, tags: Tags, settings: TagSettings | None = None
) -> AudioInfo:
    """Copy ``source`` to ``dest`` with ``tags`` written. The copy is made and tagged as a temp
    file next to ``dest``, fsynced and renamed: ``dest`` is either the old file or the whole new
    one, never half-written. ``source`` is never opened for writing. Returns the new probe."""
    settings = settings or TagSettings()
    info = probe(source)
    chapters_mod.validate(tags.chapters, info.duration, source)
    marks = chapters_mod.marks(tags.chapters, info.duration)
    cover = images.fit(tags.cover, settings.cover_max_px, source) if tags.cover else None
    if any(tags.chapter_images):
        art = [
            images.fit(x, settings.cover_max_px, source) if x else None for x in tags.chapter_images
        ]
        tags = dataclasses.replace(tags, chapter_images=tuple(art))
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".tag-", suffix=source.suffix, dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    sha = None
    try:
        if info.kind == "MP3":  # the tag first, then the audio: one pass, hashed on the way
            with guard(source, "tag"):
                sha = _tag_mp3(source, tmp, info, tags, marks, cover, settings)
        else:
            if info.family == "mp4" and marks:
                chapters_mod.mp4_remux(source, tmp, marks, source)
            else:
                with open(source, "rb") as src, open(tmp, "wb") as out:
                    shutil.copyfileobj(src, out, CHUNK)
            with guard(source, "tag"):
                _write(tmp, source, info, tags, marks, cover, settings)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        try:
            # an MP3's frames were walked in the source and copied byte for byte (counted):
            # reading the copy back parses its headers and tag, not every frame again
            result = probe(tmp, walk=sha is None)
        except MediaError as exc:  # name the recording, not the temp copy
            raise MediaError(
                f"its tagged copy cannot be read back ({exc.message}); the recording is "
                "probably damaged: export it again",
                path=source,
                field=exc.field,
            ) from exc
        os.replace(tmp, dest)
        if sha is not None:
            digests.remember(digests.stamp(dest), sha)
    finally:
        tmp.unlink(missing_ok=True)
    return dataclasses.replace(result, path=dest)


def _tag_mp3(
    source: Path,
    tmp: Path,
    info: AudioInfo,
    tags: Tags,
    marks: list,
    cover: bytes | None,
    settings: TagSettings,
) -> str:
    """Write ``source`` with new tags to ``tmp`` (fsynced) and return the sha256 of what was
    written. The bytes are those mutagen's ``ID3.save`` makes of a copy of ``source``, but
    the new ID3v2 tag is written first and the audio streamed after it through one buffer:
    saving into a full copy would move every byte of the copy again to make room.
    (``padding=id3_padding`` for ``ID3.save`` gives the same bytes.)"""
    strip = settings.strip_existing
    try:
        id3 = ID3(source)
    except ID3NoHeaderError:
        id3 = ID3()
    if strip:
        id3.clear()
    id3_mod.write(id3, tags, marks, cover)
    id3_mod.chapters_in_time_order(id3)
    digest = hashlib.sha256()
    with open(source, "rb", buffering=0) as src, open(tmp, "wb", buffering=0) as out:
        size = os.fstat(src.fileno()).st_size
        if size != info.size:
            raise MediaError("the recording changed while being tagged; run again", path=source)
        try:
            old_size = ID3Header(src).size
        except ID3NoHeaderError:
            old_size = 0
        # as ID3.save: the padding depends on the size of the whole file
        head = id3._prepare_data(src, 0, old_size, settings.id3_major, "/", id3_padding)
        has_v1, offset = find_id3v1(src)
        v1 = MakeID3v1(id3) if has_v1 is not None and not strip else b""
        _write_all(out, head, digest)
        src.seek(old_size)
        remaining = size + offset - old_size
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        while remaining > 0:
            n = src.readinto(view[: min(CHUNK, remaining)])
            if not n:
                raise MediaError("the recording changed while being tagged; run again", path=source)
            _write_all(out, view[:n], digest)
            remaining -= n
        _write_all(out, v1, digest)
        os.fsync(out.fileno())
    return digest.hexdigest()


def _write_all(out: Any, data: Any, digest: Any) -> None:
    digest.update(data)
    view = memoryview(data)
    while view:
        view = view[out.write(view) :]


def _write(
    tmp: Path,
    source: Path,
    info: AudioInfo,
    tags: Tags,
    marks: list,
    cover: bytes | None,
    settings: TagSettings,
) -> None:
    strip = settings.strip_existing
    audio = mutagen.File(tmp)
    if audio is None:
        raise MediaError("not a recognised audio file", path=source)
    if info.family == "mp4":
        if marks:  # the remuxed copy has no tags: carry over the source's
            original = mutagen.File(source)
            if audio.tags is None:
                audio.add_tags()
            audio.tags.clear()
            if original.tags is not None and not strip:
                for key, value in original.tags.items():
                    audio.tags[key] = value
        if audio.tags is None:
            audio.add_tags()
        if strip:
            audio.tags.clear()
        mp4.write(audio.tags, tags, cover)
        audio.save()
        return
    if audio.tags is None:
        audio.add_tags()
    if strip:
        audio.tags.clear()
        if hasattr(audio, "clear_pictures"):
            audio.clear_pictures()
    if info.family == "id3":  # WAV
        id3_mod.write(audio.tags, tags, marks, cover)
        id3_mod.chapters_in_time_order(audio.tags)
        audio.save(v2_version=settings.id3_major, v23_sep="/")
    else:
        vorbis.write(audio, tags, marks, cover)
        audio.save()


def read_file(path: Path, info: AudioInfo | None = None) -> FileTags:
    """Every tag, picture and chapter of a (probed-good) recording."""
    info = info or probe(path)
    audio = open_audio(path)
    with guard(path):
        if info.family == "id3":
            return id3_mod.read(audio.tags)
        if info.family == "mp4":
            return mp4.read(audio)
        return vorbis.read(audio)


def read_tags(path: Path) -> dict[str, str]:
    """The logical tags of a recording (title, artist, album, date, comment … where present)."""
    return read_file(path).fields


def diff(current: FileTags, tags: Tags, settings: TagSettings | None = None) -> list[str]:
    """What writing ``tags`` would change in a file whose tags are ``current``: one line per
    field (``+`` added, ``-`` removed, ``~`` changed), then cover and chapters."""
    settings = settings or TagSettings()
    want = tags.values()
    lines = []
    for f in FIELDS:
        if getattr(f, current.family) is None:
            continue
        old, new = current.fields.get(f.name), want.get(f.name)
        if old == new or (new is None and not settings.strip_existing):
            continue
        if old is None:
            lines.append(f"+ {f.name}: {_short(new)}")
        elif new is None:
            lines.append(f"- {f.name}: {_short(old)}")
        else:
            lines.append(f"~ {f.name}: {_short(old)} -> {_short(new)}")
    if tags.cover:
        old_cover = current.cover
        new_desc = _cover_desc(tags.cover, settings)
        if old_cover is None:
            lines.append(f"+ cover: {new_desc}")
        elif old_cover.data != tags.cover:
            lines.append(f"~ cover: {_cover_desc(old_cover.data, None)} -> {new_desc}")
    if tags.chapters:
        old_ch = [(round(c.start, 3), c.title) for c in current.chapters]
        new_ch = [(round(c.start, 3), c.title) for c in tags.chapters]
        if old_ch != new_ch:
            lines.append(f"~ chapters: {len(old_ch)} -> {len(new_ch)}")
    if settings.strip_existing:
        ours = {getattr(f, current.family) for f in FIELDS}
        lines += [f"- {key} (strip_existing)" for key, _ in current.raw if key not in ours]
    return lines


def _short(text: Any, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _cover_desc(data: bytes, settings: TagSettings | None) -> str:
    w, h = images.dimensions(data)
    size = f"{w}x{h}" if w else "unknown size"
    scaled = ""
    if settings and settings.cover_max_px and w and h and max(w, h) > settings.cover_max_px:
        scaled = f", scaled to fit {settings.cover_max_px}px"
    return f"{images.mime_of(data) or 'image'} {size} ({len(data):,} bytes{scaled})"
