"""Orchestration: load -> tag -> build -> plan -> apply. Logs progress, never prints."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import media, shownotes, site
from ..common.checkpoint import checkpoint
from ..common.codestamp import code_digest
from ..common.memo import Recall
from ..errors import ConfigError, MediaError, Problem, ValidationError
from ..show import catalog as catalog_mod
from ..show import config as config_mod
from ..show import frontmatter
from ..show.catalog import Catalog, Episode
from ..show.config import Config
from ..show.destination import sources_inside
from ..storage import Backend, RemoteSettings, is_remote, open_backend, plan
from . import commit, deploy, unchanged, upload
from .build import Builder, latest_copy
from .deploy import Applied, NoProgress, Progress, apply, check_unknown, remote_state, verify
from .report import Report, error_report
from .state import FEED_KEY, MANIFEST_KEY, STATE_DIR, Manifest, Memo, write_atomic
from .tagging import media_tags

log = logging.getLogger("audiofeed")


__all__ = [
    "Applied",
    "NoProgress",
    "Options",
    "Progress",
    "Report",
    "apply",
    "check_unknown",
    "error_report",
    "publish",
    "remote_state",
    "verify",
]


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    prune: bool = False
    retag: bool = False
    base_url: str | None = None
    destination: str | None = None  # --to: overrides publish.destination
    profile: str | None = None  # --profile: overrides publish.profile
    jobs: int | None = None  # --jobs: recordings mastered at once (default: the cores)
    cluster: str | None = None  # --cluster: a Dask scheduler masters them (docs/cluster.md)
    skip_broken: bool = False  # publish the rest when a recording is broken (exit non-zero)
    allow_removal: tuple[str, ...] = ()  # --allow-removal: live episodes to drop on purpose


def load_show(config_path: Path, base_url: str | None = None) -> tuple[Config, Catalog]:
    """Load and validate config and catalog (raises with every problem found); episode files
    parsed by the last run are not parsed again (``.audiofeed/parsed.json``)."""
    config = config_mod.load(config_path)
    if base_url:
        publish = dataclasses.replace(config.publish, base_url=base_url.rstrip("/") + "/")
        config = dataclasses.replace(config, publish=publish)
    parsed = Memo(config.root / STATE_DIR / "parsed.json", f"{code_digest()} {sys.version}")
    memo = Recall(parsed.load())
    catalog = catalog_mod.load(config, memo)
    parsed.save(memo.after)
    return config, catalog


def assign_guids(catalog: Catalog, *, dry_run: bool) -> tuple[Catalog, list[Path]]:
    """Give every episode without a guid a new one, written into its file (never changed after)."""
    missing = [e for e in catalog.episodes if e.guid is None]
    if not missing:
        return catalog, []
    episodes = []
    for e in catalog.episodes:
        if e.guid is None:
            guid = catalog_mod.new_guid()
            if not dry_run:
                text = e.path.read_text(encoding="utf-8")
                write_atomic(e.path, frontmatter.with_field(text, "guid", guid).encode())
                log.info("assigned guid %s to %s", guid, e.path.name)
            e = dataclasses.replace(e, guid=guid)
        episodes.append(e)
    warnings = tuple(w for w in catalog.warnings if w.field != "guid")
    return dataclasses.replace(catalog, episodes=tuple(episodes), warnings=warnings), [
        e.path for e in missing
    ]


def settings_for(config: Config, options: Options) -> RemoteSettings:
    """Object storage settings from [publish], with --profile on top."""
    pub = config.publish
    return RemoteSettings(
        endpoint_url=pub.endpoint_url,
        region=pub.region,
        addressing_style=pub.addressing_style,
        acl=pub.acl,
        storage_class=pub.storage_class,
        profile=options.profile or pub.profile,
    )


def publish(
    config_path: Path,
    options: Options = Options(),
    backend: Backend | None = None,
    progress: Progress | None = None,
) -> Report:
    """Build the show and bring the destination up to date; the feed goes live last."""
    with batch_gc():
        config, catalog = load_show(config_path, options.base_url)
        if options.cluster:  # --cluster wins over [cluster] address
            cluster = dataclasses.replace(config.cluster, address=options.cluster)
            config = dataclasses.replace(config, cluster=cluster)
        with deploy.publish_lock(config.root, dry_run=options.dry_run):
            return _publish(config, catalog, options, backend, progress)


@contextmanager
def batch_gc() -> Iterator[None]:
    """Fewer cyclic-GC passes while building: a big show keeps ~10^5 objects alive, and
    CPython's default (a pass every 700 allocations, full ones as the heap grows) spent a
    fifth of a 10,000-episode rebuild walking them. Garbage without cycles is freed at once
    as ever; cycles wait a little longer."""
    before = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _publish(
    config: Config,
    catalog: Catalog,
    options: Options,
    backend: Backend | None,
    progress: Progress | None,
) -> Report:
    catalog, assigned = assign_guids(catalog, dry_run=options.dry_run)
    late = catalog_mod.overdue(
        catalog.waiting, config.publish.late_after_hours, dt.datetime.now(dt.UTC)
    )
    checkpoint("loaded")
    destination = options.destination or config.publish.destination
    files = [(e.path, e.audio, e.transcript, e.image) for e in catalog.episodes]
    sources = [config.path, config.podcast.image, *(p for f in files for p in f if p)]
    if danger := sources_inside(config.root, destination, sources):  # --prune would eat them
        raise ConfigError(danger, path=config.path, field="publish.destination")
    backend = backend or open_backend(destination, config.root, settings_for(config, options))
    log.info("reading published state from %s", backend.describe())
    guids = {e.guid for e in catalog.sessions if e.guid}  # waiting ones too: ours, not lost
    start, folder = commit.begin(
        backend, config.root, guids, options.allow_removal, options.dry_run
    )
    manifest_bytes = start.data
    manifest = Manifest.from_bytes(manifest_bytes)
    remote = commit.comparable(remote_state(manifest, backend.list(), manifest_bytes), start)
    # a display that also shows mastering (the CLI's) is told about it too
    master_progress = progress if hasattr(progress, "master_start") else None
    # an S3 destination: on a cluster the workers upload the media too (docs/cluster.md)
    workers_upload = None
    if is_remote(destination):
        workers_upload = upload.destination(destination, settings_for(config, options))
    builder = Builder(
        config,
        catalog,
        manifest,
        remote,
        retag=options.retag,
        jobs=options.jobs,
        master_progress=master_progress,
        skip_broken=options.skip_broken,
        backend=backend,
        workers_upload=workers_upload,
        dry_run=options.dry_run,
    )
    artifacts = builder.build()
    checkpoint("built")
    # with what the workers uploaded (checked by the Builder)
    remote = check_unknown(builder.remote, artifacts, backend, prune=options.prune)
    wanted = {a.key for a in artifacts}
    # what audiofeed did not publish (no manifest entry, no sha256 metadata) is never pruned
    ours = {k: o for k, o in remote.items() if k in wanted or o.sha256 is not None}
    foreign = len(remote) - len(ours) if options.prune else 0  # only known after HEADs
    if foreign:
        log.info("leaving %d object(s) audiofeed did not publish", foreign)
    the_plan = plan(artifacts, ours, prune=options.prune)
    report = Report(
        destination=backend.describe(),
        feed_url=config.url(FEED_KEY),
        archive_url=config.url(site.INDEX_KEY),
        plan=the_plan,
        dry_run=options.dry_run,
        episodes=len(catalog.episodes),
        assigned_guids=assigned,
        warnings=[*catalog.warnings, *late],
        foreign=foreign,
        waiting=[e.path for e in catalog.waiting],
        held=len(catalog.held),
        broken=builder.broken,
    )
    run = commit.Commit(backend, start, folder, report.warnings)
    new_core = next(a for a in artifacts if a.key == MANIFEST_KEY).path.read_bytes()
    the_plan = report.plan = run.prepare(the_plan, new_core, dry_run=options.dry_run)
    if not options.dry_run:
        report.applied = run.run(the_plan, progress)
        checkpoint("applied")
        builder.clean()
        unchanged.record_publish(
            config,
            catalog,
            artifacts,
            report,
            destination=options.destination,
            base_url=options.base_url,
            profile=options.profile,
            prune=options.prune,
        )
    return report


@dataclass(frozen=True)
class TagResult:
    """One recording handled by ``audiofeed tag``."""

    episode: Path
    source: Path
    copy: Path  # the tagged build copy; with dry_run, what the diff compares against
    changes: list[str]


@batch_gc()
def tag_show(config_path: Path, *, dry_run: bool = False) -> list[TagResult]:
    """Tag the build copies of every recording without publishing; with ``dry_run`` write
    nothing and list, per file, how its tags would change (against the latest build copy,
    else the source recording)."""
    config, catalog = load_show(config_path)
    catalog, _ = assign_guids(catalog, dry_run=dry_run)
    builder = Builder(config, catalog, Manifest(), {}, retag=True)
    cover = config.podcast.image.read_bytes()
    results, problems = [], builder.master()
    for episode in catalog.episodes:
        if episode.audio is not None and episode.path not in (builder.mastered or {}):
            continue  # its problem is listed
        try:
            results.append(_tag_one(builder, episode, cover, dry_run))
        except MediaError as exc:
            problems.append(Problem(exc.path, exc.field or "audio", exc.message))
    builder.cache.save()
    if problems:
        raise ValidationError(problems=problems)
    return results


def _tag_one(builder: Builder, episode: Episode, cover: bytes, dry_run: bool) -> TagResult:
    if episode.audio is None:
        raise MediaError("no recording attached", path=episode.path, field="audio")
    audio = builder.audio_of(episode) or episode.audio
    episode = builder.published_episode(episode)
    facts = builder.source_facts(audio)
    media.validate_chapters(episode.chapters, facts["duration"], episode.path)
    tags = media_tags(builder.config, episode, cover, shownotes.render(episode))
    previous = latest_copy(builder.build_dir, episode, audio.suffix)
    current = media.read_file(previous or audio)
    changes = media.diff(current, tags, builder.config.tags)
    if dry_run:
        return TagResult(episode.path, episode.audio, previous or audio, changes)
    _, record = builder.media(episode, cover)
    if episode.chapters:
        builder.chapters_artifacts(episode)
    return TagResult(episode.path, episode.audio, builder.build_dir / record.key, changes)
