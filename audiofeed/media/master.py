"""Mastering one recording: (source, settings) -> (podcast-ready file or None, facts).

:func:`master` is the whole per-recording job, a function of its :class:`Job` alone (no
global state but the files in ``job.cache_dir``), so it can run in a process pool here and
on a cluster later. Steps:

1. **analyse** the source once (cached per source digest, stream and cut): one ffmpeg run
   reads the header (streams, duration), decodes the chosen audio stream and measures it
   with ``ebur128=peak=true`` (integrated loudness, loudness range, true peak; mono is
   measured as dual-mono) and, with ``trim_silence``, ``silencedetect``;
2. **decide**: an MP3 or AAC file Apple accepts, on target within the tolerance, with a
   true peak under the ceiling and nothing to cut, is published as it is (``None``);
3. **predict** what the chain takes off (:func:`_shortfall`): a limiter or a downmix (the
   whole cut filtered and measured, no encode) and the encoder (a minute from the middle
   encoded and measured beside the same minute filtered); the gain is raised by that;
4. **encode** in one pass: cut, downmix/resample, linear ``volume`` gain and, only where
   that gain would push the true peak over the ceiling, a limiter; the result is measured
   again and, if it still missed (lossy coding moves the peaks too), encoded once more with
   the gain corrected.

Outputs are content-addressed by :func:`cache_key` (source sha256 + settings + cut + stream
+ encoder version) and written as temp file + fsync + rename, the facts JSON after the
audio: a file without its facts (a killed encode) is never trusted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import MediaError
from ..show.masterconfig import RECORDING_EXTENSIONS, MasterSettings
from . import ffmpeg
from .probe import FORMATS
from .probe import probe as probe_file

VERSION = 2  # bump when the way recordings are mastered changes: every master is re-made
#: what ``publish`` takes as a recording
INPUT_EXTENSIONS = RECORDING_EXTENSIONS
#: extensions whose MP3/AAC content is published as it is when it is on target
PASS_EXTENSIONS = (".mp3", ".m4a", ".m4b", ".mp4")
SILENCE = "silencedetect=noise=-50dB:duration=2"
KEEP_SILENCE = 0.5  # seconds of the dead air left at each cut end
SILENT = -70.0  # LUFS: ebur128's floor (absolute gate)
MAX_RATE = 48000  # "keep" above this resamples (MP3 cannot carry 96 kHz)
ATTEMPTS = 4  # encodes at most: the first, then corrections of gain and limit
HEADROOM = 0.3  # dB kept under the ceiling when deciding on a limiter (lossy overshoot)
EXCERPT = 60.0  # seconds from the middle encoded to learn what the encoder takes off


@dataclass(frozen=True)
class Job:
    """One recording to master. ``where``: the episode file named in errors."""

    source: Path
    sha256: str
    settings: MasterSettings
    cache_dir: Path
    stream: int = 0
    start: float | None = None  # trim: seconds of the source
    end: float | None = None
    where: Path | None = None


def cache_key(job: Job) -> str:
    """What makes a master: source bytes, settings, stream, cut and the encoder."""
    blob = json.dumps(
        {
            "v": VERSION,
            "source": job.sha256,
            "settings": dataclasses.asdict(job.settings),
            "stream": job.stream,
            "cut": [job.start, job.end],
            "encoder": ffmpeg.version(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def cached(job: Job, *, facts_only: bool = False) -> tuple[Path | None, dict[str, Any]] | None:
    """The result of an earlier run of the same job, if its files are whole; no ffmpeg.
    With ``facts_only``, also a master kept as facts alone (a cluster worker published its
    tagged copy: :func:`store`); its path is then not a file here."""
    return _trusted(job.cache_dir, cache_key(job), facts_only=facts_only)


def master(job: Job) -> tuple[Path | None, dict[str, Any]]:
    """(the mastered file, or None to publish the source as it is; facts about both)."""
    key = cache_key(job)
    if (hit := _trusted(job.cache_dir, key)) is not None:
        return hit
    job.cache_dir.mkdir(parents=True, exist_ok=True)
    m = analyse(job)
    s = job.settings
    facts: dict[str, Any] = {"key": key, "source": job.source.name, "input": m}
    why = _why_master(job, m)
    if why is None:
        facts["action"] = "pass"
        _write_json(job.cache_dir / f"{key}.json", facts)
        return None, facts
    start = job.start or 0.0
    end = job.end
    if s.trim_silence:
        start, end = start + m["lead"], m["tail"] if m["tail"] is not None else end
    out = job.cache_dir / f"{key[:24]}{s.extension}"
    tmp = job.cache_dir / f".tmp-{key[:24]}-{os.getpid()}{s.extension}"
    gain = s.loudness - m["integrated"]
    limit = _limit(s, m, gain)
    try:
        raised = gain + _shortfall(job, tmp, m, start, end, gain, limit)
        if limit is None and (limit := _limit(s, m, raised)) is not None:
            raised = gain + _shortfall(job, tmp, m, start, end, gain, limit)  # with it
        gain = raised
        for attempt in range(ATTEMPTS):
            _encode(job, tmp, start, end, gain, limit)
            result = loudness(tmp, where=job.source)
            off = s.loudness - result["integrated"]
            over = result["true_peak"] - s.true_peak
            if (abs(off) <= min(0.5, s.tolerance / 2) and over <= 0) or attempt == ATTEMPTS - 1:
                break
            gain += off
            if over > 0:  # lossy coding or the gain correction overshot: limit lower
                limit = (limit if limit is not None else s.true_peak) - over - 0.3
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        size = tmp.stat().st_size
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    facts.update(
        action="mastered",
        why=why,
        gain_db=round(gain, 2),
        limiter=limit is not None,
        cut=[round(start, 3), round(end, 3) if end is not None else None],
        output=result,
        file=out.name,
        size=size,
        format=s.format,
        encoder=ffmpeg.version(),
    )
    _write_json(job.cache_dir / f"{key}.json", facts)
    return out, facts


def store(
    cache_dir: Path, facts: dict[str, Any], data: bytes | None
) -> tuple[Path | None, dict[str, Any]]:
    """Keep a result another machine made (a cluster worker) as if it had been made here:
    the master's bytes under its content-addressed name, then its facts (each atomic).
    ``data`` None for a master: its facts alone (with the worker's ``probe`` of it), for a
    master whose tagged copy the worker published; :func:`master` makes it again here
    when its bytes are needed."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    out = None
    if facts.get("action") == "mastered" and data is None:
        assert "probe" in facts
        out = cache_dir / str(facts["file"])
        out.unlink(missing_ok=True)  # not this master (made by a killed run)
    elif facts.get("action") == "mastered":
        assert data is not None and len(data) == facts["size"]
        out = cache_dir / str(facts["file"])
        tmp = cache_dir / f".tmp-{out.name}-{os.getpid()}"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
    _write_json(cache_dir / f"{facts['key']}.json", facts)
    return out, facts


def decide(job: Job) -> tuple[str | None, dict[str, Any]]:
    """Why the recording would be mastered (None: published as it is), and its analysis."""
    if (hit := _trusted(job.cache_dir, cache_key(job), facts_only=True)) is not None:
        return hit[1].get("why"), hit[1]["input"]
    job.cache_dir.mkdir(parents=True, exist_ok=True)
    m = analyse(job)
    return _why_master(job, m), m


def off_target(settings: MasterSettings, m: dict[str, Any]) -> str | None:
    """What is wrong with a measured recording's level, for Apple's targets, or None."""
    s = settings
    if abs(m["integrated"] - s.loudness) > s.tolerance:
        return f"loudness {m['integrated']:.1f} LUFS is off the {s.loudness:g} LUFS target"
    if m["true_peak"] > s.true_peak:
        return f"true peak {m['true_peak']:.1f} dBTP is over the {s.true_peak:g} dBTP ceiling"
    return None


def _why_master(job: Job, m: dict[str, Any]) -> str | None:
    """Why the source cannot be published as it is, or None."""
    s = job.settings
    if s.force:
        return "the episode asks for it (master = true or a master table)"
    if job.start or job.end or s.trim_silence:
        return "it is trimmed"
    ext = job.source.suffix.lower()
    if ext not in PASS_EXTENSIONS or m["codec"] not in ("mp3", "aac") or m["video"]:
        return f"{m['codec']} in {ext} is not a podcast format Apple accepts (MP3 or AAC)"
    if m["audio_streams"] > 1 or job.stream:
        return "it has several audio streams"
    return off_target(s, m)


def analyse(job: Job) -> dict[str, Any]:
    """Loudness, true peak, streams and (with trim_silence) the dead air at both ends of the
    source's chosen stream, within the trim; cached per source digest."""
    spec = [job.sha256, job.stream, job.start, job.end, job.settings.trim_silence, VERSION]
    name = hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:24]
    path = job.cache_dir / f"measure-{name}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    if job.source.suffix.lower() in FORMATS:  # mutagen's checks first (truncation …)
        try:
            probe_file(job.source)
        except MediaError as exc:
            raise MediaError(exc.message, path=exc.path, field=exc.field or "audio") from None
    try:
        m = loudness(
            job.source,
            stream=job.stream,
            start=job.start,
            end=job.end,
            silence=job.settings.trim_silence,
        )
    except MediaError as exc:
        if exc.field == "audio_stream" and job.where is not None:
            raise MediaError(exc.message, path=job.where, field="audio_stream") from None
        raise
    if m["integrated"] <= SILENT:
        raise MediaError(
            f"no sound (below {SILENT:g} LUFS); is it the right recording (or audio_stream)?",
            path=job.source,
            field="audio",
        )
    job.cache_dir.mkdir(parents=True, exist_ok=True)
    _write_json(path, m)
    return m


