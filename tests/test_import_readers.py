"""Reading the sample programmes: frab schedule.xml, pretalx schedule.json, CSV."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from audiofeed.importers import load_programme

DATA = Path(__file__).parent / "data" / "schedules"


@pytest.fixture(scope="module")
def pretalx():
    return load_programme(DATA / "pretalx-audiocon.json")


@pytest.fixture(scope="module")
def frab():
    return load_programme(DATA / "frab-fosscamp.xml")


@pytest.fixture(scope="module")
def table():
    return load_programme(DATA / "programme.csv", time_zone="Europe/London")


def by_title(programme, title):
    return next(s for s in programme.sessions if s.title == title)


def test_pretalx_json_sessions_tracks_rooms(pretalx):
    assert pretalx.system == "pretalx"
    assert pretalx.time_zone == "Europe/Berlin"
    assert len(pretalx.sessions) == 24
    assert {s.day for s in pretalx.sessions} == {"Day 1", "Day 2"}
    assert len({s.room for s in pretalx.sessions}) == 3
    assert len({s.track for s in pretalx.sessions}) == 4
    assert pretalx.warnings == []


def test_sessions_come_in_programme_order(pretalx, frab, table):
    for programme in (pretalx, frab, table):
        starts = [s.start for s in programme.sessions]
        assert starts == sorted(starts)


def test_pretalx_session_fields(pretalx):
    s = by_title(pretalx, "Opus inside out")
    assert s.start == datetime.fromisoformat("2024-05-16T10:00:00+02:00")
    assert s.start.utcoffset() == timedelta(hours=2)
    assert s.guid == "5ea3d323-edff-50a7-b3e7-a33810f3f261"
    assert (s.source_id, s.code) == ("102", "AC0102")
    assert s.subtitle == "How the codec hears you"
    assert (s.room, s.track, s.language, s.duration) == (
        "Saal Ada",
        "Audio & Codecs",
        "en",
        "00:45",
    )
    assert s.license == "CC-BY-SA-4.0"
    assert [p.name for p in s.speakers] == ["Zoë Ångström", "Łukasz Żółć"]
    assert s.speakers[0].bio.startswith("Zoë builds **open audio tools**")
    assert s.speakers[0].image == "https://pretalx.example.org/media/avatars/zoe.png"
    assert "- [RFC 6716](https://www.rfc-editor.org/rfc/rfc6716)" in s.abstract
    assert s.url == "https://pretalx.example.org/audiocon2024/talk/AC0102/"


def test_non_ascii_names_and_titles(pretalx, frab):
    s = by_title(pretalx, "ポッドキャストの未来")
    assert [p.name for p in s.speakers] == ["山田太郎", "Mira Nakamura"]
    assert s.language == "ja"
    assert "Zoë Ångström" in [p.name for p in by_title(frab, "Build a synth").speakers]


def test_links_and_attachments_become_links(pretalx, frab):
    s = by_title(pretalx, "Feeds, enclosures and GUIDs")
    assert [(link.title, link.url) for link in s.links] == [
        ("GUID spec", "https://podcasting.example.org/guid-spec"),
        ("Slides", "https://pretalx.example.org/media/audiocon2024/slides.pdf"),
    ]
    # a frab attachment path is resolved against the programme's base_url
    mesh = by_title(frab, "Mesh networking in tents")
    assert mesh.links[-1].url == "https://frab.example.org/system/attachments/000/mesh.pdf"


def test_do_not_record_and_cancelled(pretalx, frab, table):
    assert "do_not_record" in by_title(pretalx, "Off the record: whistleblowing").flags
    assert "do_not_record" in by_title(frab, "Privacy for podcasters").flags  # <optout>true
    assert "do_not_record" in by_title(table, "Data sharing between agencies").flags
    assert by_title(pretalx, "[Cancelled] Streaming with WebRTC").cancelled
    assert by_title(frab, "ABGESAGT: Drohnen über dem Camp").cancelled
    assert by_title(table, "Commissioning for outcomes").cancelled  # Status column
    assert not by_title(pretalx, "Cancel culture and open source").cancelled
    assert sum(s.cancelled for s in pretalx.sessions + frab.sessions + table.sessions) == 3


def test_frab_xml_sessions(frab):
    assert frab.system == "frab"
    assert len(frab.sessions) == 24
    assert len({s.room for s in frab.sessions}) == 3
    s = by_title(frab, "Fuzzing audio decoders")
    assert s.guid == "5260fe3f-783e-57df-ac9f-29b13966f985"
    assert s.source_id == "9005"
    assert s.license == "CC BY 4.0"
    assert [p.name for p in s.speakers] == ["Zoë Ångström", "Priya Raman"]
    # the HTML abstract became Markdown
    assert s.abstract.splitlines() == [
        "We break **audio decoders** with [AFL++](https://aflplus.plus/) & friends.",
        "",
        "- corpus building",
        "- crash triage",
    ]


def test_after_midnight_session_stays_on_its_programme_day(frab, pretalx):
    late = by_title(frab, "Midnight chiptunes")
    assert late.start == datetime.fromisoformat("2023-08-20T01:00:00+02:00")
    assert late.day == "Day 1"
    assert by_title(pretalx, "Late night audio karaoke").day == "Day 1"


def test_frab_relative_link_in_description_is_resolved(frab):
    s = by_title(frab, "Solar power for camps")
    assert "[link](https://frab.example.org/en/fosscamp2023/public/events/9001)" in s.description
    assert "*inline HTML*" in s.description


def test_csv_columns_by_common_names(table):
    assert table.system == "csv"
    assert len(table.sessions) == 12
    s = by_title(table, "Outcomes measurement & public value")
    assert s.guid is None and s.source_id == "S02"
    assert s.start == datetime.fromisoformat("2022-09-07T09:30:00+01:00")
    assert s.duration == "01:00"
    assert [(p.name, p.affiliation) for p in s.speakers] == [
        ("Stan Gilmour", "Thames Valley Police"),
        ("Zoë Ångström", "Lund University"),
    ]
    assert [p.name for p in s.chair] == ["Mara Airoldi"]
    assert s.keywords == ["outcomes", "public value"]
    assert s.abstract == "What counts, and who counts it?\n\nA roundtable on **measurement**."
    assert s.day == "2022-09-07"


def test_csv_mapping_names_other_columns(tmp_path):
    src = tmp_path / "export.csv"
    src.write_text(
        "Nr;Vortrag;Beginn;Saal;Referent*innen\n"
        "7;Zoë's Vortrag;21.08.2019 11:00;Curie;Zoë Ångström, Łukasz Żółć\n",
        encoding="utf-8",
    )
    mapping = {"Nr": "id", "Vortrag": "title", "Beginn": "start", "Saal": "room",
               "Referent*innen": "speakers"}  # fmt: skip
    programme = load_programme(src, csv_mapping=mapping, time_zone="Europe/Berlin")
    (s,) = programme.sessions
    assert s.title == "Zoë's Vortrag" and s.room == "Curie" and s.source_id == "7"
    assert s.start == datetime.fromisoformat("2019-08-21T11:00:00+02:00")
    assert [p.name for p in s.speakers] == ["Zoë Ångström", "Łukasz Żółć"]


def test_schedule_without_offsets_uses_the_time_zone(tmp_path):
    src = tmp_path / "schedule.json"
    text = (DATA / "pretalx-audiocon.json").read_text(encoding="utf-8")
    src.write_text(text.replace("+02:00", ""), encoding="utf-8")
    s = by_title(load_programme(src), "Opus inside out")
    assert s.start.isoformat() == "2024-05-16T10:00:00+02:00"
