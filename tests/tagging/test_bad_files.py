"""Corrupt, truncated, unsupported and mislabelled files fail with one clear error naming the
file, and tagging them leaves nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audiofeed import media
from audiofeed.errors import MediaError

from .conftest import FORMATS

ALL = list(FORMATS)
TRUNCATED = {
    "mp3": "truncated: the last MP3 frame is cut short",
    "m4a-aac": "truncated",
    "m4b-alac": "truncated",
    "ogg": "truncated: the last Ogg page is cut short",
    "opus": "truncated: the last Ogg page is cut short",
    "flac": "truncated: the last FLAC frame is incomplete or missing",
    "wav": "truncated: the WAV 'data' chunk needs",
}


def cases(fmt: str, source: Path, fixtures: dict[str, Path]) -> dict[str, bytes]:
    data = source.read_bytes()
    other = fixtures["wav" if fmt != "wav" else "mp3"].read_bytes()
    return {
        "empty": b"",
        "cut": data[: len(data) * 2 // 3],
        "cut-end": data[:-37],
        "garbage": bytes(range(256)) * 20 + os.urandom(2000),
        "mislabelled": other,
    }


@pytest.mark.parametrize("fmt", ALL)
def test_bad_files_fail_cleanly(fmt, fixtures, tmp_path):
    source = fixtures[fmt]
    for case, content in cases(fmt, source, fixtures).items():
        bad = tmp_path / f"{case}{source.suffix}"
        bad.write_bytes(content)
        with pytest.raises(MediaError) as err:
            media.probe(bad)
        assert err.value.path == bad, case
        message = err.value.message
        if case == "empty":
            assert message == "file is empty (0 bytes); export the recording again"
        elif case.startswith("cut"):
            assert message.startswith(TRUNCATED[fmt]) or "incomplete" in message, (case, message)
        elif case == "mislabelled":
            kind = "WAVE" if fmt != "wav" else "MP3"
            assert message.startswith(f"extension says {source.suffix} but the content is {kind}")
        else:
            assert message, case
        # tagging refuses too, and leaves neither a copy nor a temp file
        out_dir = tmp_path / f"out-{case}"
        tags = media.Tags(title="T", artist="A", album="B", album_artist="C", date="2022")
        with pytest.raises(MediaError):
            media.tag_copy(bad, out_dir / bad.name, tags)
        assert not out_dir.exists() or list(out_dir.iterdir()) == []


def test_unsupported_extension(tmp_path):
    path = tmp_path / "talk.aiff"
    path.write_bytes(b"FORM")
    with pytest.raises(MediaError) as err:
        media.probe(path)
    assert err.value.message.startswith("unsupported audio type '.aiff'; use one of ")


def test_missing_file(tmp_path):
    with pytest.raises(MediaError) as err:
        media.probe(tmp_path / "nope.mp3")
    assert err.value.message == "file not found"


def test_opus_in_dot_ogg_is_accepted(fixtures, tmp_path):
    path = tmp_path / "talk.ogg"
    path.write_bytes(fixtures["opus"].read_bytes())
    assert media.probe(path).codec == "opus"
    path = tmp_path / "talk.opus"
    path.write_bytes(fixtures["ogg"].read_bytes())
    with pytest.raises(MediaError, match=r"extension says \.opus but the content is OggVorbis"):
        media.probe(path)


def test_existing_destination_survives_a_failed_tagging(fixtures, tmp_path):
    good = tmp_path / "out" / "a.mp3"
    tags = media.Tags(title="T", artist="A", album="B", album_artist="C", date="2022")
    media.tag_copy(fixtures["mp3"], good, tags)
    before = good.read_bytes()
    bad = tmp_path / "a.mp3"
    bad.write_bytes(fixtures["mp3"].read_bytes()[:-50])
    with pytest.raises(MediaError):
        media.tag_copy(bad, good, tags)
    assert good.read_bytes() == before
    assert sorted(p.name for p in good.parent.iterdir()) == ["a.mp3"]
