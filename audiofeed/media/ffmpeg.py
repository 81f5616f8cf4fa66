"""Every ffmpeg run of the package goes through :func:`run`, which names the file on failure.

The binary is the one the ``imageio-ffmpeg`` wheel ships (a pip dependency, so nothing needs
a system ffmpeg, and the same source and settings give the same bytes on every machine).
``AUDIOFEED_FFMPEG=/path/to/ffmpeg`` points at another one. ``AUDIOFEED_FFMPEG_TRACE=FILE``
appends one JSON line per run (its arguments) to FILE: what a publish really ran.

There is no ffprobe in the wheel: what a file holds is read from the header ffmpeg prints
for its input (:func:`parse_input`), which every analysis run prints anyway.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from ..errors import MediaError

ENV = "AUDIOFEED_FFMPEG"
TRACE_ENV = "AUDIOFEED_FFMPEG_TRACE"
#: flags that make ffmpeg's output depend only on its input and arguments
BITEXACT = ["-fflags", "+bitexact", "-flags:a", "+bitexact"]
QUIET = ["-nostdin", "-hide_banner"]


@lru_cache(maxsize=1)
def executable() -> str:
    """The ffmpeg to run: ``$AUDIOFEED_FFMPEG``, else the binary in the imageio-ffmpeg wheel."""
    chosen = os.environ.get(ENV)
    if chosen:
        return chosen
    spec = find_spec("imageio_ffmpeg")  # the binary's path without importing the package
    if spec and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            found = sorted(Path(folder, "binaries").glob("ffmpeg-*"))
            found = [p for p in found if os.access(p, os.X_OK) and p.suffix != ".md"]
            if found:
                return str(found[-1])
    raise MediaError(
        "no ffmpeg: the imageio-ffmpeg package is missing; run 'pip install imageio-ffmpeg' "
        f"(it ships ffmpeg) or set {ENV}=/path/to/ffmpeg",
        path=Path("ffmpeg"),
    )


@lru_cache(maxsize=1)
def version() -> str:
    """What identifies the encoder (part of every mastered file's cache key): for the bundled
    binary its file name carries the version; another ffmpeg is asked once per process."""
    exe = executable()
    name = Path(exe).name
    if ENV not in os.environ and re.search(r"v\d+\.\d+", name):
        st = os.stat(exe)
        return f"{name} {st.st_size}"
    proc = run(["-version"], path=Path(exe), doing="start ffmpeg")
    return (proc.stdout.splitlines() or ["ffmpeg"])[0].strip()


def run(
    args: list[str],
    *,
    path: Path,
    doing: str,
    timeout: float | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """``ffmpeg ARGS``; on failure a MediaError naming ``path`` and ffmpeg's last error line."""
    cmd = [executable(), *args]
    trace = os.environ.get(TRACE_ENV)
    if trace:
        with open(trace, "a", encoding="utf-8") as f:
            f.write(json.dumps(cmd[1:]) + "\n")
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise MediaError(f"cannot {doing}: ffmpeg not found at {cmd[0]}", path=path) from exc
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"cannot {doing}: ffmpeg took longer than {timeout}s", path=path) from exc
    if check and proc.returncode != 0:
        raise MediaError(f"cannot {doing}: {reason(proc.stderr)}", path=path)
    return proc


def reason(stderr: str) -> str:
    """ffmpeg's own explanation: its last line that says what went wrong."""
    lines = [x.strip() for x in stderr.splitlines() if x.strip()]
    for line in reversed(lines):
        if not line.startswith(("Exiting", "Conversion failed", "size=", "[out#")):
            line = re.sub(r"^\[[^\]]+ @ 0x[0-9a-f]+\]\s*", "", line)
            return line[:200]
    return "unknown ffmpeg error"


@dataclass(frozen=True)
class Stream:
    """One stream of an input, as ffmpeg's header lists it."""

    kind: str  # Audio, Video, Subtitle, Data, Attachment
    codec: str
    sample_rate: int | None = None
    channels: int | None = None


@dataclass(frozen=True)
class InputInfo:
    """What ffmpeg says an input holds: container, duration and streams."""

    container: str
    duration: float | None
    streams: tuple[Stream, ...]

    @property
    def audio(self) -> list[Stream]:
        return [s for s in self.streams if s.kind == "Audio"]

    @property
    def has_video(self) -> bool:
        # cover art in MP3/M4A shows as a one-frame 'Video' stream marked (attached pic)
        return any(s.kind == "Video" and "attached pic" not in s.codec for s in self.streams)


_INPUT = re.compile(r"^Input #0, ([^,]+(?:,[^ ]+)*), from ", re.M)
_DURATION = re.compile(r"^\s+Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", re.M)
_STREAM = re.compile(r"^\s+Stream #0:\d+(?:\[[^\]]*\])?(?:\([^)]*\))?: (\w+): (.*)$", re.M)
_LAYOUTS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "5.0": 5, "5.1": 6, "7.1": 8}


def parse_input(stderr: str) -> InputInfo | None:
    """The input header ffmpeg prints at info level, or None if it printed none."""
    m = _INPUT.search(stderr)
    if not m:
        return None
    d = _DURATION.search(stderr, m.end())
    duration = int(d[1]) * 3600 + int(d[2]) * 60 + float(d[3]) if d else None
    ends = [i for i in (stderr.find(x, m.end()) for x in ("Stream mapping:", "Output #0")) if i > 0]
    streams = []
    for s in _STREAM.finditer(stderr, m.end(), min(ends, default=len(stderr))):
        kind, rest = s[1], s[2]
        rate = re.search(r"(\d+) Hz", rest)
        channels = None
        for part in (p.strip() for p in rest.split(",")):
            base = part.split("(")[0].strip()
            if base in _LAYOUTS:
                channels = _LAYOUTS[base]
            elif cm := re.fullmatch(r"(\d+) channels", base):
                channels = int(cm[1])
        streams.append(Stream(kind, rest, int(rate[1]) if rate else None, channels))
    return InputInfo(m[1], duration, tuple(streams))


_TIME = re.compile(r"time=(\d+):(\d\d):(\d\d(?:\.\d+)?)")


def decoded_seconds(stderr: str) -> float | None:
    """How much was decoded: the last ``time=`` of ffmpeg's progress line."""
    found = _TIME.findall(stderr)
    if not found:
        return None
    h, m, s = found[-1]
    return int(h) * 3600 + int(m) * 60 + float(s)
