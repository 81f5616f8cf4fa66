"""A small real show for the archive tests: ffmpeg-made recordings, chapters, a transcript,
and one session whose title, people and description try to inject HTML and script."""

from __future__ import annotations

import json
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.media import make_audio, make_image

#: slug -> (recording file, real length in seconds)
RECORDINGS = {
    "opening-plenary": ("recordings/opening.mp3", 6.0),
    "data-roundtable": ("recordings/roundtable.m4a", 4.0),
    "tricky-session": ("recordings/tricky.mp3", 3.0),
}
CHAPTERS = [(0.0, "Welcome"), (2.0, "Why outcomes matter"), (4.5, "Questions from the floor")]
EVIL_TITLE = "Tricks with <b>bold</b> & <script>window.__pwned='title'</script>"
EVIL_SPEAKER = "<img src=x onerror=\"window.__pwned='speaker'\">"
EVIL_BODY = """\
Ordinary **Markdown** with a [good link](https://example.org/ok).

<script>window.__pwned = 'script'; alert('script')</script>

<img src="x" onerror="window.__pwned = 'onerror'; alert('onerror')">

[click me](javascript:alert('markdown-js'))
<a href="javascript:window.__pwned='html-js'">and me</a>
<iframe src="javascript:alert('iframe')"></iframe>
<svg onload="alert('svg')"><circle r="1"/></svg>
<p onclick="alert('click')" style="color:red">styled</p>
"""
VTT = """\
WEBVTT

00:00:00.000 --> 00:00:02.000
<v Dr Ada Example>Welcome to the opening plenary.

00:00:02.000 --> 00:00:04.500
<v Prof Ben Sample>Outcomes matter because people do.

00:00:04.500 --> 00:00:06.000
<v Dr Ada Example>Questions, please.
"""


@dataclass(frozen=True)
class Show:
    root: Path
    config: Path
    public: Path

    def page(self, key: str) -> str:
        return (self.public / key).read_text(encoding="utf-8")


CONFIG = """\
[podcast]
title = "Test Conference <2026>"
description = "Every session of the *Test Conference*, recorded."
author = "Test Lab"
language = "en"
categories = ["Government"]
image = "cover.jpg"
website = "https://example.org/"
owner = {{ name = "Test Lab", email = "lab@example.org" }}

[publish]
base_url = "http://127.0.0.1:8000/"
destination = "public"
{site}"""

EPISODES = {
    "01-opening.md": f"""\
+++
title = "Opening plenary: outcomes for everyone"
start = 2026-03-02T09:00:00+00:00
audio = "recordings/opening.mp3"
guid = "11111111-1111-4111-8111-111111111111"
slug = "opening-plenary"
subtitle = "Plenary"
day = "Day 1"
track = "Main hall"
room = "Lecture Theatre 1"
transcript = "transcripts/opening.vtt"
chapters = [
{"".join(f'  {{ start = {s}, title = "{t}" }},{chr(10)}' for s, t in CHAPTERS)}]

[chair]
name = "Dr Ada Example"
affiliation = "Test Lab"
role = "Director"

[[speakers]]
name = "Prof Ben Sample"
affiliation = "University of Somewhere"
+++
The conference opens: why outcomes matter, and for whom.
""",
    "02-roundtable.md": """\
+++
title = "Roundtable: sharing data between organisations"
start = 2026-03-02T11:00:00+00:00
audio = "recordings/roundtable.m4a"
guid = "22222222-2222-4222-8222-222222222222"
slug = "data-roundtable"
day = "Day 1"
track = "Room B"
language = "en-gb"
license = "CC BY 4.0"
links = [{ title = "Background paper", url = "https://example.org/paper" }]

[[speakers]]
name = "Chidi Okafor"
affiliation = "Data & Society Trust"
+++
A roundtable on data sharing.
""",
    "03-tricky.md": f"""\
+++
title = {json.dumps(EVIL_TITLE)}
start = 2026-03-03T10:00:00+00:00
audio = "recordings/tricky.mp3"
guid = "33333333-3333-4333-8333-333333333333"
slug = "tricky-session"
day = "Day 2"
track = "Room <i>C</i>"
chapters = [
  {{ start = 0, title = "<script>alert('chapter')</script>", url = "javascript:alert(1)" }},
]

[chair]
name = "Eve <em>Mallory</em>"
affiliation = "<b>Evil</b> Corp"
url = "javascript:alert('person')"

[[speakers]]
name = {json.dumps(EVIL_SPEAKER)}
+++
{EVIL_BODY}""",
}


def write_show(root: Path, *, site: str = "") -> Show:
    """Write the test show into ``root`` (recordings made by ffmpeg) and return its paths."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.toml").write_text(CONFIG.format(site=site), encoding="utf-8")
    make_image(root / "cover.jpg", 1400, color="0x1f4e79")
    for path, seconds in RECORDINGS.values():
        make_audio(root / path, seconds)
    (root / "transcripts").mkdir()
    (root / "transcripts" / "opening.vtt").write_text(VTT, encoding="utf-8")
    (root / "episodes").mkdir()
    for name, text in EPISODES.items():
        (root / "episodes" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return Show(root=root, config=root / "config.toml", public=root / "public")


def publish(show: Show) -> None:
    from audiofeed.publish.pipeline import publish as run

    run(show.config)


@pytest.fixture(scope="session")
def show_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test show's source folder, made once per session (copy it before changing it)."""
    return write_show(tmp_path_factory.mktemp("archive-show-src") / "show").root


@pytest.fixture
def fresh_show(show_template: Path, tmp_path: Path) -> Show:
    """A private, unpublished copy of the test show."""
    root = tmp_path / "show"
    shutil.copytree(show_template, root)
    return Show(root=root, config=root / "config.toml", public=root / "public")


@pytest.fixture(scope="module")
def published_show(show_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Show:
    """The test show, published to its local ``public/`` folder (shared within a module)."""
    root = tmp_path_factory.mktemp("archive-published") / "show"
    shutil.copytree(show_template, root)
    show = Show(root=root, config=root / "config.toml", public=root / "public")
    publish(show)
    return show
