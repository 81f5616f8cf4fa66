"""A small show whose recordings are espeak-ng speech, for ``audiofeed transcribe``.

Speech, words and thresholds are chosen and measured as docs/transcripts.md ("How it is
tested") says: tiny.en hears the PLAIN clip right, and hears "Battilana" as "Matilano"
unless the session's metadata is in its prompt."""

from __future__ import annotations

import re
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.media import make_image, make_speech

PLAIN = (
    "Welcome to the morning session on public health. Thank you all for coming. "
    "The first speaker will talk about housing. "
    "We will take questions at the end of the session."
)
NAMED = "Good morning. My name is Julie Battilana and I work on social innovation at Harvard."
HAND = "Thank you all for coming."
#: word error rate of the bundled tiny.en on PLAIN: measured 0.00 (espeak-ng 1.51, voices
#: en and en-us, faster-whisper 1.2.1); the margin allows for other versions of either
WER_LIMIT = 0.10

CONFIG = """\
[podcast]
title = "Speech Conference"
description = "Sessions, spoken by espeak-ng."
author = "Test Lab"
language = "en-gb"
categories = ["Government"]
image = "cover.jpg"
website = "https://example.org/"
owner = { name = "Test Lab", email = "lab@example.org" }

[publish]
base_url = "http://127.0.0.1:8000/"
destination = "public"
"""

EPISODES = {
    "01-health.md": """\
        +++
        title = "Public health in cities"
        start = 2026-05-04T09:00:00+01:00
        audio = "recordings/health.mp3"
        guid = "aaaaaaaa-0000-4000-8000-000000000001"
        slug = "public-health"
        +++
        The morning session.
        """,
    "02-power.md": """\
        +++
        title = "Power for all"
        start = 2026-05-04T11:00:00+01:00
        audio = "recordings/power.mp3"
        guid = "aaaaaaaa-0000-4000-8000-000000000002"
        slug = "power-for-all"
        keywords = ["social innovation"]

        [[speakers]]
        name = "Julie Battilana"
        affiliation = "Harvard Kennedy School"
        +++
        A keynote on power.
        """,
    "03-closing.md": """\
        +++
        title = "Closing remarks"
        start = 2026-05-04T17:00:00+01:00
        audio = "recordings/closing.mp3"
        guid = "aaaaaaaa-0000-4000-8000-000000000003"
        slug = "closing"
        transcript = "notes/closing.vtt"
        +++
        The end.
        """,
}
HAND_VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n<v Chair>Thank you all for coming, by hand.\n"


@dataclass(frozen=True)
class Show:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    def transcript(self, slug: str, ext: str = "vtt") -> Path:
        return self.root / "transcripts" / f"{slug}.{ext}"


def write_show(root: Path) -> Show:
    root.mkdir(parents=True)
    (root / "config.toml").write_text(CONFIG, encoding="utf-8")
    make_image(root / "cover.jpg", 1400)
    make_speech(root / "recordings" / "health.mp3", PLAIN, voice="en-us")
    make_speech(root / "recordings" / "power.mp3", NAMED, voice="en")
    make_speech(root / "recordings" / "closing.mp3", HAND, voice="en")
    (root / "notes").mkdir()
    (root / "notes" / "closing.vtt").write_text(HAND_VTT, encoding="utf-8")
    (root / "episodes").mkdir()
    for name, text in EPISODES.items():
        (root / "episodes" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return Show(root)


@pytest.fixture(scope="session")
def speech_show_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_show(tmp_path_factory.mktemp("speech-src") / "show").root


@pytest.fixture
def speech_show(speech_show_template: Path, tmp_path: Path) -> Show:
    """A private, untranscribed copy of the speech show."""
    root = tmp_path / "show"
    shutil.copytree(speech_show_template, root)
    return Show(root)


@pytest.fixture(scope="session")
def transcribed_template(speech_show_template: Path, tmp_path_factory) -> Path:
    """The speech show after one 'audiofeed transcribe' (the model runs once a session)."""
    from audiofeed.transcribe.run import transcribe_show

    root = tmp_path_factory.mktemp("speech-done") / "show"
    shutil.copytree(speech_show_template, root)
    transcribe_show(root / "config.toml")
    return root


@pytest.fixture
def transcribed(transcribed_template: Path, tmp_path: Path) -> Show:
    """A private copy of the transcribed show (with its cache in .audiofeed/)."""
    root = tmp_path / "show"
    shutil.copytree(transcribed_template, root, symlinks=True)
    return Show(root)


_TIMING = re.compile(
    r"^(\d\d):(\d\d):(\d\d)[.,](\d\d\d) --> (\d\d):(\d\d):(\d\d)[.,](\d\d\d)$", re.M
)


def read_cues(text: str) -> list[tuple[float, float, str]]:
    """(start, end, text) of every cue of a WebVTT or SRT file (the test's own reader)."""
    out = []
    for block in re.split(r"\n\n+", text.strip()):
        lines = block.split("\n")
        for i, line in enumerate(lines):
            m = _TIMING.match(line)
            if m:
                g = [int(x) for x in m.groups()]
                start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
                end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
                out.append((start, end, " ".join(lines[i + 1 :])))
                break
    return out


def words(text: str) -> list[str]:
    text = text.replace("&amp;", "&").replace("-", " ").lower()
    return re.sub(r"[^a-z0-9' ]", " ", text).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words (Levenshtein on words)."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        diagonal, row[0] = row[0], i
        for j in range(1, len(hyp) + 1):
            best = min(row[j] + 1, row[j - 1] + 1, diagonal + (ref[i - 1] != hyp[j - 1]))
            diagonal, row[j] = row[j], best
    return row[len(hyp)] / len(ref)
