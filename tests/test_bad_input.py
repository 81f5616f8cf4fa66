"""Bad input: one clear line naming file and field, exit 1, no traceback, old output intact."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.media import make_audio
from tests.support.show import tree_snapshot

EP = "episodes/04-public-procurement.md"
EP5 = "episodes/05-levelling-up.md"
AUDIO = "recordings/04-public-procurement.mp3"


def edit(show: Path, rel: str, pattern: str, repl: str) -> None:
    path = show / rel
    text, n = re.subn(pattern, repl, path.read_text(), count=1, flags=re.M)
    assert n == 1, f"{pattern!r} not found in {rel}"
    path.write_text(text)


def break_missing_audio(show: Path) -> None:
    (show / AUDIO).unlink()


def break_corrupt_mp3(show: Path) -> None:
    data = bytearray((show / AUDIO).read_bytes())
    (show / AUDIO).write_bytes(bytes(data[:2000]))  # truncated mid-stream


def break_zero_bytes(show: Path) -> None:
    (show / AUDIO).write_bytes(b"")


def break_text_as_mp3(show: Path) -> None:
    (show / AUDIO).write_text("These are the speaker notes, not audio.\n" * 50)


def break_m4a_named_mp3(show: Path) -> None:
    make_audio(show / "recordings" / "real.m4a", 2)
    shutil.move(show / "recordings" / "real.m4a", show / AUDIO)


def break_toml(show: Path) -> None:
    edit(show, EP, r'^day = "Day 1"$', 'day = "Day 1')


def break_unknown_field(show: Path) -> None:
    edit(show, EP, r"^season = 1$", 'season = 1\nspeakr = "typo"')


def break_duplicate_slug(show: Path) -> None:
    edit(show, EP, r'^slug = ".*"$', 'slug = "levelling-up"')


def break_duplicate_guid(show: Path) -> None:
    other = (show / "episodes/05-levelling-up.md").read_text()
    guid = re.search(r'^guid = "(.*)"$', other, flags=re.M).group(1)
    edit(show, EP, r'^guid = ".*"$', f'guid = "{guid}"')


def break_naive_datetime(show: Path) -> None:
    edit(show, EP, r"^start = (.*)\+01:00$", r"start = \1")


def break_config_category(show: Path) -> None:
    edit(show, "config.toml", r"^categories = .*$", 'categories = ["Technology > Podcasting"]')


CASES = {
    "missing audio": (
        break_missing_audio,
        EP,
        "audio",
        "file 'recordings/04-public-procurement.mp3' not found",
    ),
    "corrupt mp3": (break_corrupt_mp3, EP, "audio", "truncated"),
    "zero bytes": (break_zero_bytes, EP, "audio", "file is empty (0 bytes)"),
    "text named .mp3": (break_text_as_mp3, EP, "audio", "cannot read audio"),
    "m4a named .mp3": (break_m4a_named_mp3, EP, "audio", "extension says .mp3"),
    "invalid toml": (break_toml, EP, None, "invalid TOML front matter"),
    "unknown field": (break_unknown_field, EP, "speakr", "unknown front-matter field"),
    # the later file (in name order) names the earlier one
    "duplicate slug": (break_duplicate_slug, EP5, "slug", "also used by 04-public-procurement.md"),
    "duplicate guid": (break_duplicate_guid, EP5, "guid", "also used by 04-public-procurement.md"),
    "naive datetime": (break_naive_datetime, EP, "start", "has no time zone"),
    "obsolete category": (
        break_config_category,
        "config.toml",
        "podcast.categories",
        "'Technology' has no subcategories",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_cleanly_and_keeps_previous_output(show: Path, case: str) -> None:
    breaker, rel, field, message = CASES[case]
    run("publish", cwd=show, check=True)
    published = tree_snapshot(show / "public")
    breaker(show)
    sources = tree_snapshot(show / "recordings")

    for command in (("publish",), ("check",)):
        proc = run(*command, cwd=show)
        assert proc.returncode == 1, proc
        assert "Traceback" not in proc.stderr
        errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
        assert len(errors) == 1, proc.stderr
        prefix = f"error: {rel}: " + (f"{field}: " if field else "")
        assert errors[0].startswith(prefix), errors[0]
        assert message in errors[0], errors[0]
        if rel == EP and field == "audio":  # a recording's problem names the recording too
            assert "04-public-procurement.mp3" in errors[0], errors[0]

    assert tree_snapshot(show / "public") == published
    assert tree_snapshot(show / "recordings") == sources


def test_invalid_toml_error_names_the_file_line(show: Path) -> None:
    break_toml(show)
    proc = run("check", cwd=show)
    line_no = next(
        i
        for i, ln in enumerate((show / EP).read_text().splitlines(), 1)
        if ln.startswith('day = "Day 1')
    )
    assert f"(at line {line_no}," in proc.stderr


def test_every_problem_is_reported_not_just_the_first(show: Path) -> None:
    break_naive_datetime(show)
    edit(show, "episodes/01-outcomes-measurement.md", r"^episode = 1$", "episode = 0")
    proc = run("check", cwd=show)
    assert proc.returncode == 1
    assert "04-public-procurement.md: start:" in proc.stderr
    assert "01-outcomes-measurement.md: episode: must be a whole number" in proc.stderr


def test_verbose_shows_traceback(show: Path) -> None:
    break_zero_bytes(show)
    proc = run("-v", "publish", cwd=show)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr
    assert (
        "error: episodes/04-public-procurement.md: audio: 04-public-procurement.mp3: file is empty"
        in proc.stderr
    )


def test_audio_outside_show_folder_must_be_a_recording(show: Path) -> None:
    """A recording may live anywhere on the organiser's disks, but it must exist and be
    a recording: each gets one line naming the episode file."""
    edit(show, EP, r'^audio = ".*"$', 'audio = "../../no/such/take.wav"')
    proc = run("check", cwd=show)
    assert proc.returncode == 1
    assert (
        "error: episodes/04-public-procurement.md: audio: file '../../no/such/take.wav' "
        "not found (relative paths start at "
    ) in proc.stderr
    edit(show, EP, r'^audio = ".*"$', 'audio = "/etc/passwd"')
    proc = run("publish", cwd=show)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "error: episodes/04-public-procurement.md: audio: passwd: not a recording type" in (
        proc.stderr
    )
    assert not (show / "public").exists()


def test_no_config_found(tmp_path: Path) -> None:
    proc = run("publish", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and "no config.toml here" in proc.stderr