def loudness(
    path: Path,
    *,
    stream: int = 0,
    start: float | None = None,
    end: float | None = None,
    silence: bool = False,
    where: Path | None = None,
    field: str = "audio",
) -> dict[str, Any]:
    """Measure one audio stream of ``path`` (one ffmpeg run): integrated loudness (LUFS),
    loudness range (LU), true peak (dBTP), decoded duration, the header's facts and, with
    ``silence``, where the dead air at the start ends (``lead``) and at the end begins
    (``tail``), relative to ``start``."""
    where = where or path
    if not path.is_file():
        raise MediaError("file not found", path=where, field=field)
    if path.stat().st_size == 0:
        raise MediaError("file is empty (0 bytes); export it again", path=where, field=field)
    cut = _cut(start, end)
    chain = "aformat=channel_layouts=mono|stereo,"
    chain += (SILENCE + ",") if silence else ""
    chain += "ebur128=peak=true:framelog=verbose:dualmono=true"
    args = [*ffmpeg.QUIET, "-v", "info", *cut, "-i", str(path), "-map", f"0:a:{stream}"]
    args += ["-vn", "-sn", "-dn", "-af", chain, "-f", "null", "-"]
    proc = ffmpeg.run(args, path=where, doing="read", check=False)
    info = ffmpeg.parse_input(proc.stderr)
    if proc.returncode != 0 or info is None:
        raise _unreadable(where, field, proc.stderr, info, stream)
    found = _summary(proc.stderr)
    decoded = ffmpeg.decoded_seconds(proc.stderr) or 0.0
    expected = info.duration
    if (
        expected
        and start is None
        and end is None
        and decoded < expected - max(1.0, 0.02 * expected)
    ):
        raise MediaError(
            f"truncated: {decoded:.1f} s of audio where the header says "
            f"{expected:.1f} s; copy or export it again",
            path=where,
            field=field,
        )
    if found is None or decoded <= 0.05:
        raise MediaError("no audio could be decoded; is the file complete?", path=where,
                         field=field)  # fmt: skip
    a = info.audio[stream]
    out = {
        **found,
        "duration": round(decoded, 3),
        "codec": a.codec.split()[0].split(",")[0],
        "sample_rate": a.sample_rate,
        "channels": a.channels,
        "audio_streams": len(info.audio),
        "video": info.has_video,
        "container": info.container,
    }
    if silence:
        out["lead"], out["tail"] = _dead_air(proc.stderr, decoded, start or 0.0)
    return out


