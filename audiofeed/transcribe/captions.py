"""Recognised segments -> WebVTT and SRT files.

Cues are cut from the word timings: a cue ends at the end of a sentence or when it would
grow past two lines (WebVTT: 42 characters a line; SRT: the Podcasting 2.0 transcript
guide's 32 characters a line, two lines at most). Times never pass the audio's end.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from .engine import Segment, Word

VTT_LINE = 42
SRT_LINE = 32
LINES = 2
SENTENCE_END = (".", "?", "!")
#: a sentence end closes a cue only when the cue has at least this many characters
MIN_CUE = 12


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def cues(segments: list[Segment], line: int, duration: float) -> list[Cue]:
    """Cues of at most ``LINES`` lines of ``line`` characters (a longer single word alone)."""
    words: list[Word] = []
    for seg in segments:
        words += seg.words or [Word(seg.start, seg.end, " " + seg.text)]
    out: list[Cue] = []
    current: list[Word] = []

    def flush() -> None:
        if current:
            text = " ".join(w.text.strip() for w in current if w.text.strip())
            if text:
                start = min(max(current[0].start, 0.0), duration)
                end = min(max(current[-1].end, start + 0.001), duration)
                out.append(Cue(start, max(end, start), text))
            current.clear()

    for word in words:
        candidate = " ".join(w.text.strip() for w in [*current, word])
        if current and not _fits(candidate, line):
            flush()
        current.append(word)
        text = " ".join(w.text.strip() for w in current)
        if word.text.strip().endswith(SENTENCE_END) and len(text) >= MIN_CUE:
            flush()
    flush()
    return out


def _fits(text: str, line: int) -> bool:
    return len(textwrap.wrap(text, line, break_long_words=False)) <= LINES


def _stamp(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _lines(text: str, line: int) -> str:
    return "\n".join(textwrap.wrap(text, line, break_long_words=False)) or text


def _vtt_text(text: str) -> str:
    """Cue text as WebVTT needs it: no ``-->``, ``&`` and ``<`` escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(segments: list[Segment], duration: float, note: str) -> str:
    """A WebVTT file; ``note`` goes into a NOTE block at the top."""
    blocks = ["WEBVTT", "NOTE\n" + note.replace("-->", "->")]
    for cue in cues(segments, VTT_LINE, duration):
        blocks.append(
            f"{_stamp(cue.start, '.')} --> {_stamp(cue.end, '.')}\n"
            + _vtt_text(_lines(cue.text, VTT_LINE))
        )
    return "\n\n".join(blocks) + "\n"


def to_srt(segments: list[Segment], duration: float) -> str:
    """An SRT file (numbered cues, comma before the milliseconds)."""
    blocks = []
    for n, cue in enumerate(cues(segments, SRT_LINE, duration), 1):
        blocks.append(
            f"{n}\n{_stamp(cue.start, ',')} --> {_stamp(cue.end, ',')}\n"
            + _lines(cue.text.replace("-->", "->"), SRT_LINE)
        )
    return "\n\n".join(blocks) + "\n"
