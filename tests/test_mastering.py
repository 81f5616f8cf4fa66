"""The per-recording mastering function: every kind of master in, a podcast-ready file out,
measured with an independent meter (the system ffmpeg, tests/support/meter.py)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from audiofeed.errors import MediaError
from audiofeed.media import ffmpeg
from audiofeed.media import master as m
from audiofeed.show.masterconfig import MasterSettings
from tests.support import meter

TARGET, CEILING = -16.0, -1.0

#: name -> (file name, ffmpeg arguments, with a video stream)
MASTERS = {
    "wav 16-bit 44.1 kHz": ("a.wav", ["-ar", "44100", "-c:a", "pcm_s16le"], False),
    "wav 24-bit 48 kHz stereo": ("a.wav", ["-ac", "2", "-c:a", "pcm_s24le"], False),
    "wav 32-bit 96 kHz": ("a.wav", ["-ar", "96000", "-c:a", "pcm_s32le"], False),
    "wav 32-bit float": ("a.wav", ["-c:a", "pcm_f32le"], False),
    "aiff": ("a.aiff", ["-c:a", "pcm_s24be"], False),
    "flac": ("a.flac", ["-ac", "2", "-c:a", "flac"], False),
    "ogg opus": ("a.opus", ["-c:a", "libopus", "-b:a", "48k"], False),
    "ogg vorbis": ("a.ogg", ["-c:a", "libvorbis"], False),
    "m4a aac": ("a.m4a", ["-c:a", "aac", "-b:a", "96k"], False),
    "mp3": ("a.mp3", ["-c:a", "libmp3lame", "-b:a", "128k"], False),
    "mp4 video": ("a.mp4", ["-c:v", "libx264", "-c:a", "aac"], True),
    "mov video": ("a.mov", ["-c:v", "libx264", "-c:a", "pcm_s16le"], True),
    "mkv video": ("a.mkv", ["-c:v", "libx264", "-c:a", "flac"], True),
    "webm video": ("a.webm", ["-c:v", "libvpx", "-c:a", "libopus"], True),
}


def job(path: Path, tmp: Path, **settings) -> m.Job:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return m.Job(path, sha, MasterSettings(**settings), tmp / "cache")


def check_on_target(out: Path, seconds: float | None, *, target: float = TARGET) -> None:
    """On target by the independent meter; a mono file reads 3 dB lower on it (plain
    BS.1770), as audiofeed masters mono to be heard at the target on two speakers."""
    if meter.streams(out)[0]["channels"] == 1:
        target -= 3.0
    got = meter.measure(out)
    assert abs(got.integrated - target) <= 1.0, got
    assert got.true_peak <= CEILING, got
    if seconds is not None:
        assert abs(meter.duration(out) - seconds) <= 0.1


@pytest.mark.parametrize("kind", MASTERS)
def test_every_master_kind_comes_out_as_a_podcast_mp3_on_target(tmp_path: Path, kind: str) -> None:
    name, args, video = MASTERS[kind]
    src = meter.make(tmp_path / name, *args, video=video)
    before = src.read_bytes()
    out, facts = m.master(job(src, tmp_path))
    assert out is not None and out.suffix == ".mp3" and facts["action"] == "mastered"
    (stream,) = meter.streams(out)  # the video is dropped
    assert stream["codec_name"] == "mp3" and stream["sample_rate"] == "44100"
    assert stream["bit_rate"] == "128000"
    check_on_target(out, 4.0)
    assert src.read_bytes() == before


def test_aac_in_m4a_out(tmp_path: Path) -> None:
    src = meter.make(tmp_path / "a.wav", "-c:a", "pcm_s24le")
    out, _ = m.master(job(src, tmp_path, format="aac", bitrate=96))
    assert out is not None and out.suffix == ".m4a"
    (stream,) = meter.streams(out)
    assert stream["codec_name"] == "aac"
    check_on_target(out, 4.0)


def test_mono_is_mastered_as_dual_mono_so_it_reads_three_db_lower(tmp_path: Path) -> None:
    src = meter.make(tmp_path / "a.wav", "-ac", "2", "-c:a", "pcm_s16le")
    out, facts = m.master(job(src, tmp_path, channels="mono", bitrate=64))
    assert out is not None and meter.streams(out)[0]["channels"] == 1
    check_on_target(out, 4.0)  # -19 LUFS plain BS.1770
    assert abs(facts["output"]["integrated"] - TARGET) <= 0.5


def test_a_peaky_quiet_master_gets_a_limiter_and_keeps_its_ceiling(tmp_path: Path) -> None:
    # quiet speech with loud clicks: linear gain to -16 LUFS would put the peaks over 0 dBFS
    clicks = "aevalsrc='0.5*lt(mod(t\\,1)\\,0.001)':s=48000:d=4"
    source = f"{meter.speechlike(4, -5)}[a];{clicks}[b];[a][b]amix=inputs=2:normalize=0"
    src = meter.make(tmp_path / "a.wav", "-filter_complex", source, "-c:a", "pcm_s24le")
    before = meter.measure(src)
    assert before.true_peak + (TARGET - before.integrated) > 0  # gain alone would clip
    out, facts = m.master(job(src, tmp_path))
    assert facts["limiter"] is True
    check_on_target(out, 4.0)


def test_a_limited_master_is_encoded_once_and_lands_on_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the limiter and the encoder take off is measured first (the whole cut filtered,
    a minute from the middle encoded), so the one full encode lands on target."""
    clicks = "aevalsrc='0.5*lt(mod(t\\,1)\\,0.001)':s=48000:d=90"
    source = f"{meter.speechlike(90, -5)}[a];{clicks}[b];[a][b]amix=inputs=2:normalize=0"
    src = meter.make(tmp_path / "a.wav", "-filter_complex", source, "-ac", "2",
                     "-c:a", "pcm_s24le")  # fmt: skip
    trace = tmp_path / "trace.jsonl"
    monkeypatch.setenv(ffmpeg.TRACE_ENV, str(trace))
    out, facts = m.master(job(src, tmp_path))
    assert facts["limiter"] is True
    encodes = [r for r in map(json.loads, trace.read_text().splitlines()) if "-c:a" in r]
    excerpts = [r for r in encodes if "-ss" in r]
    assert len(encodes) == 2 and len(excerpts) == 1  # the minute, then the whole once
    cut = excerpts[0]
    assert cut[cut.index("-ss") + 1] == "15.000" and cut[cut.index("-to") + 1] == "75.000"
    got = meter.measure(out)  # the independent meter: closer than the 1 LU tolerance
    assert abs(got.integrated - TARGET) <= 0.5, got
    assert got.true_peak <= CEILING, got


