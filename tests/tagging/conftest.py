"""Fixtures for the tagging tests: one short recording per format, made by ffmpeg at test
time with the shared helpers (tests/support/media.py)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from tests.support.media import make_audio, make_image

# name -> (file name, tests.support.media format)
FORMATS: dict[str, tuple[str, str]] = {
    "mp3": ("tone.mp3", "mp3"),
    "m4a-aac": ("tone.m4a", "m4a"),
    "m4b-alac": ("tone.m4b", "m4a-alac"),
    "ogg": ("tone.ogg", "ogg"),
    "opus": ("tone.opus", "opus"),
    "flac": ("tone.flac", "flac"),
    "wav": ("tone.wav", "wav"),
}
SECONDS = 2.5


def run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"
    return proc.stdout


_MD5: dict[str, str] = {}


def pcm_md5(path: Path) -> str:
    """md5 of the decoded audio (what a player hears), independent of tags and container."""
    key = sha(path)
    if key not in _MD5:
        cmd = ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a", "-f", "md5", "-"]
        _MD5[key] = run(cmd).strip()
    return _MD5[key]


def ffprobe(path: Path) -> dict:
    out = run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-show_chapters",
         "-of", "json", str(path)]
    )  # fmt: skip
    return json.loads(out)


def ffprobe_tags(path: Path) -> dict[str, str]:
    """Format and audio stream tags (Ogg keeps them on the stream), keys lower-cased."""
    data = ffprobe(path)
    tags = {k.lower(): v for k, v in data["format"].get("tags", {}).items()}
    for stream in data["streams"]:
        if stream.get("codec_type") == "audio":
            tags.update({k.lower(): v for k, v in stream.get("tags", {}).items()})
    return tags


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def fixtures(tmp_path_factory) -> dict[str, Path]:
    """format name -> a fresh 2.5 s recording (session-scoped: never modify these)."""
    folder = tmp_path_factory.mktemp("formats")
    return {name: make_audio(folder / fn, SECONDS, fmt) for name, (fn, fmt) in FORMATS.items()}


@pytest.fixture(scope="session")
def covers(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("covers")
    return {
        "jpeg": make_image(folder / "cover.jpg", 300, color="red"),
        "png": make_image(folder / "cover.png", 200, color="blue"),
        "big": make_image(folder / "big.jpg", 1600, color="green"),
    }
