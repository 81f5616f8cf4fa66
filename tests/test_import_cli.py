"""`audiofeed import schedule|recordings` through click, and an imported show that
passes `audiofeed check` and publishes once recordings are attached."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import podcastparser
import pytest
from click.testing import CliRunner

from audiofeed.cli import cli
from audiofeed.show import frontmatter
from tests.support.media import make_audio

DATA = Path(__file__).parent / "data" / "schedules"


@pytest.fixture
def show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new show made by `audiofeed init`; the tests run inside it, as a user would."""
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "conf"), "--title", "AudioCon"])
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(tmp_path / "conf")
    return tmp_path / "conf"


def audiofeed(show: Path, *args: str):
    return CliRunner().invoke(cli, ["-c", str(show / "config.toml"), *args])


def test_import_schedule_creates_episodes(show):
    result = audiofeed(show, "import", "schedule", str(DATA / "pretalx-audiocon.json"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "create episodes/audiocon2024-101-opening.md: 'Opening' (Day 1, 09:30, Saal Ada)"
    )
    assert "skip session 'Off the record: whistleblowing' (id 110): do_not_record" in lines
    assert lines[-1] == (
        "pretalx-audiocon.json (pretalx): 24 sessions: 22 created, 0 updated, 0 unchanged, "
        "0 hand edits kept, 1 not to be recorded, 1 cancelled"
    )
    assert len(list((show / "episodes").glob("audiocon2024-*.md"))) == 22


def test_dry_run_writes_nothing_and_prints_the_diff(show, tmp_path):
    source = tmp_path / "schedule.json"
    shutil.copy(DATA / "pretalx-audiocon.json", source)
    assert audiofeed(show, "import", "schedule", str(source)).exit_code == 0
    source.write_text(
        source.read_text(encoding="utf-8").replace('"Opening"', '"Grand opening"'),
        encoding="utf-8",
    )
    before = (show / "episodes" / "audiocon2024-101-opening.md").read_text(encoding="utf-8")
    result = audiofeed(show, "import", "schedule", "--dry-run", str(source))
    assert result.exit_code == 0, result.output
    assert '-title = "Opening"' in result.stdout.splitlines()
    assert '+title = "Grand opening"' in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1].endswith("(dry run: nothing written)")
    after = (show / "episodes" / "audiocon2024-101-opening.md").read_text(encoding="utf-8")
    assert after == before


def test_bad_programme_lists_every_problem_and_exits_1(show, tmp_path):
    source = tmp_path / "schedule.json"
    text = (DATA / "pretalx-audiocon.json").read_text(encoding="utf-8")
    text = text.replace('"title": "Opening"', '"title": ""')
    text = text.replace('"title": "Closing"', '"title": "Closing", "duration": "half an hour"')
    source.write_text(text, encoding="utf-8")
    result = audiofeed(show, "import", "schedule", str(source))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: ../schedule.json: session (untitled) (id 101): title: missing or empty",
        "error: ../schedule.json: session 'Closing' (id 124): duration: "
        "not a duration (HH:MM): 'half an hour'",
    ]
    assert result.stdout == ""
    assert not list((show / "episodes").glob("audiocon2024-*.md"))


def test_unknown_time_zone_error_line(show, tmp_path):
    source = tmp_path / "schedule.xml"
    text = (DATA / "frab-fosscamp.xml").read_text(encoding="utf-8")
    source.write_text(text.replace("Europe/Amsterdam", "Mars/Base"), encoding="utf-8")
    result = audiofeed(show, "import", "schedule", str(source))
    assert result.exit_code == 1
    assert result.stderr == (
        "error: ../schedule.xml: conference: time_zone_name: unknown time zone 'Mars/Base'\n"
    )


def test_csv_with_mapping_and_time_zone(show, tmp_path):
    source = tmp_path / "talks.csv"
    source.write_text(
        "Nr;Vortrag;Beginn;Saal\n7;Zoë's Vortrag;21.08.2019 11:00;Curie\n", encoding="utf-8"
    )
    args = ["import", "schedule", str(source), "--time-zone", "Europe/Berlin"]
    maps = ["--csv-map", "Nr=id", "--csv-map", "Vortrag=title", "--csv-map", "Beginn=start"]
    maps += ["--csv-map", "Saal=room"]
    result = audiofeed(show, *args, *maps)
    assert result.exit_code == 0, result.output
    meta = frontmatter.read(show / "episodes" / "zoes-vortrag.md").meta
    assert meta["start"] == datetime.fromisoformat("2019-08-21T11:00:00+02:00")
    assert meta["room"] == "Curie"
    bad = audiofeed(show, *args, "--csv-map", "Vortrag")
    assert bad.exit_code == 2
    assert "'Vortrag' is not COLUMN=FIELD" in bad.stderr


def test_skip_flag_do_not_stream(show, tmp_path):
    source = tmp_path / "schedule.json"
    text = (DATA / "pretalx-audiocon.json").read_text(encoding="utf-8")
    source.write_text(
        text.replace('"title": "Opening",', '"title": "Opening", "do_not_stream": true,'),
        encoding="utf-8",
    )
    result = audiofeed(show, "import", "schedule", str(source), "--skip-flag", "do_not_stream")
    assert result.exit_code == 0, result.output
    assert "skip session 'Opening' (id 101): do_not_stream" in result.stdout.splitlines()
    assert not (show / "episodes" / "audiocon2024-101-opening.md").exists()


def test_imported_show_with_recordings_passes_check_and_publishes(show):
    assert audiofeed(show, "import", "schedule", str(DATA / "pretalx-audiocon.json")).exit_code == 0
    # before recordings: every session waits for its recording, which is not an error
    check = audiofeed(show, "check")
    assert check.exit_code == 0, check.output
    assert "22 sessions waiting for a recording" in check.stderr
    # recordings as a recording team names them: by pretalx code, one per session
    recordings = show / "recordings"
    tone = make_audio(show / "tone.mp3", 1.0)
    codes = [f"AC{n:04d}" for n in range(101, 125) if n not in (108, 110)]
    for code in codes:
        shutil.copy(tone, recordings / f"audiocon2024-{code}-master.mp3")
    shutil.copy(tone, recordings / "audiocon2024-AC0110-master.mp3")  # do_not_record: no episode
    tone.unlink()
    result = audiofeed(show, "import", "recordings", str(recordings))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "22 attached, 0 already attached, 0 ambiguous, 0 conflicts, 1 unmatched files, "
        "0 episodes without recording, 0 other files ignored"
    )
    assert "unmatched file: recordings/audiocon2024-AC0110-master.mp3" in result.stdout
    check = audiofeed(show, "check")
    assert check.exit_code == 0, check.output
    publish = audiofeed(show, "publish")
    assert publish.exit_code == 0, publish.output
    with open(show / "public" / "feed.xml", "rb") as f:
        feed = podcastparser.parse("http://127.0.0.1:8000/feed.xml", f)
    episodes = sorted(feed["episodes"], key=lambda e: e["published"])
    titles = [e["title"] for e in episodes]
    assert len(titles) == 22
    assert titles[0] == "Opening" and titles[-1] == "Closing"
    assert "Off the record: whistleblowing" not in titles
    assert not any("Cancelled" in t for t in titles)
    # pubDate is the slot start: a day published at once keeps the programme order
    opening = datetime.fromisoformat("2024-05-16T09:30:00+02:00").timestamp()
    assert episodes[0]["published"] == opening