def _cut(start: float | None, end: float | None) -> list[str]:
    args = []
    if start:
        args += ["-ss", f"{start:.3f}"]
    if end is not None:
        args += ["-to", f"{end:.3f}"]
    return args


def _summary(stderr: str, *, peak: bool = True) -> dict[str, float] | None:
    """ebur128's summary: I, LRA and (``peak``) the true peak."""
    at = stderr.rfind("Summary:")
    if at < 0:
        return None
    text = stderr[at:]
    values = {}
    labels = (("integrated", "I"), ("lra", "LRA"), ("true_peak", "Peak"))
    for name, label in labels if peak else labels[:2]:
        m = re.search(rf"^\s+{label}:\s+(-?inf|-?[\d.]+)", text, re.M)
        if not m:
            return None
        values[name] = max(float(m[1]), -120.0) if "inf" not in m[1] else -120.0
    return values


def _dead_air(stderr: str, duration: float, offset: float) -> tuple[float, float | None]:
    """Seconds to cut at the start, and where the end's dead air begins (source time)."""
    starts = [float(x) for x in re.findall(r"silence_start: (-?[\d.]+)", stderr)]
    ends = [float(x) for x in re.findall(r"silence_end: ([\d.]+)", stderr)]
    lead, tail = 0.0, None
    if starts and starts[0] <= 0.05 and ends:
        lead = max(0.0, ends[0] - KEEP_SILENCE)
    if starts and (len(ends) < len(starts) or ends[-1] >= duration - 0.05):
        begin = starts[-1]
        if begin > lead + 1.0:
            tail = offset + begin + KEEP_SILENCE
    return round(lead, 3), round(tail, 3) if tail is not None else None


