"""Transcript cues moved with a trim (audiofeed.publish.cues)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audiofeed.errors import EpisodeError
from audiofeed.publish import cues

EP = Path("episodes/x.md")
SRT = """1
00:00:01,000 --> 00:00:04,000
cut away

2
00:00:09,500 --> 00:00:12,000
across the cut

3
00:01:02,250 --> 00:01:05,000
inside

4
00:02:00,000 --> 00:02:03,000
after the end
"""


def test_srt_cues_move_are_clipped_dropped_and_renumbered() -> None:
    out = cues.shift(SRT, ".srt", 10.0, 100.0, EP)
    assert out == (
        "1\n00:00:00,000 --> 00:00:02,000\nacross the cut\n\n"
        "2\n00:00:52,250 --> 00:00:55,000\ninside\n"
    )


def test_vtt_keeps_its_header_and_notes() -> None:
    vtt = "WEBVTT\n\nNOTE made by hand\n\n" + SRT.replace(",", ".")
    out = cues.shift(vtt, ".vtt", 10.0, 100.0, EP)
    assert out.startswith("WEBVTT\n\nNOTE made by hand\n\n")
    assert "00:00:52.250 --> 00:00:55.000" in out and "cut away" not in out


def test_json_segments_move() -> None:
    data = {"version": "1.0.0", "segments": [
        {"speaker": "A", "startTime": 1.0, "endTime": 3.0, "body": "gone"},
        {"speaker": "B", "startTime": 12.5, "endTime": 14.0, "body": "kept"},
    ]}  # fmt: skip
    out = json.loads(cues.shift(json.dumps(data), ".json", 10.0, 100.0, EP))
    assert out["segments"] == [{"speaker": "B", "startTime": 2.5, "endTime": 4.0, "body": "kept"}]


def test_no_cue_left_is_an_error_naming_the_episode() -> None:
    with pytest.raises(EpisodeError) as err:
        cues.shift(SRT, ".srt", 500.0, 10.0, EP)
    assert err.value.path == EP and err.value.field == "transcript"


def test_untimed_transcripts_are_left_alone() -> None:
    assert cues.shift("just text", ".txt", 10.0, 5.0, EP) == "just text"
