"""Mastering inside ``audiofeed publish`` / ``check``: the demo on a machine without ffmpeg,
republishing without decoding, trims that move chapters, bad masters, settings."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from audiofeed.media import ffmpeg
from tests.support import meter
from tests.support.cli import run
from tests.support.show import copy_demo_show, tree_snapshot

FLAC_EPISODE = "episodes/05-levelling-up.md"


@pytest.fixture
def show(tmp_path: Path) -> Path:
    """The demo show never published: these tests watch its recordings being mastered."""
    return copy_demo_show(tmp_path, warm=False)


def feed_enclosures(show: Path) -> dict[str, str]:
    """guid-less view of the published feed: enclosure URL by item title start."""
    xml = (show / "public" / "feed.xml").read_text()
    items = re.findall(r"<item>.*?</item>", xml, flags=re.S)
    out = {}
    for item in items:
        title = re.search(r"<title>(.*?)</title>", item, flags=re.S)[1]
        out[title] = re.search(r'<enclosure url="([^"]+)"', item)[1]
    return out


def published(show: Path, url: str) -> Path:
    return show / "public" / url.split("127.0.0.1:8000/", 1)[1]


def edit(show: Path, rel: str, old: str, new: str) -> None:
    path = show / rel
    text = path.read_text()
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1))


def set_audio(show: Path, rel: str, audio: str) -> None:
    path = show / rel
    text = re.sub(r'^audio = ".*"$', f'audio = "{audio}"', path.read_text(), count=1, flags=re.M)
    path.write_text(text)


def traced(show: Path, *args: str) -> tuple[list[list[str]], str]:
    """Run audiofeed with the ffmpeg trace on; the ffmpeg runs (arguments) and stderr."""
    trace = show / "ffmpeg-trace.jsonl"
    trace.unlink(missing_ok=True)
    proc = run(*args, cwd=show, check=True, env={ffmpeg.TRACE_ENV: str(trace)})
    lines = trace.read_text().splitlines() if trace.exists() else []
    return [json.loads(x) for x in lines], proc.stderr


def test_the_demo_publishes_on_a_machine_without_ffmpeg(show: Path, tmp_path: Path) -> None:
    # PATH holds python and nothing else: no ffmpeg, no ffprobe
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    env = {"PATH": str(bare)}
    assert shutil.which("ffmpeg", path=env["PATH"]) is None
    proc = run("publish", cwd=show, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "mastered 05-levelling-up.flac" in proc.stderr
    urls = feed_enclosures(show)
    assert len(urls) == 6
    flac = next(u for t, u in urls.items() if t.startswith("How can central government"))
    assert flac.endswith(".mp3")
    got = meter.measure(published(show, flac))
    assert abs(got.integrated + 16) <= 1 and got.true_peak <= -1
    assert abs(meter.duration(published(show, flac)) - meter.duration(show / "recordings" /
               "05-levelling-up.flac")) <= 0.1  # fmt: skip
    # the M4A with chapters went through ffmpeg -c copy (the bundled one)
    keynote = next(u for t, u in urls.items() if t.startswith("Keynote: Power"))
    assert keynote.endswith(".m4a")
    assert len(meter.streams(published(show, keynote))) >= 1


def test_compliant_recordings_are_published_as_they_are(show: Path) -> None:
    run("publish", cwd=show, check=True)
    urls = feed_enclosures(show)
    first = next(u for t, u in urls.items() if t.startswith("Outcomes measurement"))
    source = show / "recordings" / "01-outcomes-measurement.mp3"
    # the tagged copy carries the very same MP3 frames (no generation loss)
    assert frames_md5(published(show, first)) == frames_md5(source)
    assert not any(p.suffix == ".mp3" and "01-outcomes" in p.name
                   for p in (show / ".audiofeed" / "master").glob("*"))  # fmt: skip


def frames_md5(path: Path) -> str:
    import subprocess

    args = ["-v", "error", "-i", str(path), "-map", "0:a", "-c", "copy", "-f", "md5", "-"]
    proc = subprocess.run(
        [meter.system("ffmpeg"), *args], capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def test_a_republish_decodes_nothing_and_a_new_trim_remasters_that_episode_only(
    show: Path,
) -> None:
    runs, _ = traced(show, "publish")
    assert any("05-levelling-up.flac" in " ".join(r) for r in runs)
    # a description edit: the show is rebuilt, no recording is decoded or encoded
    body = (show / "episodes/02-impact-bond-model.md").read_text() + "\nOne more line.\n"
    (show / "episodes/02-impact-bond-model.md").write_text(body)
    runs, err = traced(show, "publish")
    assert runs == [], runs
    assert "uploaded" in err
    # a trim on one episode: that recording is mastered again, nothing else is read
    edit(show, FLAC_EPISODE, "guid = ", 'trim = { start = "00:00:02", end = 20 }\nguid = ')
    runs, _ = traced(show, "publish")
    assert runs and all(
        "05-levelling-up.flac" in " ".join(r) or any("/.tmp-" in a for a in r) for r in runs
    ), runs
    url = next(u for t, u in feed_enclosures(show).items() if t.startswith("How can central"))
    assert abs(meter.duration(published(show, url)) - 18.0) <= 0.1
    xml = (show / "public" / "feed.xml").read_text()
    assert "<itunes:duration>18</itunes:duration>" in xml


def test_a_trim_moves_the_chapters_and_checks_they_stay_inside(show: Path) -> None:
    chapters = (
        '\n[[chapters]]\nstart = "00:00:00"\ntitle = "Room noise"\n'
        '\n[[chapters]]\nstart = "00:00:05"\ntitle = "Welcome"\n'
        '\n[[chapters]]\nstart = "00:00:15"\ntitle = "Questions"\n'
    )
    text = (show / FLAC_EPISODE).read_text()
    head, _, body = text.partition("\n+++\n")
    trim = "trim = { start = 3, end = 25 }\n"
    head = head.replace("guid = ", trim + "guid = ", 1)
    (show / FLAC_EPISODE).write_text(head + chapters + "+++\n" + body)
    run("publish", cwd=show, check=True)
    files = list((show / "public" / "chapters").glob("levelling-up-*.chapters.json"))
    (data,) = [json.loads(f.read_text()) for f in files]
    assert [c["startTime"] for c in data["chapters"]] == [0, 2, 12]
    # a chapter after the trim's end is left out, with a warning naming it
    edit(show, FLAC_EPISODE, 'start = "00:00:15"', 'start = "00:00:26"')
    proc = run("publish", cwd=show, check=True)
    assert "05-levelling-up.md: chapters[2] 'Questions' (00:00:26.000) lies in the part" in (
        proc.stderr
    )
    files = list((show / "public" / "chapters").glob("levelling-up-*.chapters.json"))
    latest = max(files, key=lambda f: f.stat().st_mtime_ns)
    assert [c["startTime"] for c in json.loads(latest.read_text())["chapters"]] == [0, 2]


def test_a_bad_master_is_one_line_and_nothing_is_published(show: Path) -> None:
    run("publish", cwd=show, check=True)
    before = tree_snapshot(show / "public")
    meter.make(show / "recordings" / "floor.mp4", "-map", "0:v", "-c:v", "libx264", video=True)
    edit(show, FLAC_EPISODE, "recordings/05-levelling-up.flac", "recordings/floor.mp4")
    for command in ("publish", "check"):
        proc = run(command, cwd=show)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        errors = [x for x in proc.stderr.splitlines() if x.startswith("error: ")]
        assert errors == [
            "error: episodes/05-levelling-up.md: audio: floor.mp4: no audio stream (a video "
            "without sound); export the recording with its audio"
        ], proc.stderr
    assert tree_snapshot(show / "public") == before


def test_video_with_two_audio_streams_publishes_the_chosen_one(show: Path) -> None:
    meter.make(
        show / "recordings" / "hybrid.mkv",
        "-filter_complex",
        f"{meter.speechlike(4, -30, 300)}[a];{meter.speechlike(4, -30, 3000)}[b]",
        "-map", "0:v", "-map", "[a]", "-map", "[b]", "-c:v", "libx264", "-c:a", "aac",
        video=True,
    )  # fmt: skip
    edit(show, FLAC_EPISODE, "recordings/05-levelling-up.flac", "recordings/hybrid.mkv")
    edit(show, FLAC_EPISODE, "guid = ", "audio_stream = 1\nguid = ")
    run("publish", cwd=show, check=True)
    url = next(u for t, u in feed_enclosures(show).items() if t.startswith("How can central"))
    out = published(show, url)
    assert [s["codec_type"] for s in meter.streams(out) if s["codec_type"] != "video"] == ["audio"]
    assert meter.measure(out, extra_filter="lowpass=f=1000,lowpass=f=1000").integrated < -35
    edit(show, FLAC_EPISODE, "audio_stream = 1", "audio_stream = 2")
    proc = run("publish", cwd=show)
    assert proc.returncode == 1
    assert f"error: {FLAC_EPISODE}: audio_stream: audio_stream = 2 but hybrid.mkv has 2" in (
        proc.stderr
    )


def test_master_settings_are_validated(show: Path) -> None:
    with open(show / "config.toml", "a", encoding="utf-8") as f:
        f.write('\n[master]\nformat = "wav"\nloudness = -40\nchannels = "mono"\nvolume = 1\n')
    edit(show, FLAC_EPISODE, "guid = ", 'trim = { start = "later" }\naudio_stream = -1\nguid = ')
    proc = run("check", cwd=show)
    assert proc.returncode == 1
    errors = [x for x in proc.stderr.splitlines() if x.startswith("error: ")]
    assert any("master.format: must be" in e for e in errors), errors
    assert any("master.loudness: must be a number of LUFS from -30 to -5" in e for e in errors)
    assert any("master.volume: unknown key" in e for e in errors)
    assert not any("master.channels" in e for e in errors)


def test_episode_overrides_and_master_false(show: Path) -> None:
    edit(show, FLAC_EPISODE, "guid = ", 'master = { format = "aac", bitrate = "96k" }\nguid = ')
    run("publish", cwd=show, check=True)
    url = next(u for t, u in feed_enclosures(show).items() if t.startswith("How can central"))
    assert url.endswith(".m4a")
    (stream,) = [s for s in meter.streams(published(show, url)) if s["codec_type"] == "audio"]
    assert stream["codec_name"] == "aac"
    got = meter.measure(published(show, url))
    assert abs(got.integrated + 16) <= 1 and got.true_peak <= -1
    # master = false: the FLAC is left alone, and the feed rules refuse it as they always did
    edit(show, FLAC_EPISODE, 'master = { format = "aac", bitrate = "96k" }', "master = false")
    proc = run("publish", cwd=show)
    assert proc.returncode == 1 and "ENC-03" in proc.stderr
    proc = run("check", cwd=show)
    assert "warning: recordings/05-levelling-up.flac: audio: master = false but loudness" in (
        proc.stderr
    )


def test_import_recordings_attaches_masters_and_videos(show: Path) -> None:
    (show / "episodes" / "README.md").unlink()  # the demo's notes are no episode file
    folder = show / "incoming"
    meter.make(folder / "levelling-up.mkv", "-c:v", "libx264", "-c:a", "flac", video=True)
    proc = run("import", "recordings", str(folder), "--dry-run", cwd=show)
    assert proc.returncode == 0, proc.stderr
    assert "levelling-up.mkv" in proc.stdout + proc.stderr
    assert "0 unmatched files" in proc.stdout + proc.stderr


def test_jobs_option_masters_in_parallel_the_same_bytes(show: Path) -> None:
    for n in (2, 4):
        meter.make(show / "recordings" / f"0{n}-master.wav", "-c:a", "pcm_s24le",
                   source=meter.speechlike(4, -20 - n))  # fmt: skip
        name = "impact-bond-model" if n == 2 else "public-procurement"
        set_audio(show, f"episodes/0{n}-{name}.md", f"recordings/0{n}-master.wav")
    run("publish", "--jobs", "2", cwd=show, check=True)
    one = {p.name: p.read_bytes() for p in (show / ".audiofeed" / "master").glob("*.mp3")}
    shutil.rmtree(show / ".audiofeed")
    shutil.rmtree(show / "public")
    run("publish", "--jobs", "1", cwd=show, check=True)
    two = {p.name: p.read_bytes() for p in (show / ".audiofeed" / "master").glob("*.mp3")}
    assert len(one) == 3 and one == two
    assert os.cpu_count()


def test_the_largest_recordings_are_mastered_first(show: Path) -> None:
    """A long keynote starts first instead of finishing alone at the end of the day."""
    for n, seconds in ((2, 2), (4, 9)):  # in programme order: the short one first
        meter.make(show / "recordings" / f"0{n}-master.wav", "-c:a", "pcm_s24le",
                   source=meter.speechlike(seconds, -24))  # fmt: skip
        name = "impact-bond-model" if n == 2 else "public-procurement"
        set_audio(show, f"episodes/0{n}-{name}.md", f"recordings/0{n}-master.wav")
    runs, _ = traced(show, "publish", "--jobs", "1")
    order = []  # each recording as its first ffmpeg run (its analysis) reads it
    for args in runs:
        given = Path(args[args.index("-i") + 1])
        if given.parent.name == "recordings" and given not in order:
            order.append(given)
    assert len(order) == 6  # the two WAVs, the FLAC master, the MP3 and M4A clips
    sizes = [p.stat().st_size for p in order]
    assert sizes == sorted(sizes, reverse=True)
    assert order[0].name == "04-master.wav"


def test_a_trim_moves_transcript_cues_and_chapters_together(show: Path) -> None:
    ep = "episodes/01-outcomes-measurement.md"
    edit(show, ep, "guid = ", 'trim = { start = "00:00:04.05", end = "00:00:22.5" }\nguid = ')
    run("publish", cwd=show, check=True)
    (vtt,) = (show / "public" / "transcripts").glob("outcomes-measurement-*.vtt")
    timings = re.findall(r"^(\S+) --> (\S+)$", vtt.read_text(), flags=re.M)
    # the first cue (before the cut) is gone, the last (after it) too; the rest moved 4.05 s
    assert timings == [
        ("00:00:00.000", "00:00:03.250"),
        ("00:00:03.570", "00:00:08.450"),
        ("00:00:08.450", "00:00:13.500"),
        ("00:00:13.840", "00:00:18.450"),
    ]
    (chapters,) = (show / "public" / "chapters").glob("outcomes-measurement-*.chapters.json")
    starts = [c["startTime"] for c in json.loads(chapters.read_text())["chapters"]]
    assert starts == [0, 3.57, 13.84]  # the welcome (cut away) gives way to the next
    page = (show / "public" / "episodes" / "outcomes-measurement.html").read_text()
    assert "Social Outcomes Conference 2022, day one, roundtable A." not in page
    assert (show / "recordings" / "01-outcomes-measurement.vtt").read_text().count("-->") == 6


def test_inspect_shows_loudness_of_any_master(show: Path) -> None:
    aiff = meter.make(show / "recordings" / "desk.aiff", "-c:a", "pcm_s24be")
    proc = run("inspect", "--json", "recordings/05-levelling-up.flac", str(aiff), cwd=show)
    assert proc.returncode == 0, proc.stderr
    flac, desk = json.loads(proc.stdout)
    for data, path in ((flac, show / "recordings" / "05-levelling-up.flac"), (desk, aiff)):
        got = meter.measure(path)
        mono = 3.0 if data["channels"] == 1 else 0.0  # dual-mono, as mastering measures
        assert abs(data["loudness"]["integrated"] - (got.integrated + mono)) <= 0.2
        assert abs(data["loudness"]["true_peak"] - got.true_peak) <= 0.3
    text = run("inspect", "recordings/05-levelling-up.flac", cwd=show, check=True).stdout
    assert re.search(r"loudness +-30\.\d LUFS integrated, range \d+\.\d LU, true peak", text)


def test_masters_no_episode_uses_are_dropped_after_a_publish(show: Path) -> None:
    run("publish", cwd=show, check=True)
    folder = show / ".audiofeed" / "master"
    (first,) = folder.glob("*.mp3")
    edit(show, FLAC_EPISODE, "guid = ", "trim = { end = 20 }\nguid = ")
    run("publish", cwd=show, check=True)
    (second,) = folder.glob("*.mp3")
    assert second != first and not first.exists()
    assert len([p for p in folder.glob("*.json") if not p.name.startswith("measure-")]) == 6


def test_sigkill_mid_encode_leaves_nothing_a_later_run_trusts(show: Path) -> None:
    import signal
    import subprocess
    import time

    meter.make(show / "recordings" / "long.wav", "-ac", "2", "-c:a", "pcm_s24le",
               source=meter.speechlike(240, -30))  # fmt: skip
    set_audio(show, FLAC_EPISODE, "recordings/long.wav")
    trace = show / "trace.jsonl"
    env = {**os.environ, ffmpeg.TRACE_ENV: str(trace)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "audiofeed", "publish", "--jobs", "1"],
        cwd=show,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the encode of long.wav has started
        if trace.exists() and any(
            "libmp3lame" in line and "long.wav" in line for line in trace.read_text().splitlines()
        ):
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the encode never started")
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    folder = show / ".audiofeed" / "master"
    # whatever the kill left (a half temp file, perhaps a renamed file without its facts),
    # every facts file that says "mastered" names a whole file of the size it records
    for facts in folder.glob("*.json"):
        data = json.loads(facts.read_text())
        if data.get("action") == "mastered":
            assert (folder / data["file"]).stat().st_size == data["size"]
    assert not (show / "public").exists()
    done = run("publish", cwd=show, check=True)
    assert "Traceback" not in done.stderr
    assert not list(folder.glob(".tmp-*"))
    url = next(u for t, u in feed_enclosures(show).items() if t.startswith("How can central"))
    got = meter.measure(published(show, url))
    assert abs(got.integrated + 16) <= 1 and got.true_peak <= -1
    assert abs(meter.duration(published(show, url)) - 240) <= 0.1
