"""Transcript timings moved with a trim: WebVTT, SRT and Podcasting 2.0 JSON transcripts of
the whole recording -> the same transcript for the published (cut) audio.

A cue is moved back by the seconds cut at the start; cues wholly in the cut-away parts are
dropped, a cue across a cut is clipped to it, so every cue left falls inside the published
audio. Formats without timings (HTML, plain text) are left as they are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import EpisodeError

_TIMING = re.compile(
    r"^(\s*)((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})(\s*-->\s*)((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})(.*)$"
)
TIMED = (".vtt", ".srt", ".json")
SLIVER = 0.1  # seconds: less of a cue than this left by a cut is dropped


def _seconds(value: str) -> float:
    total = 0.0
    for part in value.replace(",", ".").split(":"):
        total = total * 60 + float(part)
    return total


def _stamp(seconds: float, srt: bool) -> str:
    ms = round(seconds * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{',' if srt else '.'}{ms:03d}"


def shift(text: str, ext: str, offset: float, duration: float, where: Path) -> str:
    """``text`` (a transcript of extension ``ext``) for audio that starts ``offset`` seconds
    into the recording and lasts ``duration`` seconds. Raises EpisodeError if no cue is
    left inside."""
    ext = ext.lower()
    if ext == ".json":
        return _json(text, offset, duration, where)
    if ext not in (".vtt", ".srt"):
        return text
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip("\n"))
    out, kept = [], 0
    for block in blocks:
        lines = block.split("\n")
        at = next((i for i, x in enumerate(lines) if _TIMING.match(x)), None)
        if at is None:  # WEBVTT header, NOTE, STYLE: kept as they are
            out.append(block)
            continue
        m = _TIMING.match(lines[at])
        assert m is not None
        start = _seconds(m[2]) - offset
        end = _seconds(m[4]) - offset
        start, end = max(start, 0.0), min(end, duration)
        if end - start < SLIVER:
            continue
        srt = ext == ".srt"
        lines[at] = f"{m[1]}{_stamp(start, srt)}{m[3]}{_stamp(end, srt)}{m[5]}"
        kept += 1
        if srt and at > 0 and lines[0].strip().isdigit():
            lines[0] = str(kept)
        out.append("\n".join(lines))
    if not kept:
        raise EpisodeError(
            f"no cue of the transcript falls inside the trimmed recording "
            f"({offset:g} s to {offset + duration:g} s); check the trim",
            path=where,
            field="transcript",
        )
    return "\n\n".join(out) + "\n"


def _json(text: str, offset: float, duration: float, where: Path) -> str:
    try:
        data = json.loads(text)
        segments = data["segments"]
    except (ValueError, KeyError, TypeError) as exc:
        raise EpisodeError(
            "not a Podcasting 2.0 JSON transcript (no segments)", path=where, field="transcript"
        ) from exc
    kept = []
    for seg in segments:
        start = float(seg.get("startTime", 0)) - offset
        end = float(seg.get("endTime", start + offset)) - offset
        if min(end, duration) - max(start, 0.0) < SLIVER:
            continue
        kept.append(
            {**seg, "startTime": round(max(start, 0.0), 3), "endTime": round(min(end, duration), 3)}
        )
    if not kept:
        raise EpisodeError(
            "no cue of the transcript falls inside the trimmed recording; check the trim",
            path=where,
            field="transcript",
        )
    return json.dumps({**data, "segments": kept}, ensure_ascii=False, indent=1) + "\n"
