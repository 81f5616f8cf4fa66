"""The mastering stage of a publish: every episode's recording -> the file that is tagged and
published (the recording itself, or its master in ``.audiofeed/master/``).

The per-recording work is :func:`audiofeed.media.master.master`, a function of one
``Job``; this module decides the jobs, answers the unchanged ones from the cache without
running ffmpeg, runs the rest over a process pool (``publish --jobs N``, default: the
cores) or a Dask cluster (clusterrun.py; for an S3 destination its workers also tag and
upload, upload.py) and shifts each episode's chapters with the cut. docs/mastering.md and
docs/cluster.md have the details.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..errors import MediaError, Problem
from ..show.catalog import Catalog, Episode
from ..show.config import Config
from . import executor, sources
from .state import ProbeCache

log = logging.getLogger("audiofeed")
MASTER_DIR = Path(".audiofeed") / "master"


class MasterProgress(Protocol):
    """What a display is told while recordings are mastered."""

    def master_start(self, files: list[tuple[str, int]]) -> None: ...
    def master_done(
        self, name: str, size: int, facts: dict[str, Any] | None, worker: str | None = None
    ) -> None: ...
    def master_finish(self) -> None: ...


class Uploads(Protocol):
    """Cluster workers that publish what they master (an S3 destination; upload.py)."""

    def upload(self, episode: Episode) -> Any:
        """What a worker needs to tag and upload the episode's master (None: send it back)."""
        ...

    def settled(self, episode: Episode, mastered: Mastered) -> bool:
        """Whether the tagged copy of a master known by its facts alone is published."""
        ...


@dataclass(frozen=True)
class Mastered:
    """What an episode publishes: ``audio`` (tag a copy of it), the mastering facts (None
    when ``master = false``) and how many seconds of the recording were cut at its start.
    ``uploaded``: the media record of the tagged copy a cluster worker uploaded (then
    ``audio`` is not on this machine: its facts have its ``probe``)."""

    audio: Path
    facts: dict[str, Any] | None = None
    offset: float = 0.0
    uploaded: Any = None  # state.MediaRecord

    @property
    def probe(self) -> dict[str, Any] | None:
        """The master's sha256, duration and type when a worker measured it (upload.py)."""
        return (self.facts or {}).get("probe")

    @property
    def mastered(self) -> bool:
        return bool(self.facts and self.facts.get("action") == "mastered")

    @property
    def trimmed(self) -> bool:
        """Cut at the start or the end (chapters and transcript cues move with it)."""
        cut = (self.facts or {}).get("cut") or [0.0, None]
        return bool(cut[0]) or cut[1] is not None


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def job_for(config: Config, episode: Episode, sha256: str) -> Any:
    """The mastering job of an episode's recording."""
    from ..media.master import Job

    assert episode.audio is not None
    start, end = episode.trim
    return Job(
        source=episode.audio,
        sha256=sha256,
        settings=episode.master,
        cache_dir=config.root / MASTER_DIR,
        stream=episode.audio_stream,
        start=start,
        end=end,
        where=episode.path,
    )


def prepare(
    config: Config,
    catalog: Catalog,
    *,
    jobs: int | None = None,
    progress: MasterProgress | None = None,
    uploads: Uploads | None = None,
) -> tuple[dict[Path, Mastered], list[Problem]]:
    """Master what needs it; episode file -> what it publishes, and the problems found.
    With ``uploads`` (an S3 destination) a master known by its facts alone (a cluster
    worker published its tagged copy: ``.audiofeed/master/KEY.json``, no audio) is enough
    while that copy is published, and on a cluster the workers tag and upload too;
    otherwise every master must be here (made again, locally or on the cluster)."""
    from ..media import master as master_mod
    from ..media import sha256_file

    folder = config.root / MASTER_DIR
    _clean_temp(folder)
    hashes = ProbeCache(config.root / ".audiofeed" / "sources.json")
    index = sources.Index(config.root)  # s3:// recordings (sources.py)
    endpoint = source_endpoint(config)
    cluster = config.cluster.address
    out: dict[Path, Mastered] = {}
    problems: list[Problem] = []
    todo: list[tuple[Episode, Any]] = []
    for episode in catalog.episodes:
        source = episode.audio
        if source is None:
            continue
        url = episode.audio_url
        if not episode.master.enabled:
            try:
                if url:  # published as it is: the coordinator needs the bytes
                    sources.ensure_local(url, source, endpoint, index, episode.path)
                out[episode.path] = Mastered(source)
            except MediaError as exc:
                problems.append(Problem(exc.path, exc.field or "audio", exc.message))
            continue
        if source.suffix.lower() not in master_mod.INPUT_EXTENSIONS:
            kinds = ", ".join(master_mod.INPUT_EXTENSIONS)
            problems.append(
                Problem(episode.path, "audio", f"{source.name}: not a recording type ({kinds})")
            )
            continue
        try:
            if url and cluster:  # the workers read it; its sha256 without reading it
                sha = index.sha256(url, sources.look(url, endpoint, episode.path)) or ""
            elif url:
                sha = sources.ensure_local(url, source, endpoint, index, episode.path)
            else:
                facts = hashes.get(source)
                if facts is None:
                    facts = {"sha256": sha256_file(source)}
                    hashes.put(source, facts)
                sha = facts["sha256"]
        except OSError as exc:
            problems.append(Problem(episode.path, "audio", f"{source.name}: {exc.strerror}"))
            continue
        except MediaError as exc:
            problems.append(Problem(exc.path, exc.field or "audio", exc.message))
            continue
        job = job_for(config, episode, sha)
        hit = master_mod.cached(job, facts_only=uploads is not None) if sha else None
        found = _result(episode, hit) if hit is not None else None
        if found and uploads and found.probe and not found.audio.is_file():
            found = found if uploads.settled(episode, found) else None  # retag on a worker
        if found is not None:
            out[episode.path] = found
        else:
            todo.append((episode, job))
    hashes.save()
    # the largest first (a long keynote does not start last and finish alone at the end);
    # the catalog's order among equals. Both executors start tasks in submission order.
    todo.sort(key=lambda item: recording_size(item[0], index), reverse=True)
    if todo:
        if cluster:
            from .clusterrun import run_on_cluster

            publish = {e.path: uploads.upload(e) for e, _ in todo} if uploads else {}  # S3
            done = run_on_cluster(config, todo, index, progress, finished=_log, uploads=publish)
        else:
            done = _run(todo, jobs or default_jobs(), progress, index)
        for episode, _ in todo:
            result = done[episode.path]
            if isinstance(result, MediaError):
                problems.append(Problem(result.path, result.field or "audio", result.message))
            else:
                out[episode.path] = _result(episode, result)
    if index.data:
        index.save()
    return out, problems


