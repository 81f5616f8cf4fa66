"""import_schedule: episode files from a programme, and safe re-import."""

from __future__ import annotations

import json
import shutil
import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from audiofeed.importers import import_schedule
from audiofeed.show import frontmatter

DATA = Path(__file__).parent / "data" / "schedules"


@pytest.fixture
def show(tmp_path: Path) -> Path:
    folder = tmp_path / "show"
    folder.mkdir()
    return folder


@pytest.fixture
def programme(tmp_path: Path) -> Path:
    path = tmp_path / "schedule.json"
    shutil.copy(DATA / "pretalx-audiocon.json", path)
    return path


def edit_programme(path: Path, which: str, **changes) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    for day in doc["schedule"]["conference"]["days"]:
        for events in day["rooms"].values():
            for ev in events:
                if ev["title"] == which:
                    ev.update(changes)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")


def snapshot(show: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((show / "episodes").glob("*"))}


def episode(show: Path, name: str) -> frontmatter.Document:
    return frontmatter.read(show / "episodes" / name)


OPUS = "audiocon2024-102-opus-inside-out.md"


def test_first_import_creates_one_file_per_session(show, programme):
    report = import_schedule(show, programme)
    files = snapshot(show)
    assert len(files) == 22  # 24 sessions - do_not_record - cancelled
    assert len(report.created) == 22 and not report.updated
    assert report.skipped == ["session 'Off the record: whistleblowing' (id 110): do_not_record"]
    assert report.cancelled == ["session '[Cancelled] Streaming with WebRTC' (id 108): cancelled"]
    assert not any("whistleblowing" in name or "webrtc" in name for name in files)
    assert report.lines()[-1] == (
        "schedule.json (pretalx): 24 sessions: 22 created, 0 updated, 0 unchanged, "
        "0 hand edits kept, 1 not to be recorded, 1 cancelled"
    )


def test_episode_file_content(show, programme):
    import_schedule(show, programme)
    doc = episode(show, OPUS)
    meta = doc.meta
    assert meta["title"] == "Opus inside out"
    assert meta["start"] == datetime.fromisoformat("2024-05-16T10:00:00+02:00")
    assert meta["start"].utcoffset() is not None
    assert meta["guid"] == "5ea3d323-edff-50a7-b3e7-a33810f3f261"
    assert meta["slug"] == "audiocon2024-102-opus-inside-out"
    assert (meta["day"], meta["room"], meta["track"]) == ("Day 1", "Saal Ada", "Audio & Codecs")
    assert (meta["language"], meta["license"], meta["duration"]) == ("en", "CC-BY-SA-4.0", "00:45")
    assert meta["speakers"][0] == {
        "name": "Zoë Ångström",
        "bio": "Zoë builds **open audio tools** in Malmö.\n\nShe likes [Opus](https://opus-codec.org/).",
        "image": "https://pretalx.example.org/media/avatars/zoe.png",
    }
    assert meta["source"] == {
        "system": "pretalx",
        "id": "102",
        "code": "AC0102",
        "slug": "audiocon2024-102-opus-inside-out",
        "url": "https://pretalx.example.org/audiocon2024/talk/AC0102/",
    }
    assert "audio" not in meta  # attached later by import recordings
    assert set(meta["imported"]["fields"]) >= {"title", "start", "speakers", "body"}
    assert doc.body.startswith("How **Opus** hides what you cannot hear.")
    links = episode(show, "audiocon2024-116-feeds-enclosures-and-guids.md").meta["links"]
    assert links[0] == {"title": "GUID spec", "url": "https://podcasting.example.org/guid-spec"}


def test_reimport_of_the_same_programme_changes_nothing(show, programme):
    import_schedule(show, programme)
    before = snapshot(show)
    mtimes = {p: p.stat().st_mtime_ns for p in (show / "episodes").iterdir()}
    report = import_schedule(show, programme)
    assert not report.changes and len(report.unchanged) == 22
    assert snapshot(show) == before
    assert {p: p.stat().st_mtime_ns for p in (show / "episodes").iterdir()} == mtimes


