"""Chapter validation and the Podcasting 2.0 chapters file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audiofeed import media
from audiofeed.errors import MediaError
from audiofeed.media import chapters
from audiofeed.show.catalog import Chapter


def test_json_chapters_file():
    data = media.chapters_json(
        [
            Chapter(0, "Welcome"),
            Chapter(65.5, "Data", url="https://example.org/d", image="https://example.org/d.jpg"),
            Chapter(120, "Hidden", toc=False, url="not a url", image="images/local.jpg"),
        ]
    )
    doc = json.loads(data)
    assert doc == {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 0.0, "title": "Welcome"},
            {
                "startTime": 65.5,
                "title": "Data",
                "url": "https://example.org/d",
                "img": "https://example.org/d.jpg",
            },
            {"startTime": 120.0, "title": "Hidden", "toc": False},
        ],
    }
    assert all(isinstance(c["startTime"], float) for c in doc["chapters"])
    assert media.JSON_TYPE == "application/json+chapters"


@pytest.mark.parametrize(
    ("starts", "field", "message"),
    [
        ([0, 3], "chapters[1].start", "00:00:03.000 is not inside the recording"),
        ([0, 1, 1], "chapters[2].start", "00:00:01.000 does not come after chapters[1].start"),
        ([1, 0.5], "chapters[1].start", "00:00:00.500 does not come after chapters[0].start"),
    ],
)
def test_validation_names_episode_and_chapter(starts, field, message):
    episode = Path("episodes/talk.md")
    with pytest.raises(MediaError) as err:
        media.validate_chapters([Chapter(s, f"c{s}") for s in starts], 2.5, episode)
    assert err.value.path == episode
    assert err.value.field == field
    assert err.value.message.startswith(message)


def test_tag_copy_rejects_chapters_beyond_the_end(fixtures, tmp_path):
    tags = media.Tags(
        title="T", artist="A", album="B", album_artist="C", date="2022",
        chapters=(Chapter(0, "a"), Chapter(99, "b")),
    )  # fmt: skip
    with pytest.raises(MediaError, match=r"chapters\[1\]\.start"):
        media.tag_copy(fixtures["m4a-aac"], tmp_path / "x.m4a", tags)
    assert not (tmp_path / "x.m4a").exists()


def test_ffmetadata_escapes_titles():
    marks = chapters.marks([Chapter(0, "a=b; #c\\d")], 2.0)
    text = chapters.ffmetadata(marks)
    assert "title=a\\=b\\; \\#c\\\\d" in text
    assert "START=0" in text and "END=2000" in text