def source_endpoint(config: Config) -> str | None:
    """The S3 endpoint of ``s3://`` recordings: [cluster] source_endpoint_url, else
    [publish] endpoint_url, else the SDK's standard chain (None)."""
    return config.cluster.source_endpoint_url or config.publish.endpoint_url


def _result(episode: Episode, result: tuple[Any, ...]) -> Mastered:
    """(path | None, facts[, the record of a worker's upload]) -> Mastered."""
    path, facts, *uploaded = result
    if path is None:
        assert episode.audio is not None
        return Mastered(episode.audio, facts)
    cut = facts.get("cut") or [0.0, None]
    return Mastered(path, facts, float(cut[0] or 0.0), uploaded[0] if uploaded else None)


def _run(
    todo: list[tuple[Episode, Any]],
    jobs: int,
    progress: MasterProgress | None,
    index: sources.Index,
) -> dict[Path, Any]:
    from ..media.master import master

    sizes = {e.path: recording_size(e, index) for e, _ in todo}
    if progress:
        progress.master_start([(e.audio.name, sizes[e.path]) for e, _ in todo if e.audio])
    results: dict[Path, Any] = {}
    started = time.monotonic()

    def finished(e: Episode, result: Any) -> None:
        results[e.path] = result
        facts = result[1] if isinstance(result, tuple) else None
        _log(e, facts, result if isinstance(result, MediaError) else None)
        if progress and e.audio:
            progress.master_done(e.audio.name, sizes[e.path], facts)

    try:
        if jobs <= 1 or len(todo) == 1:
            for e, job in todo:
                finished(e, _call(master, job))
        else:
            with executor.local(min(jobs, len(todo))) as pool:  # or a cluster: clusterrun.py
                futures = {pool.submit(_call, master, job): e for e, job in todo}
                # as each finishes (the slowest last), not in submission order
                for future in as_completed(futures):
                    finished(futures[future], future.result())
    finally:
        if progress:
            progress.master_finish()
    log.debug("mastering took %.1fs on %d process(es)", time.monotonic() - started, jobs)
    return results


def _call(fn: Callable[[Any], Any], job: Any) -> Any:
    """Run one job; a MediaError comes back as a value (it pickles; the pool goes on)."""
    try:
        return fn(job)
    except MediaError as exc:
        return exc


def _log(
    episode: Episode,
    facts: dict[str, Any] | None,
    error: MediaError | None,
    worker: str | None = None,
) -> None:
    name = episode.audio.name if episode.audio else episode.path.name
    name += f" on {worker}" if worker else ""
    if error is not None or facts is None:
        return
    m = facts["input"]
    if facts["action"] == "pass":
        log.info(
            "%s is on target (%.1f LUFS, %.1f dBTP): published as it is",
            name,
            m["integrated"],
            m["true_peak"],
        )
        return
    o = facts["output"]
    log.info(
        "mastered %s: %.1f -> %.1f LUFS (gain %+.1f dB%s), true peak %.1f dBTP, %s %dk",
        name,
        m["integrated"],
        o["integrated"],
        facts["gain_db"],
        ", true-peak limiter" if facts["limiter"] else "",
        o["true_peak"],
        facts["format"].upper(),
        dataclasses.asdict(episode.master)["bitrate"],
    )