def _unreadable(
    where: Path, field: str, stderr: str, info: ffmpeg.InputInfo | None, stream: int
) -> MediaError:
    if info is not None and not info.audio:
        what = "video without sound" if info.has_video else "file without an audio stream"
        message = f"no audio stream (a {what}); export the recording with its audio"
    elif info is not None and stream >= len(info.audio):
        message = (
            f"audio_stream = {stream} but {where.name} has {len(info.audio)} audio "
            "stream(s), numbered from 0"
        )
        field = "audio_stream"
    else:
        message = (
            f"cannot read audio ({ffmpeg.reason(stderr)}); is the file complete and really "
            "a recording?"
        )
    return MediaError(message, path=where, field=field)


def _limit(s: MasterSettings, m: dict[str, Any], gain: float) -> float | None:
    """The limiter's ceiling (dBTP) when ``gain`` would push the true peak near or over
    the ceiling, else None (no limiter)."""
    return s.true_peak - 1.0 if m["true_peak"] + gain > s.true_peak - HEADROOM else None


def _shortfall(
    job: Job,
    tmp: Path,
    m: dict[str, Any],
    start: float,
    end: float | None,
    gain: float,
    limit: float | None,
) -> float:
    """How far (dB) the first encode would land under the target, so that it is usually the
    only one: what the limiter or a downmix takes (the whole cut filtered and measured, no
    encode) plus what the encoder takes (a minute from the middle encoded and measured
    beside the same minute filtered). 0.0 where an excerpt is too short or too quiet to tell;
    the encodes that follow still measure and correct."""
    s = job.settings
    last = end if end is not None else (job.start or 0.0) + m["duration"]
    middle = (start + last) / 2
    a, b = max(start, middle - EXCERPT / 2), min(last, middle + EXCERPT / 2)
    if b - a < 5.0:
        return 0.0
    changed = limit is not None or s.channels == "mono" or m.get("channels", 2) > 2
    try:  # a failure here is left to the encode, which names it as ever
        whole = _filtered(job, start, end, gain, limit) if changed else m["integrated"] + gain
        _encode(job, tmp, a, b, gain, limit)
        coded = loudness(tmp, where=job.source)["integrated"]
        plain = _filtered(job, a, b, gain, limit)
    except MediaError:
        return 0.0
    if min(whole, coded, plain) <= SILENT + 20:
        return 0.0
    return (s.loudness - whole) + (plain - coded)


