"""The mastering stage on a Dask cluster (``publish --cluster`` / ``[cluster] address``).

The coordinator connects (one line and nothing published when it cannot), asks every
worker whether it can read every source (one line per worker and file it cannot) and, for
an S3 destination, write the destination, then sends one :class:`remote.Task` per
recording through the cluster's ``concurrent.futures`` executor. For an S3 destination the
workers tag and upload too: each answer is a media record, kept with the master's facts
(no audio) in ``.audiofeed/master/``; the Builder verifies the objects before pages and
feeds. Otherwise (a folder, or a worker that cannot write) each master comes back and is
kept there exactly as a local run would, so tagging, the plan and the upload go on as
today. Either way the result is byte-identical; a worker that dies mid-task: Dask runs
the task again on another (the same bytes come out, to the same key).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from concurrent.futures import as_completed
from pathlib import Path
from typing import Any

from ..errors import MediaError, Problem, ValidationError
from ..show.catalog import Episode
from ..show.config import Config
from . import executor, remote, sources

log = logging.getLogger("audiofeed")


def run_on_cluster(
    config: Config,
    todo: list[tuple[Episode, Any]],
    index: sources.Index,
    progress: Any,
    *,
    finished: Callable[..., None],
    uploads: dict[Path, Any] | None = None,
) -> dict[Path, Any]:
    """Episode file -> (master path | None, facts[, the worker's media record]) or the
    MediaError, for every job; ``uploads``: episode file -> upload.Upload (or None)."""
    from ..media import master as master_mod
    from .mastering import recording_size, source_endpoint

    assert config.cluster.address
    endpoint = source_endpoint(config)
    cluster = executor.connect(config.cluster.address)
    try:
        up = uploads or {}
        tasks = {e.path: task_for(e, job, endpoint, up.get(e.path)) for e, job in todo}
        if not check(cluster, todo, tasks, endpoint):  # a worker cannot write: bytes back
            tasks = {k: dataclasses.replace(t, upload=None) for k, t in tasks.items()}
        sizes = {e.path: recording_size(e, index) for e, _ in todo}
        if progress:
            progress.master_start([(e.audio.name, sizes[e.path]) for e, _ in todo if e.audio])
        started = time.monotonic()
        results: dict[Path, Any] = {}
        pool = cluster.executor()
        try:
            futures = {pool.submit(remote.run, tasks[e.path]): (e, job) for e, job in todo}
            for future in as_completed(futures):
                episode, job = futures[future]
                try:
                    answer = future.result()
                except Exception as exc:  # the cluster gave up on it (KilledWorker …)
                    raise executor.ClusterError(
                        f"the cluster could not master {episode.audio}: "
                        f"{type(exc).__name__}: {exc}; check the workers' logs",
                        field="cluster.address",
                    ) from None
                worker = None
                if isinstance(answer, remote.Done):
                    worker = answer.worker
                    if episode.audio_url:
                        index.put(episode.audio_url, index.stats[episode.audio_url], answer.sha256)
                    answer = _keep(job, answer, master_mod, episode, endpoint, index)
                results[episode.path] = answer
                facts = answer[1] if isinstance(answer, tuple) else None
                finished(episode, facts, answer if isinstance(answer, MediaError) else None,
                         worker)  # fmt: skip
                if isinstance(answer, tuple) and len(answer) == 3:
                    record = answer[2]
                    log.info("%s uploaded %s (%s bytes)", worker, record.key, f"{record.size:,}")
                if progress and episode.audio:
                    progress.master_done(episode.audio.name, sizes[episode.path], facts, worker)
        finally:
            pool.shutdown(wait=False)
            if progress:
                progress.master_finish()
        log.debug("mastering took %.1fs on %s", time.monotonic() - started, cluster.address)
        return results
    finally:
        cluster.close()


def task_for(episode: Episode, job: Any, endpoint: str | None, upload: Any = None) -> remote.Task:
    assert episode.audio is not None
    return remote.Task(
        source=episode.audio_url or str(episode.audio),
        shown=episode.audio,
        sha256=job.sha256 or None,
        settings=job.settings,
        stream=job.stream,
        start=job.start,
        end=job.end,
        where=job.where,
        endpoint_url=endpoint if episode.audio_url else None,
        upload=upload,
    )


def check(
    cluster: executor.Cluster,
    todo: list[tuple[Episode, Any]],
    tasks: dict[Path, remote.Task],
    endpoint: str | None,
) -> bool:
    """Before any work: every worker reads every source, or one line per worker and file;
    whether every worker can write the destination (else one warning per worker)."""
    names = sorted({t.source for t in tasks.values()})
    dest = next((t.upload.destination for t in tasks.values() if t.upload), None)
    answers = cluster.run_everywhere(remote.preflight, names, endpoint, dest)
    for worker, answer in sorted(answers.items()):
        if answer["unwritable"]:
            log.warning(
                "worker %s cannot write %s (%s): its masters come back here to be tagged and "
                "uploaded; give the workers the destination's credentials",
                worker,
                dest.url if dest else "the destination",
                answer["unwritable"],
            )
    unreadable = {worker: answer["unreadable"] for worker, answer in answers.items()}
    check_readable(todo, tasks, unreadable)
    return not any(answer["unwritable"] for answer in answers.values())


def check_readable(
    todo: list[tuple[Episode, Any]],
    tasks: dict[Path, remote.Task],
    answers: dict[str, dict[str, str]],
) -> None:
    """Every worker reads every source, or one line per worker and file it cannot."""
    episode_of = {tasks[e.path].source: e for e, _ in todo}
    problems = [
        Problem(
            episode_of[name].path,
            "audio",
            f"worker {worker} cannot read {name} ({why}); give every worker the file "
            "(a shared folder) or the bucket's credentials",
        )
        for worker, missing in sorted(answers.items())
        for name, why in sorted(missing.items())
    ]
    if problems:
        raise ValidationError(problems=problems)


def _keep(
    job: Any,
    done: remote.Done,
    master_mod: Any,
    episode: Episode,
    endpoint: str | None,
    index: sources.Index,
) -> tuple[Any, ...]:
    """The worker's master kept here under its content-addressed name (its facts alone when
    the worker published its tagged copy); a recording on target is published as it is,
    so an ``s3://`` one is copied here for tagging."""
    if done.record is not None:
        path, facts = master_mod.store(job.cache_dir, {**done.facts, "probe": done.probe}, None)
        return path, facts, done.record
    path, facts = master_mod.store(job.cache_dir, done.facts, done.data)
    if path is None and episode.audio_url and episode.audio is not None:
        sources.ensure_local(episode.audio_url, episode.audio, endpoint, index, episode.path)
    return path, facts
