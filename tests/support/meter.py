"""An independent loudness meter and media maker for the mastering tests.

The meter is the system's (Debian's) ffmpeg and ffprobe, run from here and parsed here: not
the bundled ffmpeg audiofeed runs, not audiofeed's parser. It measures plain ITU-R BS.1770
(a mono file as one channel, no dual-mono), so a mono master at audiofeed's "-16 LUFS"
reads about -19 LUFS here (docs/mastering.md, the mono convention).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


def system(name: str) -> str:
    exe = shutil.which(name)
    if not exe:
        raise RuntimeError(f"{name} not found: run scripts/install-test-deps.sh")
    return exe


_READ = [shutil.which("ffmpeg") or "ffmpeg", "-nostdin", "-hide_banner", "-i"]


@dataclass(frozen=True)
class Reading:
    integrated: float  # LUFS
    true_peak: float  # dBTP
    lra: float


def measure(path: Path, *, extra_filter: str = "") -> Reading:
    """ebur128 with true peak, from the system ffmpeg."""
    af = (extra_filter + "," if extra_filter else "") + "ebur128=peak=true"
    proc = subprocess.run(
        [*_READ, str(path), "-map", "0:a:0", "-af", af, "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    summary = proc.stderr[proc.stderr.rfind("Summary:") :]
    i = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary)[1])
    lra = float(re.search(r"LRA:\s+(-?[\d.]+) LU", summary)[1])
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)[1]
    return Reading(i, float(peak) if peak != "-inf" else -120.0, lra)


def streams(path: Path) -> list[dict]:
    """ffprobe's streams of a file."""
    proc = subprocess.run(
        [
            system("ffprobe"),
            "-v",
            "error",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(proc.stdout)["streams"]


def duration(path: Path) -> float:
    """Decoded duration (seconds) of the first audio stream, from the system ffmpeg."""
    proc = subprocess.run(
        [*_READ, str(path), "-map", "0:a:0", "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    h, m, s = re.findall(r"time=(\d+):(\d\d):(\d\d\.\d+)", proc.stderr)[-1]
    return int(h) * 3600 + int(m) * 60 + float(s)


def speechlike(seconds: float, level_db: float, freq: int = 220) -> str:
    """A lavfi source: a tone whose level swells and falls (a loudness range, like speech),
    ``level_db`` below full scale."""
    return (
        f"sine=frequency={freq}:sample_rate=48000:duration={seconds},"
        f"tremolo=f=0.7:d=0.6,volume={level_db}dB"
    )


def make(path: Path, *args: str, source: str | None = None, video: bool = False) -> Path:
    """ffmpeg (system) from a lavfi audio source (default: 4 s speech-like at -30 dB) with
    ``args`` (codec, sample format …), optionally with a small video stream first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [system("ffmpeg"), "-nostdin", "-hide_banner", "-v", "error", "-y"]
    if video:
        cmd += ["-f", "lavfi", "-i", "color=c=blue:s=64x64:r=5:d=4"]
    cmd += ["-f", "lavfi", "-i", source or speechlike(4, -30)]
    if video and "-map" not in args:
        cmd += ["-map", "0:v", "-map", "1:a", "-shortest"]
    subprocess.run([*cmd, *args, str(path)], capture_output=True, check=True, timeout=120)
    return path