def recording_size(episode: Episode, index: sources.Index) -> int:
    """Bytes of the episode's recording (an ``s3://`` one as its bucket listed it)."""
    if episode.audio_url and episode.audio_url in index.stats:
        return int(index.stats[episode.audio_url]["size"])
    try:
        return episode.audio.stat().st_size if episode.audio else 0
    except OSError:
        return 0


def prune(config: Config, mastered: dict[Path, Mastered]) -> None:
    """Drop masters no episode publishes any more (an old trim, a replaced recording);
    measurements (small) are kept."""
    folder = config.root / MASTER_DIR
    keep = {str(m.facts["key"]) for m in mastered.values() if m.facts and "key" in m.facts}
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name.startswith(("measure-", ".tmp-")):
            continue
        key = path.stem
        if not any(k.startswith(key) for k in keep):
            path.unlink(missing_ok=True)


def _clean_temp(folder: Path) -> None:
    """Drop what a killed run left half-written (never trusted, see media.master)."""
    if folder.is_dir():
        for path in folder.glob(".tmp-*"):
            path.unlink(missing_ok=True)


def shifted(episode: Episode, offset: float, duration: float, *, warn: bool = True) -> Episode:
    """The episode with its chapters moved by the cut at the start (``offset`` seconds) for
    audio of ``duration`` seconds (see :func:`shift_chapters`)."""
    if not episode.chapters:
        return episode
    kept = shift_chapters(episode.chapters, offset, duration, episode.path, warn=warn)
    return dataclasses.replace(episode, chapters=tuple(c for _, c in kept))


def shift_chapters(
    chapters: tuple[Any, ...], offset: float, duration: float, where: Path, *, warn: bool = True
) -> list[tuple[int, Any]]:
    """(index, chapter moved) of every chapter left: one that began before the cut and runs
    on into the audio starts at 0; one wholly in a part cut away is left out, with a
    warning; so every chapter left starts inside the published audio. Also what a cluster
    worker does to the tags it is sent (publish/upload.py)."""
    kept = []
    for i, c in enumerate(chapters):
        start = c.start - offset
        following = chapters[i + 1] if i + 1 < len(chapters) else None
        before = start <= 0 and following is not None and following.start - offset <= 0
        if before or start >= duration:
            if warn:
                log.warning(
                    "%s: chapters[%d] %r (%s) lies in the part trimmed away: left out",
                    where.name,
                    i,
                    c.title,
                    _clock(c.start),
                )
            continue
        kept.append((i, dataclasses.replace(c, start=round(max(start, 0.0), 3))))
    if not kept:
        raise MediaError(
            "every chapter lies in the parts trimmed away; check the trim or the chapters",
            path=where,
            field="chapters",
        )
    return kept


def _clock(seconds: float) -> str:
    s = round(seconds, 3)
    return f"{int(s // 3600):02d}:{int(s // 60 % 60):02d}:{s % 60:06.3f}"


@dataclass(frozen=True)
class Preview:
    """What ``check`` expects an episode to publish, without encoding anything."""

    mime: str
    duration: float
    size: int
    offset: float = 0.0
    warning: str | None = None
    trimmed: bool = False  # chapters and cues move with the cut


def preview(config: Config, episode: Episode) -> Preview:
    """The published file's type, duration and (estimated) size; with ``master = false``, a
    warning when the recording is off target. Analyses (cached) but never encodes."""
    from ..media import master as master_mod
    from ..media import probe, sha256_file

    source = episode.audio
    assert source is not None
    if episode.audio_url:  # in a bucket: checked from a local copy (sources.py)
        index = sources.Index(config.root)
        sources.ensure_local(
            episode.audio_url, source, source_endpoint(config), index, episode.path
        )
        index.save()
    settings = episode.master
    job = job_for(config, episode, sha256_file(source))
    if not settings.enabled:
        info = probe(source)
        m = master_mod.analyse(dataclasses.replace(job, start=None, end=None))
        wrong = master_mod.off_target(settings, m)
        warning = f"master = false but {wrong}; Apple asks for -16 LUFS" if wrong else None
        return Preview(info.mime, info.duration, info.size, warning=warning)
    why, m = master_mod.decide(job)
    if why is None:
        info = probe(source)
        return Preview(info.mime, info.duration, info.size)
    start = (episode.trim[0] or 0.0) + (m.get("lead") or 0.0 if settings.trim_silence else 0.0)
    end = episode.trim[1]
    if settings.trim_silence and m.get("tail") is not None:
        end = m["tail"]
    duration = (end if end is not None else (episode.trim[0] or 0.0) + m["duration"]) - start
    mime = "audio/x-m4a" if settings.format == "aac" else "audio/mpeg"
    trimmed = bool(start) or end is not None
    size = int(settings.bitrate * 125 * duration) + 1
    return Preview(mime, duration, size, start, trimmed=trimmed)
