"""Demo-show helpers: a copy of the show, real audio made by ffmpeg, tree snapshots."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO_PARTS = ("config.toml", "cover.jpg", "episodes", "recordings")


def ffmpeg_audio(path: Path, seconds: float = 3.0, *, freq: int = 440) -> Path:
    """A real recording made by ffmpeg (sine tone); codec chosen by the extension."""
    codec = {".mp3": ["-c:a", "libmp3lame", "-b:a", "64k"], ".m4a": ["-c:a", "aac", "-b:a", "64k"]}[
        path.suffix
    ]
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={freq}:duration={seconds}",
            "-ac",
            "1",
            "-ar",
            "44100",
            *codec,
            str(path),
        ],
        check=True,
    )
    return path


def ffprobe_duration(path: Path) -> float:
    """Duration measured independently of mutagen."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(out.strip())


def copy_demo_show(tmp_path: Path) -> Path:
    """A fresh copy of the repo's demo show (config.toml, episodes/, recordings/, cover)."""
    dest = tmp_path / "show"
    dest.mkdir()
    for part in DEMO_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            shutil.copy2(src, dest / part)
    return dest


def tree_snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder``: bytes and mtime, to prove nothing was rewritten."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