def test_an_mp3_on_target_is_passed_through_and_an_off_target_one_is_not(tmp_path: Path) -> None:
    loud = meter.make(tmp_path / "on.mp3", "-c:a", "libmp3lame", "-b:a", "128k",
                      source=meter.speechlike(4, 6.5))  # fmt: skip
    assert abs(meter.measure(loud).integrated - (TARGET - 3)) <= 1.0  # mono: see above
    out, facts = m.master(job(loud, tmp_path))
    assert out is None and facts["action"] == "pass"
    forced, _ = m.master(job(loud, tmp_path, force=True))
    assert forced is not None
    quiet = meter.make(tmp_path / "off.mp3", "-c:a", "libmp3lame", "-b:a", "128k")
    out, facts = m.master(job(quiet, tmp_path))
    assert out is not None and "off the -16 LUFS target" in facts["why"]


def test_the_same_job_twice_runs_ffmpeg_once_and_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = meter.make(tmp_path / "a.flac", "-c:a", "flac")
    trace = tmp_path / "trace.jsonl"
    monkeypatch.setenv(ffmpeg.TRACE_ENV, str(trace))
    j = job(src, tmp_path)
    out, facts = m.master(j)
    runs = len(trace.read_text().splitlines())
    assert runs >= 3  # analyse, encode, measure the result
    again, facts2 = m.master(j)
    assert (again, facts2) == (out, facts)
    assert len(trace.read_text().splitlines()) == runs  # answered from the cache
    # another machine (another cache folder): the same bytes
    other, _ = m.master(m.Job(src, j.sha256, MasterSettings(), tmp_path / "elsewhere"))
    assert other.read_bytes() == out.read_bytes()


def test_a_killed_encode_is_never_trusted(tmp_path: Path) -> None:
    src = meter.make(tmp_path / "a.wav", "-c:a", "pcm_s16le")
    j = job(src, tmp_path)
    out, facts = m.master(j)
    # what a SIGKILL leaves: the audio renamed but its facts never written, or half a file
    (j.cache_dir / f"{facts['key']}.json").unlink()
    out.write_bytes(out.read_bytes()[:1000])
    assert m.cached(j) is None
    out2, _ = m.master(j)
    check_on_target(out2, 4.0)
    # a whole file whose facts say another size is not trusted either
    facts_file = j.cache_dir / f"{facts['key']}.json"
    data = json.loads(facts_file.read_text())
    data["size"] += 1
    facts_file.write_text(json.dumps(data))
    assert m.cached(j) is None


