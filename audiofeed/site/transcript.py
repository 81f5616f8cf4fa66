"""Transcript files (WebVTT, SRT, Podcasting 2.0 JSON, HTML, plain text) -> cues for a page.

Everything comes out as plain text; the templates escape it. Nothing here is ever marked safe.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass

from ..errors import EpisodeError
from ..show.catalog import Episode, parse_timestamp
from ..shownotes import clean_text, html_to_text, sanitize

FORMATS = (".vtt", ".srt", ".json", ".html", ".htm", ".txt")
_TIMING = re.compile(
    r"^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")
_TAG = re.compile(r"<[^>]*>")
_SPEAKER_LINE = re.compile(r"^([^:\n]{1,40}):\s+(.+)$", re.S)


@dataclass(frozen=True)
class Cue:
    """One stretch of the transcript; ``start`` is None when the format has no timings."""

    text: str
    start: float | None = None
    speaker: str | None = None


def load(episode: Episode) -> tuple[Cue, ...]:
    """The cues of an episode's transcript (empty without one); errors name the episode file."""
    path = episode.transcript
    if path is None:
        return ()
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise EpisodeError(
            f"{path.name}: transcript format {ext or '(none)'} is not supported; "
            f"use one of {', '.join(FORMATS)}",
            path=episode.path,
            field="transcript",
        )
    try:
        text = clean_text(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise EpisodeError(
            f"{path.name}: not UTF-8 text (byte {exc.start}); save it as UTF-8",
            path=episode.path,
            field="transcript",
        ) from exc
    except OSError as exc:
        raise EpisodeError(
            f"{path.name}: cannot read: {exc.strerror}", path=episode.path, field="transcript"
        ) from exc
    try:
        cues = _PARSERS[ext](text)
    except ValueError as exc:
        raise EpisodeError(f"{path.name}: {exc}", path=episode.path, field="transcript") from exc
    if not cues:
        raise EpisodeError(
            f"{path.name}: no transcript text found", path=episode.path, field="transcript"
        )
    return tuple(cues)


def _seconds(value: str) -> float:
    seconds = parse_timestamp(value.replace(",", "."))
    if seconds is None:  # pragma: no cover - the regex only lets readable times through
        raise ValueError(f"unreadable time {value!r}")
    return seconds


def _cue_blocks(text: str) -> list[Cue]:
    """Cue blocks shared by WebVTT and SRT: optional id, timing line, text lines."""
    cues = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line for line in block.split("\n") if line.strip()]
        timing = next((i for i, line in enumerate(lines) if _TIMING.match(line)), None)
        if timing is None:
            continue  # header, NOTE, STYLE, REGION blocks
        body = " ".join(lines[timing + 1 :])
        voice = _VOICE.search(body)
        speaker = html.unescape(voice.group(1)).strip() if voice else None
        words = " ".join(html.unescape(_TAG.sub("", body)).split())
        if words:
            start = _seconds(_TIMING.match(lines[timing]).group(1))  # type: ignore[union-attr]
            cues.append(Cue(text=words, start=start, speaker=speaker))
    return _merge(cues)


def _vtt(text: str) -> list[Cue]:
    if not text.lstrip().startswith("WEBVTT"):
        raise ValueError("a WebVTT file must start with 'WEBVTT'")
    return _cue_blocks(text)


def _srt(text: str) -> list[Cue]:
    cues = _cue_blocks(text)
    if not cues:
        raise ValueError("no SRT cues ('00:00:01,000 --> 00:00:04,000' lines) found")
    return cues


def _json(text: str) -> list[Cue]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON (line {exc.lineno}): {exc.msg}") from exc
    segments = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(segments, list):
        raise ValueError('a JSON transcript needs a "segments" list (Podcasting 2.0 format)')
    cues = []
    for seg in segments:
        if not isinstance(seg, dict) or not isinstance(seg.get("body"), str):
            raise ValueError('every segment needs a "body" string')
        start = seg.get("startTime")
        speaker = seg.get("speaker")
        cues.append(
            Cue(
                text=" ".join(seg["body"].split()),
                start=float(start) if isinstance(start, int | float) else None,
                speaker=speaker.strip() if isinstance(speaker, str) and speaker.strip() else None,
            )
        )
    return _merge([c for c in cues if c.text])


def _html(text: str) -> list[Cue]:
    return _plain(html_to_text(sanitize(text)).replace("\n", "\n\n"))


def _plain(text: str) -> list[Cue]:
    cues = []
    for para in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        words = " ".join(para.split())
        if not words:
            continue
        m = _SPEAKER_LINE.match(words)
        if m and len(m.group(1).split()) <= 4:
            cues.append(Cue(text=m.group(2), speaker=m.group(1)))
        else:
            cues.append(Cue(text=words))
    return cues


def _merge(cues: list[Cue]) -> list[Cue]:
    """Join consecutive cues of the same named speaker into one paragraph."""
    merged: list[Cue] = []
    for cue in cues:
        last = merged[-1] if merged else None
        if last and cue.speaker and last.speaker == cue.speaker:
            merged[-1] = Cue(text=f"{last.text} {cue.text}", start=last.start, speaker=last.speaker)
        else:
            merged.append(cue)
    return merged


_PARSERS = {
    ".vtt": _vtt,
    ".srt": _srt,
    ".json": _json,
    ".html": _html,
    ".htm": _html,
    ".txt": _plain,
}
