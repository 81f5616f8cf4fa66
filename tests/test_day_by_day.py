"""The organiser's week: the programme imported before the conference, masters attached and
published day by day; waiting sessions, broken recordings, ``status`` and ``check``."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import podcastparser
import pytest

from audiofeed.show import frontmatter
from tests.support.cli import run
from tests.support.media import make_audio

DATA = Path(__file__).parent / "data" / "schedules"
PROGRAMME = DATA / "pretalx-audiocon.json"
#: sessions of the programme (pretalx ids) and their episode files
DAY1 = {"101": "audiocon2024-101-opening.md", "103": "audiocon2024-103-radio-archives-of-krakow.md",
        "105": "audiocon2024-105-loudness-normalisation-for-podcasts.md"}  # fmt: skip
DAY2 = {"113": "audiocon2024-113-transcripts-for-everyone.md",
        "114": "audiocon2024-114-microphones-compared.md"}  # fmt: skip


def cli(show: Path, *args: str, check: bool = True):  # type: ignore[no-untyped-def]
    return run(*args, cwd=show, check=check)


def feed_items(show: Path) -> list[dict]:
    path = show / "public" / "feed.xml"
    with path.open("rb") as f:
        return podcastparser.parse("file://" + str(path), f)["episodes"]


def published_media(show: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (show / "public" / "audio").iterdir()}


def masters(folder: Path, ids: dict[str, str], loudness: float = -31.0) -> list[Path]:
    """WAV masters off the AV desk (48 kHz stereo, far below podcast level), named by id."""
    return [
        make_audio(
            folder / f"room-take-{i}.wav",
            2.0,
            sample_rate=48000,
            channels=2,
            loudness=loudness,
            frequency=200 + int(i) % 100 * 7,
        )
        for i in ids
    ]


@pytest.fixture
def programme_show(tmp_path: Path) -> Path:
    """``audiofeed init`` + ``import schedule`` of a real pretalx export (24 sessions)."""
    run("init", "show", "--title", "AudioCon 2024", cwd=tmp_path, check=True)
    show = tmp_path / "show"
    programme = tmp_path / "schedule.json"
    shutil.copy(PROGRAMME, programme)
    cli(show, "import", "schedule", str(programme))
    return show


def test_a_programme_imported_ahead_publishes_what_has_been_recorded(
    programme_show: Path, tmp_path: Path
) -> None:
    show = programme_show
    sessions = len(list((show / "episodes").glob("*.md")))
    # before the conference: nothing recorded, nothing is wrong
    checked = cli(show, "check")
    assert f"{sessions} sessions waiting for a recording" in checked.stderr
    # day 1: three masters dropped into recordings/
    masters(show / "recordings", DAY1)
    cli(show, "import", "recordings", "recordings")
    day1 = cli(show, "publish")
    assert f"{sessions - 3} sessions waiting for a recording" in day1.stdout
    assert len(re.findall(r"^mastered ", day1.stderr, re.M)) == 3
    items = feed_items(show)
    assert len(items) == 3
    media_day1 = published_media(show)
    urls_day1 = {i["guid"]: i["enclosures"][0]["url"] for i in items}
    # between the days: the programme changes, an organiser edits a file by hand
    programme = tmp_path / "schedule.json"
    doc = json.loads(programme.read_text(encoding="utf-8"))
    for day in doc["schedule"]["conference"]["days"]:
        for events in day["rooms"].values():
            for ev in events:
                if ev["id"] == 114:
                    ev["title"] = "Microphones compared, again"
                if ev["id"] == 113:
                    ev["abstract"] = "A new abstract from the programme."
    programme.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    hand = show / "episodes" / DAY2["113"]
    by_hand = 'title = "Transcripts for all"  # by hand'
    hand.write_text(hand.read_text().replace('title = "Transcripts for everyone"', by_hand))
    cli(show, "import", "schedule", str(programme))
    assert by_hand in hand.read_text()
    for name in DAY1.values():  # attached recordings survive the re-import
        assert frontmatter.read(show / "episodes" / name).meta["audio"].startswith("recordings/")
    # day 2: two masters on an external disk (outside the show folder)
    drop = tmp_path / "usb-disk"
    masters(drop, DAY2)
    cli(show, "import", "recordings", str(drop))
    for name in DAY2.values():
        audio = frontmatter.read(show / "episodes" / name).meta["audio"]
        assert Path(audio).is_absolute() and Path(audio).parent == drop.resolve()
    day2 = cli(show, "publish")
    assert len(re.findall(r"^mastered ", day2.stderr, re.M)) == 2  # day 1 is not re-mastered
    items = feed_items(show)
    assert len(items) == 5
    titles = {i["title"] for i in items}
    assert {"Transcripts for all", "Microphones compared, again"} <= titles
    # the first day's media: same URLs, same bytes
    for guid, url in urls_day1.items():
        assert next(i for i in items if i["guid"] == guid)["enclosures"][0]["url"] == url
    media_day2 = published_media(show)
    assert all(media_day2[name] == data for name, data in media_day1.items())
    # programme order (the feed lists the newest first)
    starts = [i["published"] for i in items]
    assert starts == sorted(starts, reverse=True)
    for f in drop.iterdir():  # the organiser's masters are never written
        assert f.suffix == ".wav"


def test_waiting_sessions_are_left_out_and_listed_with_v(programme_show: Path) -> None:
    show = programme_show
    masters(show / "recordings", {"101": ""})
    cli(show, "import", "recordings", "recordings")
    proc = run("-v", "publish", cwd=show, check=True)
    assert "waiting: episodes/audiocon2024-102-opus-inside-out.md" in proc.stderr
    assert len(feed_items(show)) == 1
    index = (show / "public" / "index.html").read_text()
    assert "Opening" in index


def test_a_late_recording_is_warned_about(programme_show: Path) -> None:
    """The programme is from 2024: every waiting session is long overdue."""
    show = programme_show
    proc = cli(show, "check")
    assert re.search(
        r"^warning: episodes/audiocon2024-101-opening\.md: audio: the session started \d+ days "
        r"ago and still has no recording; attach it with 'audiofeed import recordings DIR'",
        proc.stderr,
        re.M,
    )
    config = show / "config.toml"
    config.write_text(config.read_text().replace("[publish]", "[publish]\nlate_after_hours = 0"))
    assert "still has no recording" not in cli(show, "check").stderr


def test_skip_broken_publishes_the_rest_and_exits_non_zero(programme_show: Path) -> None:
    show = programme_show
    good = masters(show / "recordings", {"101": "", "103": ""})
    cli(show, "import", "recordings", "recordings")
    first = cli(show, "publish")
    assert "uploaded" in first.stdout
    published = published_media(show)
    feed_before = (show / "public" / "feed.xml").read_bytes()
    # 103's master is replaced by a truncated one; 105 gets a fake one
    good[1].write_bytes(good[1].read_bytes()[:60])
    fake = show / "recordings" / "room-take-105.wav"
    fake.write_bytes(b"RIFF not really a recording")
    cli(show, "import", "recordings", "recordings")
    # by default: nothing is published, the old feed stays live
    refused = cli(show, "publish", check=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert (
        "error: episodes/audiocon2024-105-loudness-normalisation-for-podcasts.md: audio: "
        "room-take-105.wav: "
    ) in refused.stderr
    assert (show / "public" / "feed.xml").read_bytes() == feed_before
    # asked for: every good episode goes out, the broken are listed, exit 1
    proc = cli(show, "publish", "--skip-broken", check=False)
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2 and all(": audio: " in line for line in errors)
    assert "2 broken recordings (listed above)" in proc.stdout
    items = feed_items(show)
    titles = [i["title"] for i in items]
    assert "Opening" in titles  # good
    assert "Radio archives of Kraków" in titles  # broken now: keeps its published version
    assert not any("Loudness" in t for t in titles)  # broken, never published: left out
    assert published_media(show) == published
    report = json.loads(cli(show, "publish", "--skip-broken", "--json", check=False).stdout)
    assert report["ok"] is False and len(report["broken"]) == 2


def test_status_per_day_and_track(programme_show: Path) -> None:
    show = programme_show
    masters(show / "recordings", {"101": "", "103": ""})
    cli(show, "import", "recordings", "recordings")
    cli(show, "publish")
    masters(show / "recordings", {"105": ""})
    (show / "recordings" / "room-take-102.wav").write_bytes(b"RIFF broken")
    cli(show, "import", "recordings", "recordings")
    held = show / "episodes" / "audiocon2024-104-build-your-own-field-recorder.md"
    held.write_text(frontmatter.with_field(held.read_text(), "do_not_record", True))
    data = json.loads(cli(show, "status", "--json").stdout)
    counts = data["counts"]
    assert counts["published"] == 2 and counts["ready"] == 1 and counts["broken"] == 1
    assert counts["do-not-record"] == 1
    total = len(list((show / "episodes").glob("*.md")))
    assert sum(counts.values()) == total
    assert data["next"].startswith("fix the broken sessions")
    by_file = {Path(s["file"]).name: s for s in data["sessions"]}
    assert by_file["audiocon2024-102-opus-inside-out.md"]["state"] == "broken"
    text = cli(show, "status").stdout
    assert re.search(r"^  all\s+2\s+1\s+\d+\s+1\s+1$", text, re.M), text
    assert "broken: episodes/audiocon2024-102-opus-inside-out.md: " in text


def test_check_reports_every_problem_in_one_pass_in_file_order(programme_show: Path) -> None:
    show = programme_show
    config = show / "config.toml"
    config.write_text(config.read_text().replace('language = "en"', 'language = "english"'))
    first = show / "episodes" / "audiocon2024-101-opening.md"
    first.write_text(first.read_text().replace("start = ", "start = 'not a date' #"))
    broken = show / "recordings" / "room-take-103.wav"
    broken.parent.mkdir(exist_ok=True)
    broken.write_bytes(b"RIFF nothing")
    third = show / "episodes" / DAY1["103"]
    third.write_text(
        frontmatter.with_field(third.read_text(), "audio", "recordings/room-take-103.wav")
    )
    proc = cli(show, "check", check=False)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert [e.split(":")[1].strip() for e in errors] == [
        "config.toml",
        "episodes/audiocon2024-101-opening.md",
        "episodes/" + DAY1["103"],
    ]
    assert "podcast.language" in errors[0] and "start" in errors[1] and "audio" in errors[2]
