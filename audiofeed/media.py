"""Recordings: probe (duration, size, MIME) and tag a copy. The only module that imports mutagen."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mutagen
from mutagen.id3 import (
    APIC,
    COMM,
    ID3,
    PCST,
    TALB,
    TCON,
    TDRC,
    TGID,
    TIT2,
    TPE1,
    TPE2,
    ID3NoHeaderError,
)
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover

from .errors import MediaError

#: extension -> (MIME type used in the feed and on storage, mutagen class name)
FORMATS: dict[str, tuple[str, str]] = {
    ".mp3": ("audio/mpeg", "MP3"),
    ".m4a": ("audio/x-m4a", "MP4"),
}
CHUNK = 1 << 20


@dataclass(frozen=True)
class AudioInfo:
    """What a recording is: measured, never taken from the episode file."""

    path: Path
    size: int
    duration: float
    mime: str
    codec: str
    bitrate: int | None = None
    sample_rate: int | None = None
    channels: int | None = None

    @property
    def extension(self) -> str:
        return self.path.suffix.lower()


@dataclass(frozen=True)
class Tags:
    """The logical tags audiofeed writes into a copy of a recording."""

    title: str
    artist: str
    album: str
    album_artist: str
    date: str
    comment: str = ""
    genre: str = "Podcast"
    guid: str | None = None
    cover: bytes | None = None
    cover_mime: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn every mutagen/OS failure into a MediaError that names the file."""
    try:
        yield
    except MediaError:
        raise
    except FileNotFoundError as exc:
        raise MediaError("file not found", path=path) from exc
    except (mutagen.MutagenError, OSError, ValueError, KeyError, IndexError) as exc:
        raise MediaError(
            f"cannot read audio ({_reason(exc)}); is the file complete and really audio?", path=path
        ) from exc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:120]


def probe(path: Path) -> AudioInfo:
    """Measure a recording; raise MediaError for empty, corrupt or mislabelled files."""
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise MediaError(
            f"unsupported audio type {ext or '(none)'!r}; use one of {', '.join(sorted(FORMATS))}",
            path=path,
        )
    with _reading(path):
        size = path.stat().st_size
        if size == 0:
            raise MediaError("file is empty (0 bytes); export the recording again", path=path)
        audio = mutagen.File(path)
        if audio is None:
            raise MediaError("not a recognised audio file", path=path)
        kind = type(audio).__name__
        expected = FORMATS[ext][1]
        if kind != expected:
            raise MediaError(
                f"extension says {ext} but the content is {kind}; rename the file or convert it",
                path=path,
            )
        info = audio.info
        duration = float(getattr(info, "length", 0) or 0)
        if duration <= 0.1:
            raise MediaError(
                "no audio frames found (duration 0); the file is corrupt or not audio", path=path
            )
        if isinstance(audio, MP3):
            _check_mp3_frames(path, info, size)
        codec = getattr(info, "codec", None) or ("mp3" if kind == "MP3" else kind.lower())
        return AudioInfo(
            path=path,
            size=size,
            duration=duration,
            mime=FORMATS[ext][0],
            codec=str(codec),
            bitrate=getattr(info, "bitrate", None) or None,
            sample_rate=getattr(info, "sample_rate", None) or None,
            channels=getattr(info, "channels", None) or None,
        )


def _check_mp3_frames(path: Path, info: Any, size: int) -> None:
    """mutagen finds 'a' frame in almost anything; require the stream to fill the file."""
    payload = size - int(getattr(info, "frame_offset", 0) or 0)
    expected = (info.bitrate or 0) / 8 * info.length
    if expected and payload < 0.5 * expected:
        raise MediaError("truncated: the MP3 stream is shorter than its headers say", path=path)
    if info.sketchy:
        raise MediaError("no valid MPEG audio stream found (corrupt or not an MP3)", path=path)


def read_tags(path: Path) -> dict[str, str]:
    """The common tags of a recording (title, artist, album, date, comment), where present."""
    probe(path)
    with _reading(path):
        audio = mutagen.File(path, easy=True)
        if audio is None or audio.tags is None:
            return {}
        result = {}
        for key in ("title", "artist", "album", "date", "comment", "genre"):
            values = audio.tags.get(key)
            if values:
                result[key] = str(values[0])
        return result


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def tag_copy(source: Path, dest: Path, tags: Tags) -> AudioInfo:
    """Copy ``source`` to ``dest`` with ``tags`` written; atomic, the source is never opened
    for writing. Returns the probe of the tagged copy."""
    info = probe(source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".tag-", suffix=source.suffix, dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, CHUNK)
        with _reading(source):
            if info.extension == ".mp3":
                _write_id3(tmp, tags)
            else:
                _write_mp4(tmp, tags)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return probe(dest)


def _write_id3(path: Path, t: Tags) -> None:
    try:
        id3 = ID3(path)
    except ID3NoHeaderError:
        id3 = ID3()
    for frame in (
        TIT2(encoding=3, text=t.title),
        TPE1(encoding=3, text=t.artist),
        TALB(encoding=3, text=t.album),
        TPE2(encoding=3, text=t.album_artist),
        TDRC(encoding=3, text=t.date),
        TCON(encoding=3, text=t.genre),
        PCST(value=1),
    ):
        id3.add(frame)
    id3.delall("COMM")
    if t.comment:
        id3.add(COMM(encoding=3, lang="eng", desc="", text=t.comment))
    if t.guid:
        id3.add(TGID(encoding=3, text=t.guid))
    id3.delall("APIC")
    if t.cover:
        id3.add(
            APIC(encoding=3, mime=t.cover_mime or "image/jpeg", type=3, desc="Cover", data=t.cover)
        )
    id3.save(path, v2_version=4)


def _write_mp4(path: Path, t: Tags) -> None:
    mp4 = MP4(path)
    if mp4.tags is None:
        mp4.add_tags()
    tags = mp4.tags
    tags["\xa9nam"] = [t.title]
    tags["\xa9ART"] = [t.artist]
    tags["\xa9alb"] = [t.album]
    tags["aART"] = [t.album_artist]
    tags["\xa9day"] = [t.date]
    tags["\xa9gen"] = [t.genre]
    tags["pcst"] = True
    if t.comment:
        tags["\xa9cmt"] = [t.comment]
    if t.guid:
        tags["egid"] = [t.guid]
    if t.cover:
        fmt = MP4Cover.FORMAT_PNG if t.cover_mime == "image/png" else MP4Cover.FORMAT_JPEG
        tags["covr"] = [MP4Cover(t.cover, imageformat=fmt)]
    mp4.save()
