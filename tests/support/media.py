"""Test media made on the fly with ffmpeg (and espeak-ng for speech).

    make_audio(tmp_path / "ep1.mp3", seconds=3)            # format from the suffix
    make_audio(tmp_path / "talk.m4a", 2, "m4a-alac")       # explicit format
    make_image(tmp_path / "cover.jpg", 1400)               # square JPEG
    make_speech(tmp_path / "hello.mp3", "Hello world")    # spoken words (espeak-ng)

Audio is a sine tone from ffmpeg's lavfi source, encoded with -bitexact so the same call
gives the same bytes. Formats (AUDIO_FORMATS): mp3 (LAME), m4a (AAC in MP4/ipod),
m4a-alac (ALAC in MP4), ogg (Vorbis), opus (Opus in Ogg), flac, wav (PCM s16le).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# format -> (ffmpeg muxer, codec arguments, default file suffix)
AUDIO_FORMATS: dict[str, tuple[str, list[str], str]] = {
    "mp3": ("mp3", ["-c:a", "libmp3lame", "-b:a", "64k"], ".mp3"),
    "m4a": ("ipod", ["-c:a", "aac", "-b:a", "64k"], ".m4a"),
    "m4a-alac": ("ipod", ["-c:a", "alac"], ".m4a"),
    "ogg": ("ogg", ["-c:a", "libvorbis", "-q:a", "2"], ".ogg"),
    "opus": ("opus", ["-c:a", "libopus", "-b:a", "32k", "-ar", "48000"], ".opus"),
    "flac": ("flac", ["-c:a", "flac"], ".flac"),
    "wav": ("wav", ["-c:a", "pcm_s16le"], ".wav"),
}

_SUFFIX_TO_FORMAT = {
    ".mp3": "mp3",
    ".m4a": "m4a",
    ".ogg": "ogg",
    ".oga": "ogg",
    ".opus": "opus",
    ".flac": "flac",
    ".wav": "wav",
}

#: ffmpeg's sine source (amplitude 1/8) at 440 Hz, mono, measured with ebur128 as
#: dual-mono; ffmpeg's mono -> stereo upmix puts it 3 dB lower in each channel
SINE_LOUDNESS = -18.8
_BITEXACT = ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]


def ffmpeg_path() -> str:
    exe = shutil.which("ffmpeg")
    if not exe:
        raise RuntimeError("ffmpeg not found: run scripts/install-test-deps.sh")
    return exe


def _lavfi(source: str, *args: str) -> None:
    """Run ffmpeg quietly on a generated (lavfi) input, overwriting the output."""
    _run(
        [
            ffmpeg_path(),
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            source,
            *args,
        ]
    )


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")


def _format_for(path: Path, fmt: str | None) -> str:
    if fmt is None:
        try:
            fmt = _SUFFIX_TO_FORMAT[path.suffix.lower()]
        except KeyError:
            raise ValueError(f"cannot guess the audio format of {path}; pass fmt") from None
    if fmt not in AUDIO_FORMATS:
        raise ValueError(f"unknown audio format {fmt!r}; one of {sorted(AUDIO_FORMATS)}")
    return fmt


def make_audio(
    path: str | os.PathLike[str],
    seconds: float = 3.0,
    fmt: str | None = None,
    *,
    frequency: int = 440,
    sample_rate: int = 44100,
    channels: int = 1,
    loudness: float = -16.0,
) -> Path:
    """Write ``seconds`` of a sine tone to ``path`` in ``fmt`` (default: from the suffix),
    at about ``loudness`` LUFS (a mono tone measured as dual-mono, as audiofeed does): the
    default is podcast level, so an MP3/AAC tone is published as it is, not mastered.

    Returns the path. Parent directories are created.
    """
    path = Path(path)
    fmt = _format_for(path, fmt)
    muxer, codec, _ = AUDIO_FORMATS[fmt]
    path.parent.mkdir(parents=True, exist_ok=True)
    gain = loudness - SINE_LOUDNESS + (3.0 if channels == 2 else 0.0)
    _lavfi(
        f"sine=frequency={frequency}:sample_rate={sample_rate}:duration={seconds},"
        f"volume={gain:.2f}dB",
        "-ac",
        str(channels),
        *codec,
        *_BITEXACT,
        "-f",
        muxer,
        str(path),
    )
    return path


def make_image(
    path: str | os.PathLike[str], size: int | tuple[int, int] = 1400, *, color: str = "blue"
) -> Path:
    """Write a solid-colour image of ``size`` (int = square, or (w, h)) to ``path``.

    The format follows the suffix (.jpg/.jpeg, .png, .webp, ...). Returns the path.
    """
    path = Path(path)
    w, h = (size, size) if isinstance(size, int) else size
    path.parent.mkdir(parents=True, exist_ok=True)
    quality = ["-q:v", "2"] if path.suffix.lower() in (".jpg", ".jpeg") else []
    _lavfi(
        f"color=c={color}:s={w}x{h}:d=1",
        "-frames:v",
        "1",
        *quality,
        "-update",
        "1",
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        str(path),
    )
    return path


def make_speech(
    path: str | os.PathLike[str], text: str, fmt: str | None = None, *, voice: str = "en"
) -> Path:
    """Speak ``text`` with espeak-ng into ``path`` (any format of make_audio)."""
    path = Path(path)
    fmt = _format_for(path, fmt)
    espeak = shutil.which("espeak-ng")
    if not espeak:
        raise RuntimeError("espeak-ng not found: run scripts/install-test-deps.sh")
    muxer, codec, _ = AUDIO_FORMATS[fmt]
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        _run([espeak, "-v", voice, "-w", str(wav), text])
        _run(
            [
                ffmpeg_path(),
                "-nostdin",
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(wav),
                "-ac",
                "1",
                *codec,
                *_BITEXACT,
                "-f",
                muxer,
                str(path),
            ]
        )
    return path


def probe_duration(path: str | os.PathLike[str]) -> float:
    """Duration in seconds as ffprobe reports it (format-level)."""
    ffprobe = shutil.which("ffprobe")
    if not ffprobe:
        raise RuntimeError("ffprobe not found: run scripts/install-test-deps.sh")
    proc = subprocess.run(
        [
            ffprobe,
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "default=nw=1:nk=1",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return float(proc.stdout.strip())
