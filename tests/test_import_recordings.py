"""import_recordings: audio files -> episodes by id / slug / guid, or room + start time."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiofeed.importers import ScheduleError, import_recordings, import_schedule
from audiofeed.show import frontmatter

DATA = Path(__file__).parent / "data" / "schedules"


@pytest.fixture
def show(tmp_path: Path) -> Path:
    folder = tmp_path / "show"
    folder.mkdir()
    import_schedule(folder, DATA / "pretalx-audiocon.json")
    return folder


def recordings(show: Path, *names: str) -> Path:
    folder = show / "recordings"
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"ID3 not really audio")
    return folder


def audio(show: Path, name: str) -> str | None:
    return frontmatter.read(show / "episodes" / name).meta.get("audio")


def test_match_by_id_slug_guid_and_room_time(show):
    folder = recordings(
        show,
        "audiocon2024-101-eng-Opening.mp3",  # session id as a token
        "audiocon2024-102-opus-inside-out.opus",  # slug
        "5ea3d323-edff-50a7-b3e7-a33810f3f261-extra.m4a",  # guid of 102 too -> 2 files
        "Saal_Grace-2024-05-16_1100.mp3",  # room + start: ポッドキャストの未来
        "day2/AC0113.ogg",  # pretalx code, in a sub-folder
        "notes.txt",
    )
    report = import_recordings(show, folder)
    assert (
        audio(show, "audiocon2024-101-opening.md") == "recordings/audiocon2024-101-eng-Opening.mp3"
    )
    assert audio(show, "audiocon2024-106.md") == "recordings/Saal_Grace-2024-05-16_1100.mp3"
    attached = "\n".join(report.attached)
    assert "recordings/Saal_Grace-2024-05-16_1100.mp3 (by room 'saal-grace' and start" in attached
    assert "recordings/day2/AC0113.ogg (by guid, slug or session id)" in attached
    assert report.ambiguous == [
        "episodes/audiocon2024-102-opus-inside-out.md is matched by 2 files: "
        "recordings/5ea3d323-edff-50a7-b3e7-a33810f3f261-extra.m4a, "
        "recordings/audiocon2024-102-opus-inside-out.opus"
    ]
    assert audio(show, "audiocon2024-102-opus-inside-out.md") is None  # never guessed
    assert report.ignored == [str(folder / "notes.txt")]
    assert len(report.attached) == 3
    assert len(report.without_recording) == 22 - 3


def test_room_time_file_attached_to_the_right_episode(show):
    folder = recordings(show, "Saal Grace 2024-05-16 11.00.mp3")
    import_recordings(show, folder)
    matched = [
        p.name for p in (show / "episodes").glob("*.md") if frontmatter.read(p).meta.get("audio")
    ]
    assert len(matched) == 1
    meta = frontmatter.read(show / "episodes" / matched[0]).meta
    assert (meta["room"], meta["title"]) == ("Saal Grace", "ポッドキャストの未来")


def test_time_without_room_matches_only_when_unique(show):
    folder = recordings(show, "2024-05-16_0930.mp3", "2024-05-16_1000.mp3")
    report = import_recordings(show, folder)
    assert [line.split(" <- ")[1] for line in report.attached] == [
        "recordings/2024-05-16_0930.mp3 (by start 2024-05-16 09:30, no room in the name)"
    ]
    assert report.ambiguous == [
        "recordings/2024-05-16_1000.mp3 matches 3 episodes by start 2024-05-16 10:00, no room "
        "in the name: episodes/audiocon2024-102-opus-inside-out.md, "
        "episodes/audiocon2024-103-radio-archives-of-krakow.md, "
        "episodes/audiocon2024-104-build-your-own-field-recorder.md"
    ]


def test_unmatched_files_are_listed(show):
    folder = recordings(show, "Saal_Ada-2024-05-16_0800.mp3", "random-noise.wav")
    report = import_recordings(show, folder)
    assert report.unmatched == [
        "recordings/Saal_Ada-2024-05-16_0800.mp3 (room 'saal-ada' and start 2024-05-16 08:00)",
        "recordings/random-noise.wav (no session id, slug, guid or date and time in the name)",
    ]
    assert not report.attached


def test_dates_in_names_are_not_session_ids(tmp_path):
    show = tmp_path / "show"
    show.mkdir()
    src = tmp_path / "t.csv"
    src.write_text(
        "id,title,start,room\n16,Sixteen,2024-05-01T09:00:00+02:00,A\n", encoding="utf-8"
    )
    import_schedule(show, src)
    folder = recordings(show, "B-2024-05-16_1000.mp3")
    report = import_recordings(show, folder)
    assert not report.attached and len(report.unmatched) == 1


def test_existing_audio_is_kept_and_only_audio_line_added(show):
    first = recordings(show, "audiocon2024-101-opening.mp3")
    report = import_recordings(show, first)
    path = show / "episodes" / "audiocon2024-101-opening.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith('+++\naudio = "recordings/audiocon2024-101-opening.mp3"\ntitle = ')
    # again: already attached, nothing written
    report = import_recordings(show, first)
    assert report.already == ["episodes/audiocon2024-101-opening.md"] and not report.attached
    # a second file for the same session elsewhere: a conflict, the existing audio stays
    other = tmp = show / "more"
    tmp.mkdir()
    (other / "audiocon2024-101-opening-v2.mp3").write_bytes(b"x")
    report = import_recordings(show, other)
    assert report.conflicts == [
        "episodes/audiocon2024-101-opening.md keeps audio "
        "'recordings/audiocon2024-101-opening.mp3'; more/audiocon2024-101-opening-v2.mp3 "
        "matches too"
    ]
    assert path.read_text(encoding="utf-8") == text


def test_dry_run_writes_nothing(show):
    folder = recordings(show, "audiocon2024-101-opening.mp3")
    before = (show / "episodes" / "audiocon2024-101-opening.md").read_text(encoding="utf-8")
    report = import_recordings(show, folder, dry_run=True)
    assert len(report.attached) == 1
    assert report.lines()[-1].endswith("(dry run: nothing written)")
    assert (show / "episodes" / "audiocon2024-101-opening.md").read_text(encoding="utf-8") == before


def test_do_not_record_episode_gets_no_audio(show):
    path = show / "episodes" / "audiocon2024-101-opening.md"
    doc = frontmatter.read(path)
    doc.meta["do_not_record"] = True
    path.write_text(frontmatter.render(doc.meta, doc.body), encoding="utf-8")
    report = import_recordings(show, recordings(show, "audiocon2024-101-opening.mp3"))
    assert report.not_recorded == ["episodes/audiocon2024-101-opening.md"]
    assert report.unmatched == [
        "recordings/audiocon2024-101-opening.mp3 (no session id, slug, guid or date and time "
        "in the name)"
    ]


def test_missing_recordings_folder(show):
    with pytest.raises(ScheduleError, match="not a folder"):
        import_recordings(show, show / "nope")


def test_report_lines(show):
    report = import_recordings(show, recordings(show, "audiocon2024-101-opening.mp3"))
    lines = report.lines()
    assert lines[0] == (
        "attach episodes/audiocon2024-101-opening.md <- recordings/audiocon2024-101-opening.mp3 "
        "(by guid, slug or session id)"
    )
    assert "no recording: episodes/audiocon2024-124-closing.md: Closing" in lines
    assert lines[-1] == (
        "1 attached, 0 already attached, 0 ambiguous, 0 conflicts, 0 unmatched files, "
        "21 episodes without recording, 0 other files ignored"
    )
