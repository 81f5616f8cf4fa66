"""The mastering stage on a Dask cluster (``publish --cluster`` / ``[cluster] address``).

The coordinator connects (one line and nothing published when it cannot), asks every
worker whether it can read every source (one line per worker and file it cannot), sends
one :class:`remote.Task` per recording through the cluster's ``concurrent.futures``
executor and keeps each answer in ``.audiofeed/master/`` exactly as a local run would, so
tagging, the plan and the upload go on as today and the result is byte-identical. A worker
that dies mid-task: Dask runs the task again on another (the same bytes come out).
"""

from __future__ import annotations

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
) -> dict[Path, Any]:
    """Episode file -> (master path | None, facts) or the MediaError, for every job."""
    from ..media import master as master_mod
    from .mastering import source_endpoint

    assert config.cluster.address
    endpoint = source_endpoint(config)
    cluster = executor.connect(config.cluster.address)
    try:
        tasks = {e.path: task_for(e, job, endpoint) for e, job in todo}
        check_readable(cluster, todo, tasks, endpoint)
        sizes = {e.path: _size(e, index) for e, _ in todo}
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


def task_for(episode: Episode, job: Any, endpoint: str | None) -> remote.Task:
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
    )


def check_readable(
    cluster: executor.Cluster,
    todo: list[tuple[Episode, Any]],
    tasks: dict[Path, remote.Task],
    endpoint: str | None,
) -> None:
    """Before any work: every worker reads every source, or one line per worker and file."""
    names = sorted({t.source for t in tasks.values()})
    answers = cluster.run_everywhere(remote.unreadable, names, endpoint)
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
) -> tuple[Path | None, dict[str, Any]]:
    """The worker's master kept here under its content-addressed name; a recording on
    target is published as it is, so an ``s3://`` one is copied here for tagging."""
    path, facts = master_mod.store(job.cache_dir, done.facts, done.data)
    if path is None and episode.audio_url and episode.audio is not None:
        sources.ensure_local(episode.audio_url, episode.audio, endpoint, index, episode.path)
    return path, facts


def _size(episode: Episode, index: sources.Index) -> int:
    if episode.audio_url:
        return int(index.stats[episode.audio_url]["size"])
    try:
        return episode.audio.stat().st_size if episode.audio else 0
    except OSError:
        return 0
