"""Bad programmes give one clear error per problem, naming the file and the session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audiofeed.errors import AudiofeedError
from audiofeed.importers import ScheduleError, import_schedule, load_programme

DATA = Path(__file__).parent / "data" / "schedules"


def pretalx_copy(tmp_path: Path, edit) -> Path:
    doc = json.loads((DATA / "pretalx-audiocon.json").read_text(encoding="utf-8"))
    edit(doc["schedule"]["conference"])
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def event(conference, title):
    for day in conference["days"]:
        for events in day["rooms"].values():
            for ev in events:
                if ev["title"] == title:
                    return ev
    raise KeyError(title)


def test_schedule_error_is_an_audiofeed_error():
    assert issubclass(ScheduleError, AudiofeedError)


def test_missing_title_names_the_session(tmp_path):
    path = pretalx_copy(tmp_path, lambda c: event(c, "Opus inside out").update(title="  "))
    with pytest.raises(ScheduleError) as err:
        load_programme(path)
    assert str(err.value) == f"{path}: session (untitled) (id 102): title: missing or empty"


def test_duplicate_guids_name_both_sessions(tmp_path):
    def edit(c):
        event(c, "Tape restoration")["guid"] = event(c, "Opening")["guid"]

    path = pretalx_copy(tmp_path, edit)
    with pytest.raises(ScheduleError) as err:
        load_programme(path)
    guid = json.loads(path.read_text())["schedule"]["conference"]["days"][0]["rooms"]["Saal Ada"][
        0
    ]["guid"]
    assert str(err.value) == (
        f"{path}: session 'Tape restoration' (id 119): guid: '{guid}' is also the guid of "
        "session 'Opening' (id 101)"
    )


def test_unknown_time_zone(tmp_path):
    path = pretalx_copy(tmp_path, lambda c: c.update(time_zone_name="Mars/Base"))
    with pytest.raises(ScheduleError) as err:
        load_programme(path)
    assert str(err.value) == f"{path}: conference: time_zone_name: unknown time zone 'Mars/Base'"


def test_bad_session_date_names_the_session(tmp_path):
    path = pretalx_copy(
        tmp_path, lambda c: event(c, "Opening").update(date="2024-05-16T9.30 o'clock")
    )
    with pytest.raises(ScheduleError) as err:
        load_programme(path)
    assert str(err.value) == (
        f"{path}: session 'Opening' (id 101): date: "
        "not an ISO 8601 date and time: '2024-05-16T9.30 o'clock'"
    )


def test_every_problem_is_reported_at_once(tmp_path):
    def edit(c):
        event(c, "Opening")["title"] = ""
        event(c, "Closing")["duration"] = "long"

    path = pretalx_copy(tmp_path, edit)
    with pytest.raises(ScheduleError) as err:
        load_programme(path)
    assert err.value.lines() == [
        f"{path}: session (untitled) (id 101): title: missing or empty",
        f"{path}: session 'Closing' (id 124): duration: not a duration (HH:MM): 'long'",
    ]
    assert str(err.value).endswith("(and 1 more)")


def test_malformed_json(tmp_path):
    path = tmp_path / "schedule.json"
    path.write_text('{"schedule": {"conference": {"title": "x",}}}', encoding="utf-8")
    with pytest.raises(ScheduleError) as err:
        load_programme(path)
    assert str(err.value) == (
        f"{path}: not valid JSON: line 1, column 43: Expecting property name enclosed in "
        "double quotes"
    )


def test_json_that_is_not_a_schedule(tmp_path):
    path = tmp_path / "schedule.json"
    path.write_text('{"talks": []}', encoding="utf-8")
    with pytest.raises(ScheduleError, match=r"not a frab/pretalx schedule\.json"):
        load_programme(path)


def test_malformed_xml(tmp_path):
    path = tmp_path / "schedule.xml"
    text = (DATA / "frab-fosscamp.xml").read_text(encoding="utf-8")
    path.write_text(text.replace("</title>", "</titel>", 3), encoding="utf-8")
    with pytest.raises(ScheduleError) as err:
        load_programme(path)
    assert str(err.value) == f"{path}: not well-formed XML: line 7, column 28: mismatched tag"


def test_xml_session_without_title(tmp_path):
    path = tmp_path / "schedule.xml"
    text = (DATA / "frab-fosscamp.xml").read_text(encoding="utf-8")
    path.write_text(text.replace("<title>Rust on microcontrollers</title>", ""), encoding="utf-8")
    with pytest.raises(ScheduleError) as err:
        load_programme(path)
    assert str(err.value) == f"{path}: session (untitled) (id 9008): title: missing or empty"


def test_xml_unknown_time_zone_and_naive_dates(tmp_path):
    path = tmp_path / "schedule.xml"
    text = (DATA / "frab-fosscamp.xml").read_text(encoding="utf-8")
    text = text.replace("Europe/Amsterdam", "Europe/Atlantis")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScheduleError, match="time_zone_name: unknown time zone 'Europe/Atlantis'"):
        load_programme(path)


def test_csv_without_time_zone_names_row_and_session():
    with pytest.raises(ScheduleError) as err:
        load_programme(DATA / "programme.csv")
    assert err.value.lines()[0] == (
        f"{DATA / 'programme.csv'}: row 2: session 'Welcome and opening remarks' (id S01): "
        "start: '2022-09-07T09:00:00' has no UTC offset and no time zone is given "
        "(add a time zone column or give a default time zone)"
    )
    assert len(err.value.lines()) == 12


def test_csv_without_title_column(tmp_path):
    path = tmp_path / "talks.csv"
    path.write_text("id,name,start\n1,Opening,2024-05-16T10:00:00+02:00\n", encoding="utf-8")
    with pytest.raises(ScheduleError) as err:
        load_programme(path)
    assert str(err.value) == (
        f"{path}: no column for title; the header has: id, name, start "
        "(map a column with COLUMN=FIELD)"
    )
    assert load_programme(path, csv_mapping={"name": "title"}).sessions[0].title == "Opening"


def test_csv_mapping_to_unknown_field(tmp_path):
    path = tmp_path / "talks.csv"
    path.write_text("id,title,start\n", encoding="utf-8")
    with pytest.raises(ScheduleError, match=r"column mapping 'title=titel': unknown field 'titel'"):
        load_programme(path, csv_mapping={"title": "titel"})


def test_csv_duplicate_rows_and_bad_flag(tmp_path):
    path = tmp_path / "talks.csv"
    path.write_text(
        "guid,title,start,do not record\n"
        "a1,One,2024-05-16T10:00:00+02:00,no\n"
        "a1,Two,2024-05-16T11:00:00+02:00,maybe\n",
        encoding="utf-8",
    )
    with pytest.raises(ScheduleError) as err:
        load_programme(path)
    assert err.value.lines() == [
        f"{path}: row 3: session 'Two' (id a1): do_not_record: not true or false: 'maybe'"
    ]


def test_mapping_is_for_csv_only(tmp_path):
    with pytest.raises(ScheduleError, match="column mapping applies to CSV files only"):
        load_programme(DATA / "frab-fosscamp.xml", csv_mapping={"a": "title"})


def test_missing_source_and_show_folder(tmp_path):
    with pytest.raises(ScheduleError, match="no such file"):
        import_schedule(tmp_path, tmp_path / "nope.json")
    with pytest.raises(ScheduleError, match="not a folder"):
        import_schedule(tmp_path / "nope", DATA / "pretalx-audiocon.json")


def test_nothing_is_written_when_the_programme_is_bad(tmp_path):
    path = pretalx_copy(tmp_path, lambda c: event(c, "Opening").update(title=""))
    show = tmp_path / "show"
    show.mkdir()
    with pytest.raises(ScheduleError):
        import_schedule(show, path)
    assert not (show / "episodes").exists()


def test_broken_episode_file_stops_the_import(tmp_path):
    show = tmp_path / "show"
    (show / "episodes").mkdir(parents=True)
    (show / "episodes" / "broken.md").write_text("+++\ntitle = \n+++\n", encoding="utf-8")
    with pytest.raises(ScheduleError) as err:
        import_schedule(show, DATA / "pretalx-audiocon.json")
    assert err.value.lines()[0].startswith(f"{show / 'episodes' / 'broken.md'}: invalid TOML")
    assert "fix these episode files first" in err.value.lines()[-1]
