"""``audiofeed inspect``, ``audiofeed tag [--dry-run]``, ``new --from-audio`` and publishing
a show with chapters, on a real show folder with recordings made by ffmpeg."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from audiofeed import media
from audiofeed.cli import cli

from .conftest import FORMATS, ffprobe

EPISODE = """+++
title = "Session {n}: {fmt}"
start = 2022-09-08T09:{n:02d}:00+01:00
audio = "recordings/{name}"
guid = "guid-{n}"
slug = "session-{n}"
day = "Day 1"
track = "Room {n}"
episode = {n}
keywords = ["outcomes", "{fmt}"]
chapters = [{{start = 0, title = "Opening"}}, {{start = "00:00:01.5", title = "Debate"}}]

[[speakers]]
name = "Speaker {n}"
affiliation = "Org"
+++
First paragraph about {fmt}.

Second paragraph.
"""


@pytest.fixture
def show(tmp_path, fixtures, monkeypatch) -> Path:
    """A show folder with one episode per format (and chapters in each)."""
    folder = tmp_path / "show"
    result = CliRunner().invoke(cli, ["init", str(folder), "--title", "Test Conf"])
    assert result.exit_code == 0, result.output
    # these tests tag every format as it is: mastering off (tests/test_mastering*.py)
    with open(folder / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[master]\nenabled = false\n")
    for n, (fmt, source) in enumerate(fixtures.items(), 1):
        name = f"{n:02d}-{source.name}"
        shutil.copy(source, folder / "recordings" / name)
        text = EPISODE.format(n=n, fmt=fmt, name=name)
        (folder / "episodes" / f"session-{n}.md").write_text(text, encoding="utf-8")
    monkeypatch.chdir(folder)
    return folder


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def feed_formats_only(show: Path) -> None:
    """Keep the episodes whose format a feed may carry (the feed rules accept the types Apple
    lists: MP3 and M4A); every format is tagged, not every format is publishable."""
    for path in (show / "episodes").glob("session-*.md"):
        if not any(f"recordings/0{n}-tone" in path.read_text() for n in (1, 2)):
            path.unlink()


def build_copies(show: Path) -> list[Path]:
    return sorted((show / ".audiofeed" / "build" / "audio").glob("session-*"))


def test_tag_dry_run_then_tag_then_inspect(show):
    dry = invoke("tag", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "recordings/01-tone.mp3 (compared with recordings/01-tone.mp3):" in dry.stdout
    assert "  + title: 'Session 1: mp3'" in dry.stdout
    assert "  + cover: image/png 1400x1400" in dry.stdout
    assert "  ~ chapters: 0 -> 2" in dry.stdout
    assert dry.stdout.rstrip().endswith("would tag 7 recording(s), 7 with tag changes")
    assert build_copies(show) == []

    done = invoke("tag")
    assert done.exit_code == 0, done.output
    copies = build_copies(show)
    assert len(copies) == 7
    # the .m4b (audio-only MP4) is published as .m4a, the type Apple accepts
    suffixes = sorted(c.suffix for c in copies)
    assert suffixes == sorted([".mp3", ".m4a", ".m4a", ".ogg", ".opus", ".flac", ".wav"])
    assert len(list((show / ".audiofeed" / "build" / "chapters").glob("*.chapters.json"))) == 7

    again = invoke("tag", "-n")
    assert again.stdout.count("  no changes") == 7
    assert "(compared with .audiofeed/build/audio/session-1-" in again.stdout

    report = invoke("inspect", "--json", *map(str, copies))
    assert report.exit_code == 0, report.output
    data = {Path(r["file"]).name: r for r in json.loads(report.stdout)}
    assert len(data) == 7
    for suffix, r in data.items():
        n = int(Path(r["file"]).name.split("-")[1])
        assert r["fields"]["title"] == f"Session {n}: {list(FORMATS)[n - 1]}", suffix
        assert r["fields"]["artist"] == f"Speaker {n}"
        assert r["fields"]["album"] == "Test Conf"
        assert r["fields"]["album_artist"] == "The Organisers"
        assert r["fields"]["date"] == "2022-09-08"
        assert r["fields"]["track"] == str(n)
        assert r["fields"]["grouping"] == f"Day 1 / Room {n}"
        assert r["fields"]["genre"] == "Podcast"
        assert r["fields"]["guid"] == f"guid-{n}"
        assert r["fields"]["feed_url"] == "http://127.0.0.1:8000/feed.xml"
        assert r["fields"]["url"] == f"http://127.0.0.1:8000/episodes/session-{n}.html"
        assert r["fields"]["comment"] == f"First paragraph about {list(FORMATS)[n - 1]}."
        assert r["fields"]["long_description"].endswith("Second paragraph.")
        assert r["pictures"][0]["width"] == 1400 and r["pictures"][0]["type"] == 3
        assert [c["title"] for c in r["chapters"]] == ["Opening", "Debate"]
        assert r["duration"] == pytest.approx(2.5, abs=0.1)
        probe_chapters = ffprobe(Path(r["file"]))["chapters"]
        assert [c["tags"]["title"] for c in probe_chapters] == ["Opening", "Debate"]

    table = invoke("inspect", str(copies[0]))
    out = table.stdout
    assert "format       MP3 (audio/mpeg), codec mp3" in out
    assert "  Title                     Session 1: mp3" in out
    assert "  front cover: image/png 1400x1400" in out
    assert "  00:00:01.500 - " in out and "Debate" in out


def test_inspect_reports_every_bad_file_and_exits_1(show, fixtures):
    bad = show / "recordings" / "cut.flac"
    bad.write_bytes(fixtures["flac"].read_bytes()[:-100])
    result = CliRunner().invoke(cli, ["inspect", "recordings/01-tone.mp3", "recordings/cut.flac"])
    assert result.exit_code == 1
    assert "recordings/01-tone.mp3" in result.stdout
    assert result.stderr == (
        "error: recordings/cut.flac: truncated: the last FLAC frame is incomplete or missing; "
        "copy or export it again\n"
    )


def test_tag_reports_chapter_outside_the_recording(show):
    path = show / "episodes" / "session-2.md"
    path.write_text(path.read_text().replace('"00:00:01.5"', '"00:01:00"'))
    result = CliRunner().invoke(cli, ["-q", "tag"])
    assert result.exit_code == 1
    duration = media.chapters.timestamp(media.probe(show / "recordings/02-tone.m4a").duration)
    assert result.stderr == (
        f"error: episodes/session-2.md: chapters[1].start: 00:01:00.000 is not inside the "
        f"recording (0 to {duration}); fix the time or the audio file\n"
    )
    copies = [c.name.split("-")[1] for c in build_copies(show)]
    assert copies == ["1", "3", "4", "5", "6", "7"]  # the others are still tagged


def test_new_from_audio_reads_every_field(show):
    assert invoke("tag").exit_code == 0
    copy = next(c for c in build_copies(show) if c.name.startswith("session-3-"))
    target = show / "recordings" / "imported.m4b"
    shutil.copy(copy, target)
    result = invoke("new", "--from-audio", "recordings/imported.m4b", "--slug", "imported")
    assert result.exit_code == 0, result.output
    from audiofeed.show import catalog as catalog_mod
    from audiofeed.show import config as config_mod

    catalog = catalog_mod.load(config_mod.load(show / "config.toml"))
    episode = next(e for e in catalog.episodes if e.slug == "imported")
    assert episode.title == "Session 3: m4b-alac"
    assert [p.name for p in episode.speakers] == ["Speaker 3"]
    assert episode.start.date().isoformat() == "2022-09-08"
    assert (episode.day, episode.track, episode.episode) == ("Day 1", "Room 3", 3)
    assert episode.keywords == ("outcomes", "m4b-alac")
    assert [(c.start, c.title) for c in episode.chapters] == [(0.0, "Opening"), (1.5, "Debate")]
    assert episode.body.startswith("First paragraph about m4b-alac.")
    assert episode.duration == "0:00:02" or episode.duration == "0:00:03"


def test_publish_writes_chapters_json_and_description_edit_keeps_audio(show):
    feed_formats_only(show)
    assert invoke("publish").exit_code == 0
    public = show / "public"
    files = sorted(p.name for p in (public / "chapters").iterdir())
    assert len(files) == 2 and all(f.endswith(".chapters.json") for f in files)
    doc = json.loads((public / "chapters" / files[0]).read_text())
    assert doc == {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 0.0, "title": "Opening"},
            {"startTime": 1.5, "title": "Debate"},
        ],
    }
    audio_before = sorted(p.name for p in (public / "audio").iterdir())
    path = show / "episodes" / "session-1.md"
    path.write_text(path.read_text().replace("Second paragraph.", "Edited paragraph."))
    dry = invoke("publish", "--dry-run")
    assert not any(line.startswith("upload  audio/") for line in dry.stdout.splitlines())
    path.write_text(path.read_text().replace('title = "Session 1: mp3"', 'title = "Renamed"'))
    dry = invoke("publish", "--dry-run")
    uploads = [line for line in dry.stdout.splitlines() if line.startswith("upload  audio/")]
    assert len(uploads) == 1 and uploads[0].startswith("upload  audio/session-1-")
    assert audio_before == sorted(p.name for p in (public / "audio").iterdir())


def test_help_lists_new_commands():
    out = invoke("--help").stdout
    assert "inspect" in out and "tag" in out
    assert os.environ.get("NO_SUCH") is None


def test_chapter_images_embedded_in_mp3_and_published_for_json(show, covers):
    shutil.copy(covers["png"], show / "slide.png")
    path = show / "episodes" / "session-1.md"
    path.write_text(
        path.read_text().replace(
            'title = "Debate"}', 'title = "Debate", image = "slide.png", url = "https://e.org/d"}'
        )
    )
    feed_formats_only(show)
    assert invoke("publish").exit_code == 0
    public = show / "public"
    images = list((public / "images" / "chapters").iterdir())
    assert [p.name[:17] for p in images] == ["session-1-1-" + images[0].name[12:17]]
    assert images[0].read_bytes() == covers["png"].read_bytes()
    doc_path = next((public / "chapters").glob("session-1-*.chapters.json"))
    doc = json.loads(doc_path.read_text())
    assert doc["chapters"][1] == {
        "startTime": 1.5,
        "title": "Debate",
        "url": "https://e.org/d",
        "img": f"http://127.0.0.1:8000/images/chapters/{images[0].name}",
    }
    mp3 = next((public / "audio").glob("session-1-*.mp3"))
    chapters = media.read_file(mp3).chapters
    assert [(c.title, c.image, c.url) for c in chapters] == [
        ("Opening", False, None),
        ("Debate", True, "https://e.org/d"),
    ]


def test_missing_chapter_image_is_one_error_line(show):
    path = show / "episodes" / "session-2.md"
    path.write_text(path.read_text().replace('title = "Debate"}', 'title = "D", image = "x.jpg"}'))
    result = CliRunner().invoke(cli, ["-q", "publish", "--dry-run"])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: episodes/session-2.md: chapters[1].image: file 'x.jpg' not found"
    )


def test_new_from_untagged_audio_needs_a_title(show):
    result = CliRunner().invoke(cli, ["new", "--from-audio", "recordings/01-tone.mp3"])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: --title: missing; pass --title (or --from-audio with a title tag)\n"
    )


def test_check_validates_chapters_against_the_recording(show):
    path = show / "episodes" / "session-6.md"
    path.write_text(path.read_text().replace('"00:00:01.5"', "0"))
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: episodes/session-6.md: chapters: start times must be strictly ascending"
    )
    path.write_text(
        path.read_text().replace('start = 0, title = "Debate"', 'start = 4, title = "D"')
    )
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(
        "error: episodes/session-6.md: chapters[1].start: 00:00:04.000 is not inside the recording"
    )
