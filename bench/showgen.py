"""Benchmark data: show folders with real (cheap) MP3 recordings, made with ffmpeg.

A recording of any size is one short ffmpeg-made clip (pink noise, CBR, no Xing/ID3
header) repeated: an MP3 stream is a sequence of self-contained frames, so the
concatenation is a valid recording that mutagen measures from its frames and that every
player accepts. Noise keeps the payload incompressible, like real speech at that bitrate.
A 50 MiB file costs one 3 s ffmpeg run plus a 50 MiB write.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

BASE = datetime(2022, 9, 8, 9, 0, tzinfo=timezone(timedelta(hours=1)))

CONFIG = """\
[podcast]
title = "Benchmark Conference"
description = "A synthetic show for audiofeed's benchmark: {n} sessions."
author = "The Organisers"
language = "en"
categories = ["Technology"]
explicit = false
image = "cover.jpg"
website = "https://bench.example.org/"
owner = {{ name = "The Organisers", email = "bench@example.org" }}

[publish]
base_url = "https://bench.example.org/show/"
destination = "public"
{extra}
# cases (a)-(f) measure publishing and transfer, not mastering (that is case (m)): the
# recordings go out as they are, without the loudness analysis
[master]
enabled = false
"""

EPISODE = """\
+++
title = "Session {i}: measuring what matters, part {i}"
start = {start}
audio = "recordings/{audio}"
guid = "{guid}"
slug = "session-{i:05d}"
day = "Day {day}"
track = "Track {track}"
episode = {i}

[[speakers]]
name = "Speaker {i}"
affiliation = "Institute {track}"
+++
{body}
"""

BODY = """\
Session {i} of the benchmark show. **{who}** discusses how outcomes are measured, with a
[link to the slides](https://bench.example.org/slides/{i}.pdf) and a short list:

- data sharing between organisations
- the risk of *performativity* in measurement
- what {who} would change ({variant})

A second paragraph with `inline code`, an em dash — and a quote: "everyone agrees".
"""


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def mp3_clip(path: Path, seconds: float, bitrate_k: int, seed: int) -> bytes:
    """A short bare MP3 stream (CBR, no Xing or ID3 header) of pink noise."""
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"anoisesrc=color=pink:duration={seconds}:seed={seed}:amplitude=0.3",
        "-ac",
        "1",
        "-ar",
        "44100",
        "-c:a",
        "libmp3lame",
        "-b:a",
        f"{bitrate_k}k",
        "-write_xing",
        "0",
        "-id3v2_version",
        "0",
        "-write_id3v1",
        "0",
        "-f",
        "mp3",
        str(path),
    )
    data = path.read_bytes()
    path.unlink()
    return data


def write_repeated(path: Path, clip: bytes, size: int) -> int:
    """Write whole copies of ``clip`` until the file holds at least ``size`` bytes."""
    copies = max(1, -(-size // len(clip)))
    block = clip * max(1, (8 << 20) // len(clip))
    per_block = len(block) // len(clip)
    written = 0
    with open(path, "wb") as f:
        left = copies
        while left >= per_block:
            f.write(block)
            left -= per_block
        f.write(clip * left)
        written = f.tell()
    return written


def cover(path: Path) -> None:
    """A small valid 1400x1400 JPEG show cover (the feed rules want 1400-3000 px)."""
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=0x336699:s=1400x1400",
        "-frames:v",
        "1",
        "-q:v",
        "10",
        str(path),
    )


def make_show(
    root: Path,
    episodes: int,
    size: int,
    *,
    bitrate_k: int = 128,
    distinct_clips: int = 8,
    extra_config: str = "",
    share_recordings: bool = False,
) -> Path:
    """A show folder with ``episodes`` sessions, each with a recording of ~``size`` bytes.

    ``share_recordings``: every episode points at one of ``distinct_clips`` files (a
    10,000-episode show needs no 10,000 files to measure the feed and archive build).
    """
    if root.exists():
        shutil.rmtree(root)
    (root / "episodes").mkdir(parents=True)
    rec = root / "recordings"
    rec.mkdir()
    cover(root / "cover.jpg")
    (root / "config.toml").write_text(CONFIG.format(n=episodes, extra=extra_config))
    seconds = 2.0 if size < (4 << 20) else 6.0
    clips = [
        mp3_clip(rec / f"clip{k}.mp3", seconds, bitrate_k, seed=k + 1)
        for k in range(min(distinct_clips, episodes))
    ]
    shared: list[str] = []
    if share_recordings:
        for k, clip in enumerate(clips):
            name = f"shared-{k}.mp3"
            write_repeated(rec / name, clip, size)
            shared.append(name)
    for i in range(1, episodes + 1):
        if share_recordings:
            audio = shared[i % len(shared)]
        else:
            audio = f"session-{i:05d}.mp3"
            write_repeated(rec / audio, clips[i % len(clips)], size)
        write_episode(root, i, audio)
    return root


def write_episode(root: Path, i: int, audio: str, variant: str = "v0") -> Path:
    start = (BASE + timedelta(minutes=30 * i)).isoformat()
    path = root / "episodes" / f"session-{i:05d}.md"
    body = BODY.format(i=i, who=f"Speaker {i}", variant=variant)
    guid = uuid.uuid5(uuid.NAMESPACE_URL, f"bench-{i}")
    path.write_text(
        EPISODE.format(
            i=i, start=start, audio=audio, guid=guid, day=1 + i % 3, track=1 + i % 4, body=body
        )
    )
    return path


def change_description(root: Path, i: int, variant: str) -> None:
    """Edit one episode's Markdown body (what case (d) republishes)."""
    path = root / "episodes" / f"session-{i:05d}.md"
    text = path.read_text()
    head, _, _ = text.rpartition("+++\n")
    audio = next(
        line.split('"')[1] for line in head.splitlines() if line.startswith("audio = ")
    ).removeprefix("recordings/")
    write_episode(root, i, audio, variant)
