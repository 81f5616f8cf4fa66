"""Write -> read back -> equal, for every format; ffprobe agrees; the audio is untouched."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from audiofeed import media
from audiofeed.media import images
from audiofeed.show.catalog import Chapter
from audiofeed.show.config import TagSettings

from .conftest import FORMATS, ffprobe, ffprobe_tags, pcm_md5, sha

ALL = list(FORMATS)


def full_tags(cover: bytes, mime: str = "image/jpeg", **changes) -> media.Tags:
    values = dict(
        title="Outcomes measurement & public value — ü",
        artist="Stan Gilmour, Mathilde Pellizzari",
        album="Social Outcomes Conference 2022",
        album_artist="Government Outcomes Lab",
        date="2022-09-08",
        track=3,
        grouping="Day 1 / Roundtable A",
        comment="One of the two roundtables that opened SOC22.",
        long_description="One of the two roundtables that opened SOC22.\nSecond paragraph.",
        copyright="CC BY 4.0 Government Outcomes Lab",
        language="en-gb",
        url="https://example.org/episodes/outcomes.html",
        feed_url="https://example.org/feed.xml",
        guid="8178c79c-7fb0-4830-95cb-2cc7c01432fc",
        category="Government",
        keywords=("outcomes", "public value"),
        cover=cover,
        cover_mime=mime,
        chapters=(
            Chapter(0.0, "Welcome"),
            Chapter(1.25, "Data sharing — débat", url="https://example.org/data"),
        ),
    )
    values.update(changes)
    return media.Tags(**values)


@pytest.fixture(scope="module")
def tagged(fixtures, covers, tmp_path_factory) -> dict[str, tuple[Path, media.Tags]]:
    """Every fixture tagged once with every field (module-scoped: read-only)."""
    folder = tmp_path_factory.mktemp("tagged")
    cover = covers["jpeg"].read_bytes()
    out = {}
    for name, source in fixtures.items():
        tags = full_tags(cover)
        dest = folder / source.name
        media.tag_copy(source, dest, tags)
        out[name] = (dest, tags)
    return out


@pytest.mark.parametrize("fmt", ALL)
def test_round_trip_every_field(fmt, tagged):
    dest, tags = tagged[fmt]
    read = media.read_file(dest)
    assert read.fields == tags.values(read.family)
    assert read.cover is not None and read.cover.data == tags.cover
    assert read.cover.mime == "image/jpeg"
    assert [(c.start, c.title) for c in read.chapters] == [
        (0.0, "Welcome"),
        (1.25, "Data sharing — débat"),
    ]
    assert read.chapters[-1].end == pytest.approx(media.probe(dest).duration, abs=0.01)
    if read.family != "mp4":  # MP4 chapters (chpl) have no URL
        assert read.chapters[1].url == "https://example.org/data"


@pytest.mark.parametrize("fmt", ALL)
def test_ffprobe_agrees(fmt, tagged):
    dest, tags = tagged[fmt]
    seen = ffprobe_tags(dest)
    assert seen["title"] == tags.title
    assert seen["artist"] == tags.artist
    assert seen["album"] == tags.album
    assert seen["date"].startswith("2022")
    assert "2022-09-08" in seen["date"] or seen.get("tdat") == "0809" or len(seen["date"]) == 10
    chapters = ffprobe(dest)["chapters"]
    assert [(float(c["start_time"]), c["tags"]["title"]) for c in chapters] == [
        (0.0, "Welcome"),
        (1.25, "Data sharing — débat"),
    ]


@pytest.mark.parametrize("fmt", ALL)
def test_audio_payload_unchanged(fmt, fixtures, tagged):
    dest, _ = tagged[fmt]
    assert pcm_md5(dest) == pcm_md5(fixtures[fmt])
    assert media.probe(dest).duration == pytest.approx(media.probe(fixtures[fmt]).duration, 0.01)


@pytest.mark.parametrize("fmt", ALL)
def test_source_untouched_and_no_temp_left(fmt, fixtures, covers, tmp_path):
    source = tmp_path / fixtures[fmt].name
    shutil.copy(fixtures[fmt], source)
    before = sha(source)
    out = tmp_path / "out" / source.name
    media.tag_copy(source, out, full_tags(covers["png"].read_bytes(), "image/png"))
    assert sha(source) == before
    assert sorted(p.name for p in out.parent.iterdir()) == [source.name]
    assert media.read_file(out).cover.mime == "image/png"


@pytest.mark.parametrize("fmt", ALL)
def test_retagging_a_tagged_copy_is_stable(fmt, tagged, tmp_path):
    dest, tags = tagged[fmt]
    again = tmp_path / dest.name
    media.tag_copy(dest, again, tags)
    first, second = media.read_file(dest), media.read_file(again)
    assert second.fields == first.fields
    assert second.chapters == first.chapters
    assert len(second.pictures) == 1


def test_id3v23_option(fixtures, covers, tmp_path):
    tags = full_tags(covers["jpeg"].read_bytes())
    for fmt in ("mp3", "wav"):
        out = tmp_path / fixtures[fmt].name
        media.tag_copy(fixtures[fmt], out, tags, TagSettings(id3_version="2.3"))
        read = media.read_file(out)
        assert read.version == "ID3v2.3"
        assert read.fields == tags.values("id3")
        assert len(read.chapters) == 2
        assert ffprobe_tags(out)["title"] == tags.title


def test_tags_without_chapters_or_cover(fixtures, tmp_path):
    tags = media.Tags(title="T", artist="A", album="B", album_artist="C", date="2022-09-08")
    for fmt, source in fixtures.items():
        out = tmp_path / source.name
        media.tag_copy(source, out, tags)
        read = media.read_file(out)
        assert read.fields == tags.values(read.family), fmt
        assert read.pictures == [] and read.chapters == []


def unrelated(fmt: str, path: Path) -> None:
    """Put an encoder/ReplayGain style tag into ``path`` with mutagen, as another tool would."""
    import mutagen
    from mutagen.id3 import TXXX
    from mutagen.mp4 import MP4FreeForm

    audio = mutagen.File(path)
    if audio.tags is None:
        audio.add_tags()
    family = media.probe(path).family
    if family == "id3":
        audio.tags.add(TXXX(encoding=3, desc="REPLAYGAIN_TRACK_GAIN", text=["-6.5 dB"]))
    elif family == "mp4":
        audio.tags["----:com.apple.iTunes:replaygain_track_gain"] = [MP4FreeForm(b"-6.5 dB")]
    else:
        audio.tags["REPLAYGAIN_TRACK_GAIN"] = ["-6.5 dB"]
    audio.save()


@pytest.mark.parametrize("fmt", ALL)
def test_unrelated_tags_kept_unless_strip(fmt, fixtures, covers, tmp_path):
    source = tmp_path / fixtures[fmt].name
    shutil.copy(fixtures[fmt], source)
    unrelated(fmt, source)
    tags = full_tags(covers["jpeg"].read_bytes())
    kept, stripped = tmp_path / "kept" / source.name, tmp_path / "strip" / source.name
    media.tag_copy(source, kept, tags)
    media.tag_copy(source, stripped, tags, TagSettings(strip_existing=True))
    has_gain = lambda p: any("-6.5 dB" in v for _, v in media.read_file(p).raw)  # noqa: E731
    assert has_gain(source) and has_gain(kept) and not has_gain(stripped)
    assert media.read_file(stripped).fields == tags.values(media.read_file(stripped).family)


def test_cover_downscaled_only_when_asked(fixtures, covers, tmp_path):
    big = covers["big"].read_bytes()
    out = tmp_path / "a.mp3"
    media.tag_copy(fixtures["mp3"], out, full_tags(big))
    assert media.read_file(out).cover.data == big
    media.tag_copy(fixtures["mp3"], out, full_tags(big), TagSettings(cover_max_px=500))
    cover = media.read_file(out).cover
    assert images.dimensions(cover.data) == (500, 500)
    assert cover.mime == "image/jpeg" and images.mime_of(cover.data) == "image/jpeg"


@pytest.mark.parametrize("fmt", ["mp3", "m4a-aac", "flac"])
def test_file_chapters_kept_when_the_episode_has_none(fmt, tagged, tmp_path):
    dest, tags = tagged[fmt]
    plain = dataclasses.replace(tags, chapters=(), title="New title")
    kept, stripped = tmp_path / "kept" / dest.name, tmp_path / "strip" / dest.name
    media.tag_copy(dest, kept, plain)
    assert media.read_file(kept).fields["title"] == "New title"
    assert [c.title for c in media.read_file(kept).chapters] == ["Welcome", "Data sharing — débat"]
    media.tag_copy(dest, stripped, plain, TagSettings(strip_existing=True))
    if fmt != "m4a-aac":  # MP4 chapters are tracks and boxes, not tags: strip keeps them
        assert media.read_file(stripped).chapters == []


def test_diff_lists_changes_and_what_strip_removes(tagged, covers):
    dest, tags = tagged["mp3"]
    current = media.read_file(dest)
    assert media.diff(current, tags) == []
    changed = dataclasses.replace(tags, title="Other", guid=None, cover=covers["png"].read_bytes())
    lines = media.diff(current, changed)
    assert lines[0] == "~ title: 'Outcomes measurement & public value — ü' -> 'Other'"
    assert lines[1].startswith("~ cover: image/jpeg 300x300 (")
    assert " -> image/png 200x200 (" in lines[1]
    stripped = media.diff(current, changed, TagSettings(strip_existing=True))
    assert "- guid: '8178c79c-7fb0-4830-95cb-2cc7c01432fc'" in stripped
