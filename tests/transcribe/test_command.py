"""``audiofeed transcribe`` as a user meets it: what is written, what is kept, what is
cached, and what ``publish`` does with it (feed tags, session page)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from audiofeed.cli import cli
from tests.support.cli import run
from tests.support.media import make_image, make_speech

from .conftest import HAND_VTT, Show, read_cues

PODCAST = "{https://podcastindex.org/namespace/1.0}"
GENERATED = ("public-health", "power-for-all")

RUN_AND_LIST_MODULES = """
import json, sys
from pathlib import Path
from audiofeed.transcribe.run import transcribe_show
outcomes = transcribe_show(Path(sys.argv[1]))
print(json.dumps([o.action for o in outcomes]))
print("faster_whisper" in sys.modules)
"""


def run_in_fresh_python(show: Show) -> tuple[list[str], bool]:
    """Transcribe in a new interpreter: (each episode's action, was faster_whisper loaded)."""
    proc = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST_MODULES, str(show.config)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    actions, loaded = proc.stdout.strip().splitlines()[-2:]
    return json.loads(actions), loaded == "True"


def test_writes_vtt_and_srt_for_episodes_without_a_transcript(transcribed: Show) -> None:
    for slug in GENERATED:
        vtt = transcribed.transcript(slug).read_text(encoding="utf-8")
        srt = transcribed.transcript(slug, "srt").read_text(encoding="utf-8")
        assert vtt.startswith("WEBVTT\n") and "tiny.en" in vtt
        assert srt.startswith("1\n00:00:0")
        assert [c[2] for c in read_cues(vtt)] and read_cues(srt)
    record = json.loads((transcribed.root / "transcripts" / "generated.json").read_text())
    assert sorted(record["generated"]) == sorted(GENERATED)
    # the hand-made one is untouched and nothing was generated for it
    assert not transcribed.transcript("closing").exists()
    assert (transcribed.root / "notes" / "closing.vtt").read_text() == HAND_VTT


def test_rerun_is_up_to_date_and_never_loads_the_model(transcribed: Show) -> None:
    before = {p: p.read_bytes() for p in (transcribed.root / "transcripts").iterdir()}
    actions, loaded = run_in_fresh_python(transcribed)
    assert actions == ["up to date", "up to date", "hand-made"]
    assert loaded is False
    assert {p: p.read_bytes() for p in (transcribed.root / "transcripts").iterdir()} == before


def test_deleted_files_come_back_from_the_cache_without_the_model(transcribed: Show) -> None:
    vtt, srt = (
        transcribed.transcript("public-health"),
        transcribed.transcript("public-health", "srt"),
    )
    old = vtt.read_bytes(), srt.read_bytes()
    vtt.unlink()
    srt.unlink()
    actions, loaded = run_in_fresh_python(transcribed)
    assert actions == ["from cache", "up to date", "hand-made"]
    assert loaded is False
    assert (vtt.read_bytes(), srt.read_bytes()) == old


def test_an_edited_transcript_is_never_overwritten(transcribed: Show) -> None:
    vtt = transcribed.transcript("power-for-all")
    edited = vtt.read_text(encoding="utf-8").replace("Good morning", "Good morning, everyone")
    vtt.write_text(edited, encoding="utf-8")
    srt_before = transcribed.transcript("power-for-all", "srt").read_bytes()
    # new audio: the cache key changes, so only the edit protects the file
    make_speech(transcribed.root / "recordings" / "power.mp3", "Something else entirely.")
    proc = run("transcribe", "power-for-all", cwd=transcribed.root, check=True)
    assert "kept episodes/02-power.md: transcripts/power-for-all.vtt edited" in proc.stdout
    assert vtt.read_text(encoding="utf-8") == edited
    assert transcribed.transcript("power-for-all", "srt").read_bytes() == srt_before


def test_a_file_audiofeed_did_not_write_is_kept(speech_show: Show) -> None:
    """A hand-made transcripts/SLUG.vtt (no transcript line needed) wins too."""
    hand = speech_show.transcript("public-health")
    hand.parent.mkdir()
    hand.write_text(HAND_VTT, encoding="utf-8")
    proc = run("transcribe", "-n", cwd=speech_show.root, check=True)
    assert "kept episodes/01-health.md: transcripts/public-health.vtt not made by" in proc.stdout
    assert "kept episodes/03-closing.md: hand-made transcript notes/closing.vtt" in proc.stdout
    assert "would transcribe episodes/02-power.md" in proc.stdout
    assert (
        proc.stdout.splitlines()[-1] == "dry run: 1 not generated, 1 would transcribe, 1 hand-made"
    )
    assert sorted(p.name for p in hand.parent.iterdir()) == ["public-health.vtt"]  # dry run
    assert hand.read_text(encoding="utf-8") == HAND_VTT


def test_publish_links_both_files_and_the_page_shows_the_transcript(transcribed: Show) -> None:
    run("publish", cwd=transcribed.root, check=True)
    public = transcribed.root / "public"
    feed = etree.parse(str(public / "feed.xml"))
    by_guid = {}
    for item in feed.iter("item"):
        tags = item.findall(f"{PODCAST}transcript")
        by_guid[item.findtext("guid")] = [(t.get("type"), t.get("rel"), t.get("url")) for t in tags]
    power = by_guid["aaaaaaaa-0000-4000-8000-000000000002"]
    assert [t[:2] for t in power] == [
        ("text/vtt", "captions"),
        ("application/x-subrip", "captions"),
    ]
    for type_, _, url in power:
        key = url.removeprefix("http://127.0.0.1:8000/")
        ext = "vtt" if type_ == "text/vtt" else "srt"
        assert (public / key).read_bytes() == transcribed.transcript(
            "power-for-all", ext
        ).read_bytes()
    hand = by_guid["aaaaaaaa-0000-4000-8000-000000000003"]
    assert [t[0] for t in hand] == ["text/vtt"]  # the hand-made one alone
    page = (public / "episodes" / "power-for-all.html").read_text(encoding="utf-8")
    assert "Julie Battilana and I work" in page and 'class="cue timed"' in page


def test_unknown_episode_and_bad_settings_are_one_line_errors(speech_show: Show) -> None:
    proc = run("transcribe", "no-such-talk", cwd=speech_show.root)
    assert proc.returncode == 1
    assert proc.stderr == (
        "error: no-such-talk: no episode has this slug or file name; see 'audiofeed check'\n"
    )
    with speech_show.config.open("a", encoding="utf-8") as f:
        f.write('\n[transcripts]\ndevice = "gpu"\nbeam = 3\n')
    proc = run("transcribe", cwd=speech_show.root)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [
        "error: config.toml: transcripts.beam: unknown key (allowed: compute_type, device, "
        "engine, language, model, prompt)",
        "error: config.toml: transcripts.device: must be one of cpu, cuda, auto",
    ]


def test_a_model_that_cannot_be_loaded_is_a_one_line_error(speech_show: Show) -> None:
    with speech_show.config.open("a", encoding="utf-8") as f:
        f.write('\n[transcripts]\nmodel = "models/missing"\n')
    (speech_show.root / "models" / "missing").mkdir(parents=True)
    proc = run("transcribe", "public-health", cwd=speech_show.root)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    [line] = proc.stderr.splitlines()[-1:]
    assert line.startswith("error: cannot load the speech model '") and "model.bin" in line
    assert not speech_show.transcript("public-health").exists()


def test_without_faster_whisper_the_error_says_how_to_install_it(
    speech_show: Show, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib import metadata

    real = metadata.version

    def version(name: str) -> str:
        if name == "faster-whisper":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", version)
    monkeypatch.chdir(speech_show.root)
    result = CliRunner().invoke(cli, ["transcribe"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "error: faster-whisper is not installed; pip install 'audiofeed[transcribe]'"
    )


def test_config_defaults_follow_the_show_language(tmp_path: Path) -> None:
    from audiofeed.show.config import parse

    base = {
        "podcast": {
            "title": "t",
            "description": "d",
            "author": "a",
            "language": "de-AT",
            "categories": ["Government"],
            "website": "https://example.org/",
            "image": "cover.jpg",
            "owner": {"name": "n", "email": "n@example.org"},
        },
        "publish": {"base_url": "https://example.org/"},
    }
    make_image(tmp_path / "cover.jpg", 1400)
    config = parse(base, tmp_path / "config.toml")
    assert config.transcripts.language == "de" and config.transcripts.model is None
    from audiofeed.transcribe.engine import resolve_model

    assert resolve_model(config.transcripts, tmp_path) == "small"  # tiny.en is English only