def test_programme_edit_changes_only_that_session_and_keeps_hand_edits(show, programme):
    import_schedule(show, programme)
    # the organiser edits one episode by hand: a better title, an episode number, audio
    closing = show / "episodes" / "audiocon2024-124-closing.md"
    doc = frontmatter.read(closing)
    doc.meta["title"] = "Closing (with thanks)"
    doc.meta["episode"] = 22
    doc.meta["audio"] = "recordings/closing.mp3"
    closing.write_text(frontmatter.render(doc.meta, doc.body), encoding="utf-8")
    before = snapshot(show)

    # the programme changes two sessions: Opus moves room, Closing changes title and abstract
    edit_programme(programme, "Opus inside out", room="Saal Grace", subtitle="")
    edit_programme(programme, "Closing", title="Closing & farewell", abstract="Goodbye!")
    report = import_schedule(show, programme)

    after = snapshot(show)
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {OPUS, "audiocon2024-124-closing.md"}
    opus = episode(show, OPUS).meta
    assert opus["room"] == "Saal Grace" and "subtitle" not in opus
    closing_doc = episode(show, "audiocon2024-124-closing.md")
    assert closing_doc.meta["title"] == "Closing (with thanks)"  # hand edit kept
    assert (
        closing_doc.meta["episode"] == 22 and closing_doc.meta["audio"] == "recordings/closing.mp3"
    )
    assert closing_doc.body.startswith("Goodbye!\n\nThe long version")  # updated
    assert report.kept == [
        "episodes/audiocon2024-124-closing.md: title: edited by hand, kept "
        '(programme: "Closing & farewell")'
    ]
    assert [c.path for c in report.updated] == [
        f"episodes/{OPUS}",
        "episodes/audiocon2024-124-closing.md",
    ]
    text = "\n".join(report.lines())
    assert f"--- a/episodes/{OPUS}" in text
    assert '-room = "Saal Ada"' in text and '+room = "Saal Grace"' in text
    assert '-subtitle = "How the codec hears you"' in text


def test_guid_and_file_name_never_change(show, programme):
    import_schedule(show, programme)
    edit_programme(
        programme,
        "Opus inside out",
        guid="00000000-0000-4000-8000-000000000000",
        slug="audiocon2024-102-opus-renamed",
        title="Opus, renamed",
    )
    report = import_schedule(show, programme)
    # a new guid is a new session for the programme: a new file; the old one is reported
    assert [c.path for c in report.created] == ["episodes/audiocon2024-102-opus-renamed.md"]
    assert report.gone == [
        f"episodes/{OPUS}: its session is not in this programme (file left as is)"
    ]
    assert episode(show, OPUS).meta["guid"] == "5ea3d323-edff-50a7-b3e7-a33810f3f261"


def test_slug_is_set_once(show, programme):
    import_schedule(show, programme)
    edit_programme(programme, "Opus inside out", slug="audiocon2024-102-other", title="Opus 2")
    import_schedule(show, programme)
    meta = episode(show, OPUS).meta
    assert meta["title"] == "Opus 2"
    assert meta["slug"] == "audiocon2024-102-opus-inside-out"
    assert meta["source"]["slug"] == "audiocon2024-102-other"
    assert not (show / "episodes" / "audiocon2024-102-other.md").exists()


def test_dry_run_writes_nothing(show, programme):
    report = import_schedule(show, programme, dry_run=True)
    assert len(report.created) == 22
    assert not (show / "episodes").exists()
    assert report.lines()[-1].endswith("(dry run: nothing written)")
    import_schedule(show, programme)
    before = snapshot(show)
    edit_programme(programme, "Opening", title="Grand opening")
    report = import_schedule(show, programme, dry_run=True)
    assert [c.path for c in report.updated] == ["episodes/audiocon2024-101-opening.md"]
    assert '+title = "Grand opening"' in report.lines()
    assert snapshot(show) == before


def test_hand_removed_field_stays_removed(show, programme):
    import_schedule(show, programme)
    path = show / "episodes" / OPUS
    doc = frontmatter.read(path)
    del doc.meta["subtitle"]
    path.write_text(frontmatter.render(doc.meta, doc.body), encoding="utf-8")
    edit_programme(programme, "Opus inside out", subtitle="A new subtitle")
    report = import_schedule(show, programme)
    assert "subtitle" not in episode(show, OPUS).meta
    assert report.kept == [
        f'episodes/{OPUS}: subtitle: edited by hand, kept (programme: "A new subtitle")'
    ]


def test_hand_added_field_is_kept(show, programme):
    import_schedule(show, programme)
    path = show / "episodes" / OPUS
    doc = frontmatter.read(path)
    doc.meta["keywords"] = ["opus", "codec"]
    path.write_text(frontmatter.render(doc.meta, doc.body), encoding="utf-8")
    report = import_schedule(show, programme)
    assert episode(show, OPUS).meta["keywords"] == ["opus", "codec"]
    assert not report.changes


def test_session_marked_do_not_record_later_is_blocked(show, programme):
    import_schedule(show, programme)
    edit_programme(programme, "Opus inside out", do_not_record=True)
    report = import_schedule(show, programme)
    assert episode(show, OPUS).meta["do_not_record"] is True
    assert report.skipped == [  # in programme order
        "session 'Opus inside out' (id 102): do_not_record",
        "session 'Off the record: whistleblowing' (id 110): do_not_record",
    ]


def test_do_not_stream_as_skip_flag(show, programme):
    edit_programme(programme, "Opus inside out", do_not_stream=True)
    report = import_schedule(show, programme, skip_flags=("do_not_record", "do_not_stream"))
    assert not (show / "episodes" / OPUS).exists()
    assert "session 'Opus inside out' (id 102): do_not_stream" in report.skipped
    assert (show / "episodes" / "audiocon2024-101-opening.md").exists()