def _filtered(job: Job, start: float, end: float | None, gain: float, limit: float | None) -> float:
    """Integrated loudness (LUFS) of the cut as the encoder would be given it, measured as
    :func:`loudness` measures (mono as dual-mono), without the true peak."""
    chain = _chain(job, gain, limit) + ",ebur128=framelog=verbose:dualmono=true"
    args = [*ffmpeg.QUIET, "-v", "info", *_cut(start, end), "-i", str(job.source)]
    args += ["-map", f"0:a:{job.stream}", "-vn", "-sn", "-dn", "-af", chain, "-f", "null", "-"]
    proc = ffmpeg.run(args, path=job.source, doing="measure the recording")
    found = _summary(proc.stderr, peak=False)
    if found is None:
        raise MediaError("no loudness could be measured", path=job.source, field="audio")
    return found["integrated"]


def _chain(job: Job, gain: float, limit: float | None) -> str:
    """The filters between the decoder and the encoder: layout, rate, gain, limiter."""
    s = job.settings
    rate = s.sample_rate
    chain = ["aformat=channel_layouts=mono" if s.channels == "mono" else
             "aformat=channel_layouts=mono|stereo"]  # fmt: skip
    if rate or _rate_over(job):
        chain.append(f"aresample={rate or MAX_RATE}")
    chain.append(f"volume={gain:.2f}dB")
    if limit is not None:
        chain.append(
            f"alimiter=limit={10 ** (limit / 20):.4f}:attack=5:release=100:level=false:latency=true"
        )
    return ",".join(chain)


def _encode(
    job: Job, tmp: Path, start: float, end: float | None, gain: float, limit: float | None
) -> None:
    s = job.settings
    args = [*ffmpeg.QUIET, "-v", "error", "-y", *_cut(start, end), "-i", str(job.source)]
    args += ["-map", f"0:a:{job.stream}", "-vn", "-sn", "-dn", "-map_metadata", "-1"]
    args += ["-map_chapters", "-1", "-af", _chain(job, gain, limit), *ffmpeg.BITEXACT]
    args += ["-threads", "1"]
    if s.format == "aac":
        args += ["-c:a", "aac", "-b:a", f"{s.bitrate}k", "-f", "ipod", "-movflags", "+faststart"]
    else:
        args += ["-c:a", "libmp3lame", "-b:a", f"{s.bitrate}k", "-f", "mp3"]
        args += ["-id3v2_version", "0", "-write_id3v1", "0"]
    ffmpeg.run([*args, str(tmp)], path=job.source, doing="master the recording")


def _rate_over(job: Job) -> bool:
    m = analyse(job)
    return bool(m.get("sample_rate") and m["sample_rate"] > MAX_RATE)


def _trusted(
    folder: Path, key: str, *, facts_only: bool = False
) -> tuple[Path | None, dict[str, Any]] | None:
    try:
        facts = json.loads((folder / f"{key}.json").read_text())
    except (OSError, ValueError):
        return None
    if facts.get("action") == "pass":
        return None, facts
    out = folder / str(facts.get("file", ""))
    try:
        if out.is_file() and out.stat().st_size == facts.get("size"):
            return out, facts
    except OSError:
        pass
    published = facts.get("action") == "mastered" and isinstance(facts.get("probe"), dict)
    if facts_only and published and not out.exists():
        return out, facts
    return None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".tmp-{path.name}-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
