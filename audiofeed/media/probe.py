"""Probe a recording: what it is (measured, never taken from the episode file) and whether it
is whole. Every mutagen call of the package runs inside :func:`guard`, which names the file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mutagen
from mutagen.mp3 import MP3

from ..errors import MediaError
from . import digests, integrity

#: extension -> (MIME type used in the feed and on storage, mutagen class name)
FORMATS: dict[str, tuple[str, str]] = {
    ".mp3": ("audio/mpeg", "MP3"),
    ".m4a": ("audio/x-m4a", "MP4"),
    ".m4b": ("audio/x-m4a", "MP4"),
    ".mp4": ("audio/mp4", "MP4"),
    ".ogg": ("audio/ogg", "OggVorbis"),
    ".oga": ("audio/ogg", "OggVorbis"),
    ".opus": ("audio/opus", "OggOpus"),
    ".flac": ("audio/flac", "FLAC"),
    ".wav": ("audio/wav", "WAVE"),
}
#: content kinds an extension also accepts (Opus is often shipped as .ogg)
ALSO_ACCEPTED: dict[str, set[str]] = {".ogg": {"OggOpus"}, ".oga": {"OggOpus"}}
#: which tag family each mutagen class carries
FAMILY = {
    "MP3": "id3",
    "WAVE": "id3",
    "MP4": "mp4",
    "OggVorbis": "vorbis",
    "OggOpus": "vorbis",
    "FLAC": "vorbis",
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
    kind: str = ""  # the mutagen class: MP3, MP4, OggVorbis, OggOpus, FLAC, WAVE

    @property
    def extension(self) -> str:
        return self.path.suffix.lower()

    @property
    def family(self) -> str:
        """The tag family: ``id3``, ``mp4`` or ``vorbis``."""
        return FAMILY[self.kind]


@contextmanager
def guard(path: Path, doing: str = "read") -> Iterator[None]:
    """Turn every mutagen/OS failure into a MediaError that names the file."""
    try:
        yield
    except MediaError:
        raise
    except FileNotFoundError as exc:
        raise MediaError("file not found", path=path) from exc
    except UnicodeDecodeError as exc:
        raise MediaError(f"cannot {doing} audio: the headers are not valid", path=path) from exc
    except (mutagen.MutagenError, OSError, ValueError, KeyError, IndexError, EOFError) as exc:
        hint = "is the file complete and really audio?" if doing == "read" else "nothing written"
        raise MediaError(f"cannot {doing} audio ({_reason(exc)}); {hint}", path=path) from exc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:120]


def open_audio(path: Path) -> Any:
    """The mutagen object of a probed-good file (call :func:`probe` first)."""
    with guard(path):
        audio = mutagen.File(path)
    if audio is None:
        raise MediaError("not a recognised audio file", path=path)
    return audio


_probed: dict[tuple, AudioInfo] = {}


def probe(path: Path, *, walk: bool = True) -> AudioInfo:
    """Measure a recording; raise MediaError for empty, corrupt, truncated or mislabelled files.

    A file probed before in this process and unchanged since (same :func:`digests.stamp`) is
    answered from memory: tagging probes the recording the build has just probed.
    ``walk=False`` skips the walk through every MP3 frame (for a copy of frames already
    walked); the headers are still parsed and checked."""
    if not walk:
        return _probe(path, walk=False)
    try:
        key = digests.stamp(path)
    except OSError:
        key = None
    if key is not None and key in _probed:
        return _probed[key]
    info = _probe(path)
    if key is not None and digests.stamp(path) == key:
        if len(_probed) >= digests.LIMIT:
            _probed.pop(next(iter(_probed)))
        _probed[key] = info
    return info


def _probe(path: Path, walk: bool = True) -> AudioInfo:
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise MediaError(
            f"unsupported audio type {ext or '(none)'!r}; use one of {', '.join(sorted(FORMATS))}",
            path=path,
        )
    with guard(path):
        size = path.stat().st_size
        if size == 0:
            raise MediaError("file is empty (0 bytes); export the recording again", path=path)
        accepted = {FORMATS[ext][1], *ALSO_ACCEPTED.get(ext, set())}
        sniffed = integrity.sniff(path)
        if sniffed and sniffed not in accepted:
            raise _mislabelled(path, ext, sniffed)
        if sniffed in integrity.BEFORE_PARSING:  # a cut MP4 or WAV confuses mutagen itself
            integrity.check(path, sniffed, size, None)
        audio = mutagen.File(path)
        if audio is None:
            raise MediaError("not a recognised audio file", path=path)
        kind = type(audio).__name__
        if kind not in accepted:
            raise _mislabelled(path, ext, kind)
        info = audio.info
        duration = float(getattr(info, "length", 0) or 0)
        if duration <= 0.1:
            raise MediaError(
                "no audio frames found (duration 0); the file is corrupt or not audio", path=path
            )
        if isinstance(audio, MP3):
            _check_mp3_frames(path, info, size)
        if sniffed not in integrity.BEFORE_PARSING and (walk or kind != "MP3"):
            integrity.check(path, kind, size, info)
        return AudioInfo(
            path=path,
            size=size,
            duration=duration,
            mime=FORMATS[ext][0],
            codec=_codec(kind, info),
            bitrate=getattr(info, "bitrate", None) or None,
            sample_rate=getattr(info, "sample_rate", None) or None,
            channels=getattr(info, "channels", None) or None,
            kind=kind,
        )


def _mislabelled(path: Path, ext: str, kind: str) -> MediaError:
    return MediaError(
        f"extension says {ext} but the content is {kind}; rename the file or convert it",
        path=path,
    )


def _codec(kind: str, info: Any) -> str:
    if kind == "MP4":
        codec = str(getattr(info, "codec", "") or "")
        return "alac" if codec == "alac" else ("aac" if codec.startswith("mp4a") else codec)
    if kind == "WAVE":
        return f"pcm_s{getattr(info, 'bits_per_sample', 16)}le"
    return {"MP3": "mp3", "OggVorbis": "vorbis", "OggOpus": "opus", "FLAC": "flac"}[kind]


def _check_mp3_frames(path: Path, info: Any, size: int) -> None:
    """mutagen finds 'a' frame in almost anything; require the stream to fill the file."""
    payload = size - int(getattr(info, "frame_offset", 0) or 0)
    expected = (info.bitrate or 0) / 8 * info.length
    if expected and payload < 0.5 * expected:
        raise MediaError("truncated: the MP3 stream is shorter than its headers say", path=path)
    if info.sketchy:
        raise MediaError("no valid MPEG audio stream found (corrupt or not an MP3)", path=path)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks into one buffer; a digest computed in
    passing (the MP3 walk, the tagged copy) for the same file version is reused."""
    if (known := digests.known(path)) is not None:
        return known
    h = hashlib.sha256()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()