def test_cancelled_after_import_leaves_file_and_says_so(show, programme):
    import_schedule(show, programme)
    edit_programme(programme, "Opus inside out", title="CANCELLED: Opus inside out")
    report = import_schedule(show, programme)
    assert report.cancelled[0] == (
        f"session 'CANCELLED: Opus inside out' (id 102): cancelled "
        f"(its episode file episodes/{OPUS} is left as is)"
    )
    assert episode(show, OPUS).meta["title"] == "Opus inside out"


def test_existing_hand_made_file_is_found_by_guid(show, programme):
    episodes = show / "episodes"
    episodes.mkdir()
    (episodes / "my-opus.md").write_text(
        "+++\n"
        "# written by hand before the programme existed\n"
        'title = "Opus!"  # our own title, keep it\n'
        "start = 2024-05-16T10:00:00+02:00\n"
        'guid = "5ea3d323-edff-50a7-b3e7-a33810f3f261"\n'
        'audio = "recordings/opus.mp3"\n'
        "+++\nMy own description.\n",
        encoding="utf-8",
    )
    report = import_schedule(show, programme)
    assert not (episodes / OPUS).exists()
    meta = episode(show, "my-opus.md").meta
    assert meta["title"] == "Opus!" and meta["audio"] == "recordings/opus.mp3"
    assert meta["room"] == "Saal Ada"  # absent before: filled in
    assert episode(show, "my-opus.md").body == "My own description.\n"
    assert 'episodes/my-opus.md: title: edited by hand, kept (programme: "Opus inside out")' in (
        report.kept
    )
    assert report.warnings == []
    text = (episodes / "my-opus.md").read_text(encoding="utf-8")
    assert text.startswith(  # the organiser's comments and lines, as they were
        "+++\n# written by hand before the programme existed\n"
        'title = "Opus!"  # our own title, keep it\nstart = 2024-05-16T10:00:00+02:00\n'
    )


def test_reimport_keeps_comments_and_layout(show, programme):
    """A re-import that changes a field rewrites that field only: comments, blank lines and
    the order of everything else stay as the organiser left them (tomlkit)."""
    import_schedule(show, programme)
    path = show / "episodes" / OPUS
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition("\n+++\n")
    lines = head.splitlines()
    lines.insert(1, "# checked with the speaker on Monday")
    text = "\n".join(lines) + "\nexplicit = false  # our call\n+++\n" + rest
    path.write_text(text, "utf-8")
    edit_programme(programme, "Opus inside out", title="Opus inside out, revised")
    report = import_schedule(show, programme)
    assert [c.path for c in report.changes] == [f"episodes/{OPUS}"]
    new = path.read_text(encoding="utf-8")
    assert "# checked with the speaker on Monday\n" in new
    assert "explicit = false  # our call\n" in new
    assert episode(show, OPUS).meta["title"] == "Opus inside out, revised"
    old_lines = set(text.splitlines())
    added = [line for line in new.splitlines() if line not in old_lines]
    # the title, and its digest in [imported.fields]; nothing else was rewritten
    assert [line.split(" = ")[0] for line in added] == ["title", "title"], added


def test_frab_xml_and_csv_import(show, tmp_path):
    report = import_schedule(show, DATA / "frab-fosscamp.xml")
    assert len(report.created) == 22
    other = tmp_path / "other"
    other.mkdir()
    report = import_schedule(other, DATA / "programme.csv", time_zone="Europe/London")
    assert len(report.created) == 10
    meta = episode(other, "outcomes-measurement-public-value.md").meta
    assert meta["chair"] == {"name": "Mara Airoldi"}
    assert meta["source"] == {"system": "csv", "id": "S02"}
    guid = meta["guid"]
    # no guid column: a re-import finds the file by the programme's id, the guid stays
    again = import_schedule(other, DATA / "programme.csv", time_zone="Europe/London")
    assert not again.changes
    assert episode(other, "outcomes-measurement-public-value.md").meta["guid"] == guid


def test_same_slug_twice_gets_the_id(show, tmp_path):
    src = tmp_path / "talks.csv"
    src.write_text(
        "id,title,start\n1,Lightning talks,2024-05-16T10:00:00+02:00\n"
        "2,Lightning talks,2024-05-17T10:00:00+02:00\n",
        encoding="utf-8",
    )
    import_schedule(show, src)
    assert sorted(p.name for p in (show / "episodes").iterdir()) == [
        "lightning-talks-2.md",
        "lightning-talks.md",
    ]
    names = {episode(show, n).meta["slug"] for n in ("lightning-talks.md", "lightning-talks-2.md")}
    assert names == {"lightning-talks", "lightning-talks-2"}


def test_written_files_are_valid_toml_front_matter(show, programme):
    import_schedule(show, programme)
    for path in (show / "episodes").glob("*.md"):
        head, _ = frontmatter.split(path.read_text(encoding="utf-8"), path)
        tomllib.loads(head)
    assert not list((show / "episodes").glob(".*"))  # no temporary files left