def test_trim_and_trim_silence_cut_only_the_ends(tmp_path: Path) -> None:
    # 3 s of near silence, 6 s of sound with a 2.5 s pause in the middle, 4 s of silence
    src = meter.make(
        tmp_path / "a.wav",
        "-c:a",
        "pcm_s16le",
        source=(
            "anoisesrc=a=0.0005:d=3:r=48000[s0];"
            f"{meter.speechlike(3, -25)}[a];anoisesrc=a=0.0005:d=2.5:r=48000[s1];"
            f"{meter.speechlike(3, -25)}[b];anoisesrc=a=0.0005:d=4:r=48000[s2];"
            "[s0][a][s1][b][s2]concat=n=5:v=0:a=1"
        ),
    )
    out, facts = m.master(job(src, tmp_path, trim_silence=True))
    # the dead air goes at the ends (0.5 s of it kept each side), the pause inside stays
    assert abs(meter.duration(out) - (3 + 2.5 + 3 + 1.0)) <= 0.3, facts["cut"]
    assert abs(facts["cut"][0] - 2.5) <= 0.2
    check_on_target(out, None)
    cut, facts = m.master(m.Job(src, job(src, tmp_path).sha256, MasterSettings(),
                                tmp_path / "cache", start=1.0, end=7.5))  # fmt: skip
    assert abs(meter.duration(cut) - 6.5) <= 0.1 and facts["cut"] == [1.0, 7.5]


def test_the_chosen_audio_stream_is_mastered(tmp_path: Path) -> None:
    # floor (300 Hz) and interpretation (3 kHz) in one MKV
    src = tmp_path / "two.mkv"
    meter.make(
        src,
        "-filter_complex",
        f"{meter.speechlike(4, -30, 300)}[a];{meter.speechlike(4, -30, 3000)}[b]",
        "-map", "[a]", "-map", "[b]", "-c:a", "flac",
    )  # fmt: skip
    first, _ = m.master(job(src, tmp_path))
    second, _ = m.master(m.Job(src, job(src, tmp_path).sha256, MasterSettings(),
                               tmp_path / "cache", stream=1))  # fmt: skip
    lowpass = "lowpass=f=1000,lowpass=f=1000"
    assert meter.measure(first, extra_filter=lowpass).integrated > -20
    assert meter.measure(second, extra_filter=lowpass).integrated < -35
    with pytest.raises(MediaError) as err:
        m.master(m.Job(src, "x" * 64, MasterSettings(), tmp_path / "cache", stream=2))
    assert err.value.field == "audio_stream" and "2 audio stream(s)" in err.value.message


BAD = {
    "video without audio": ("v.mp4", "no audio stream (a video without sound)"),
    "empty": ("e.wav", "file is empty (0 bytes)"),
    "truncated wav": ("t.wav", "truncated"),
    "truncated mkv": ("t.mkv", "truncated"),
    "text named .mkv": ("x.mkv", "cannot read audio"),
    "silence": ("s.flac", "no sound"),
}


def make_bad(tmp: Path, kind: str) -> Path:
    name, _ = BAD[kind]
    path = tmp / name
    if kind == "video without audio":
        meter.make(path, "-map", "0:v", "-c:v", "libx264", video=True)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind.startswith("truncated"):
        codec = ["-c:a", "pcm_s16le"] if path.suffix == ".wav" else ["-c:a", "flac"]
        meter.make(path, *codec, source=meter.speechlike(20, -20))
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "silence":
        meter.make(path, "-c:a", "flac", source="anullsrc=r=48000:cl=mono:d=3")
    else:
        path.write_text("not a recording at all\n" * 100)
    return path


@pytest.mark.parametrize("kind", BAD)
def test_bad_masters_are_refused_naming_the_file(tmp_path: Path, kind: str) -> None:
    path = make_bad(tmp_path, kind)
    with pytest.raises(MediaError) as err:
        m.master(job(path, tmp_path))
    assert err.value.path == path and err.value.field == "audio"
    assert BAD[kind][1] in err.value.message
    assert "\n" not in err.value.message
    leftovers = list((tmp_path / "cache").glob("*")) if (tmp_path / "cache").is_dir() else []
    assert not [p for p in leftovers if p.suffix in (".mp3", ".m4a")]


def test_the_bundled_ffmpeg_is_used_and_another_can_be_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ffmpeg.executable.cache_clear()
    ffmpeg.version.cache_clear()
    try:
        exe = ffmpeg.executable()
        assert "imageio_ffmpeg" in exe and os.access(exe, os.X_OK)
        assert "v9." in ffmpeg.version()
        monkeypatch.setenv(ffmpeg.ENV, meter.system("ffmpeg"))
        ffmpeg.executable.cache_clear()
        ffmpeg.version.cache_clear()
        assert ffmpeg.executable() == meter.system("ffmpeg")
        assert ffmpeg.version().startswith("ffmpeg version")
    finally:
        monkeypatch.delenv(ffmpeg.ENV, raising=False)
        ffmpeg.executable.cache_clear()
        ffmpeg.version.cache_clear()
