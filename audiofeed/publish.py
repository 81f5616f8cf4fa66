"""Orchestration: load -> tag -> build -> plan -> apply. Logs progress, never prints."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any, Protocol

from . import catalog as catalog_mod
from . import config as config_mod
from . import feed, frontmatter, media, shownotes
from .catalog import Catalog, Episode
from .config import Config
from .errors import MediaError, Problem, StorageError, ValidationError
from .state import MANIFEST_KEY, Manifest, MediaRecord, ProbeCache, write_atomic
from .storage import (
    Action,
    Artifact,
    Backend,
    Plan,
    RemoteObject,
    RemoteSettings,
    cache_control_for,
    content_type_for,
    open_backend,
    plan,
)
from .storage.plan import STAGE_FEED, STAGE_MANIFEST, STAGE_MEDIA, STAGE_NAMES

log = logging.getLogger("audiofeed")

FEED_KEY = "feed.xml"
STATE_DIR = ".audiofeed"
TAG_FORMAT = 1  # bump when the way tags are written changes: every recording is re-tagged
WORKERS = 4  # objects uploaded at once within a stage (each multipart upload is parallel too)


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    prune: bool = False
    retag: bool = False
    base_url: str | None = None
    destination: str | None = None  # --to: overrides publish.destination
    profile: str | None = None  # --profile: overrides publish.profile


class Progress(Protocol):
    """Receives transfer progress (the CLI draws it); ``advance`` is called from any thread."""

    def start(self, files: int, total_bytes: int) -> None: ...

    def advance(self, nbytes: int) -> None: ...

    def file_done(self, key: str, size: int) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def start(self, files: int, total_bytes: int) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def file_done(self, key: str, size: int) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass
class Applied:
    """What a real run did: uploaded (and verified) and deleted keys, and how long it took."""

    uploaded: list[str] = field(default_factory=list)
    uploaded_bytes: int = 0
    deleted: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Report:
    """What a publish did (or, with --dry-run, would do)."""

    destination: str
    feed_url: str
    plan: Plan
    dry_run: bool
    episodes: int
    assigned_guids: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    applied: Applied | None = None
    foreign: int = 0  # objects under the destination audiofeed did not publish (never pruned)

    def to_json(self) -> dict[str, Any]:
        """The machine-readable report (``publish --json``)."""
        p = self.plan

        def entry(a: Action) -> dict[str, Any]:
            stage = STAGE_NAMES[a.artifact.stage] if a.artifact else None
            return {"key": a.key, "size": a.size, "reason": a.reason, "stage": stage}

        applied = None
        if self.applied:
            seconds = round(self.applied.seconds, 3)
            applied = {
                "uploaded_objects": len(self.applied.uploaded),
                "uploaded_bytes": self.applied.uploaded_bytes,
                "deleted_objects": len(self.applied.deleted),
                "seconds": seconds,
                "bytes_per_second": int(self.applied.uploaded_bytes / seconds) if seconds else 0,
            }
        return {
            "ok": True,
            "destination": self.destination,
            "feed_url": self.feed_url,
            "dry_run": self.dry_run,
            "episodes": self.episodes,
            "upload": [entry(a) for a in p.uploads],
            "skip": [a.key for a in p.of("skip")],
            "delete": [entry(a) for a in p.deletions],
            "totals": {
                "upload_objects": len(p.uploads),
                "upload_bytes": p.upload_bytes,
                "skip_objects": len(p.of("skip")),
                "delete_objects": len(p.deletions),
                "foreign_objects": self.foreign,
            },
            "applied": applied,
            "assigned_guids": [str(x) for x in self.assigned_guids],
            "warnings": [w.line() for w in self.warnings],
        }

    def summary(self) -> str:
        p = self.plan
        if not p.changes:
            return (
                f"nothing changed: {len(p.of('skip'))} objects already up to date at "
                f"{self.destination}"
            )
        verb = "would upload" if self.dry_run else "uploaded"
        deleted = (
            f", {'would delete' if self.dry_run else 'deleted'} {len(p.deletions)}"
            if p.deletions
            else ""
        )
        return (
            f"{verb} {len(p.uploads)} objects ({p.upload_bytes:,} bytes){deleted}, "
            f"{len(p.of('skip'))} unchanged, to {self.destination}"
        )


def load_show(config_path: Path, base_url: str | None = None) -> tuple[Config, Catalog]:
    """Load and validate config and catalog (raises with every problem found)."""
    config = config_mod.load(config_path)
    if base_url:
        publish = dataclasses.replace(config.publish, base_url=base_url.rstrip("/") + "/")
        config = dataclasses.replace(config, publish=publish)
    return config, catalog_mod.load(config)


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
    config, catalog = load_show(config_path, options.base_url)
    catalog, assigned = assign_guids(catalog, dry_run=options.dry_run)
    destination = options.destination or config.publish.destination
    backend = backend or open_backend(destination, config.root, settings_for(config, options))
    log.info("reading published state from %s", backend.describe())
    manifest_bytes = backend.get(MANIFEST_KEY)
    manifest = Manifest.from_bytes(manifest_bytes)
    remote = remote_state(manifest, backend.list(), manifest_bytes)
    builder = Builder(config, catalog, manifest, remote, retag=options.retag)
    artifacts = builder.build()
    remote = check_unknown(remote, artifacts, backend, prune=options.prune)
    wanted = {a.key for a in artifacts}
    # what audiofeed did not publish (no manifest entry, no sha256 metadata) is never pruned
    ours = {k: o for k, o in remote.items() if k in wanted or o.sha256 is not None}
    foreign = len(remote) - len(ours)
    if foreign and options.prune:
        log.info("leaving %d object(s) audiofeed did not publish", foreign)
    the_plan = plan(artifacts, ours, prune=options.prune)
    report = Report(
        destination=backend.describe(),
        feed_url=config.url(FEED_KEY),
        plan=the_plan,
        dry_run=options.dry_run,
        episodes=len(catalog.episodes),
        assigned_guids=assigned,
        warnings=list(catalog.warnings),
        foreign=foreign,
    )
    if not options.dry_run:
        report.applied = apply(the_plan, backend, progress)
        builder.clean()
    return report


def remote_state(
    manifest: Manifest, listing: dict[str, RemoteObject], manifest_bytes: bytes | None = None
) -> dict[str, RemoteObject]:
    """What is published: the listing, with checksums from the manifest where sizes agree."""
    state = {}
    if manifest_bytes is not None:
        manifest.objects.setdefault(
            MANIFEST_KEY,
            {"size": len(manifest_bytes), "sha256": hashlib.sha256(manifest_bytes).hexdigest()},
        )
    for key, obj in listing.items():
        known = manifest.objects.get(key)
        sha = obj.sha256 or (known["sha256"] if known and known.get("size") == obj.size else None)
        state[key] = dataclasses.replace(obj, sha256=sha)
    return state


def check_unknown(
    remote: dict[str, RemoteObject],
    artifacts: list[Artifact],
    backend: Backend,
    *,
    prune: bool = False,
) -> dict[str, RemoteObject]:
    """Ask the destination (HEAD) about objects the manifest does not vouch for.

    That is what lets an interrupted publish resume: objects it uploaded carry their sha256
    in metadata, so they are skipped. The feed is always asked about (it is overwritten in
    place, so an interrupted run may have changed it). With ``prune``, unknown objects are
    asked about too, to tell audiofeed's own (sha256 metadata) from anyone else's.
    """
    wanted = {a.key for a in artifacts}
    always = {a.key for a in artifacts if a.stage == STAGE_FEED}
    keys = [
        k
        for k, obj in remote.items()
        if k in always or (obj.sha256 is None and (k in wanted or prune))
    ]
    if not keys:
        return remote
    log.debug("checking %d object(s) at the destination", len(keys))
    result = dict(remote)
    with ThreadPoolExecutor(max_workers=min(8, len(keys))) as pool:
        for key, obj in zip(keys, pool.map(backend.head, keys), strict=True):
            if obj is None:
                result.pop(key, None)  # gone since the listing
            else:
                result[key] = obj
    return result


def verify(art: Artifact, stored: RemoteObject | None) -> None:
    """Raise unless the destination holds exactly ``art`` (size, sha256, Content-Type)."""
    where = "nothing that refers to it was published"
    if stored is None:
        raise StorageError(f"{art.key}: not found right after uploading it; {where}")
    if stored.size != art.size:
        raise StorageError(
            f"{art.key}: destination holds {stored.size:,} bytes, expected {art.size:,}; {where}"
        )
    if stored.sha256 is not None and stored.sha256 != art.sha256:
        raise StorageError(f"{art.key}: destination holds different bytes (sha256); {where}")
    if stored.content_type is not None and _mime(stored.content_type) != _mime(art.content_type):
        raise StorageError(
            f"{art.key}: served as {stored.content_type!r}, expected {art.content_type!r}; {where}"
        )


def _mime(value: str) -> str:
    return value.split(";")[0].strip().lower()


def apply(the_plan: Plan, backend: Backend, progress: Progress | None = None) -> Applied:
    """Upload stage by stage (media and art, pages, the feed, the manifest), each object
    verified by HEAD before the next stage starts, so nothing is referenced before it is
    in place; then delete what --prune removes, after the new feed is live."""
    progress = progress or NoProgress()
    uploads = the_plan.uploads
    applied = Applied()
    started = time.monotonic()
    lock = threading.Lock()
    progress.start(len(uploads), the_plan.upload_bytes)
    try:
        for _, group in groupby(uploads, key=lambda a: a.artifact.stage if a.artifact else 0):
            actions = list(group)
            with ThreadPoolExecutor(max_workers=min(WORKERS, len(actions))) as pool:
                futures = [pool.submit(_upload, backend, a, progress) for a in actions]
                try:
                    for future in as_completed(futures):
                        action = future.result()
                        with lock:
                            applied.uploaded.append(action.key)
                            applied.uploaded_bytes += action.size
                            n = len(applied.uploaded)
                        progress.file_done(action.key, action.size)
                        log.info(
                            "uploaded %d/%d %s (%s bytes, verified)",
                            n,
                            len(uploads),
                            action.key,
                            f"{action.size:,}",
                        )
                except BaseException:
                    for f in futures:
                        f.cancel()
                    raise
        for action in the_plan.deletions:
            backend.delete(action.key)
            applied.deleted.append(action.key)
            log.info("deleted %s", action.key)
    finally:
        applied.seconds = time.monotonic() - started
        progress.finish()
    return applied


def _upload(backend: Backend, action: Action, progress: Progress) -> Action:
    art = action.artifact
    assert art is not None and art.path is not None, f"nothing local to upload for {action.key}"
    log.debug("uploading %s (%s bytes)", art.key, f"{art.size:,}")
    backend.put(
        art.key,
        art.path,
        content_type=art.content_type,
        cache_control=art.cache_control,
        sha256=art.sha256,
        progress=progress.advance,
    )
    verify(art, backend.head(art.key))
    return action


class Builder:
    """Builds every artifact of the show into ``.audiofeed/build`` (media, art, feed, manifest)."""

    def __init__(
        self,
        config: Config,
        catalog: Catalog,
        manifest: Manifest,
        remote: dict[str, RemoteObject],
        *,
        retag: bool = False,
    ):
        self.config = config
        self.catalog = catalog
        self.manifest = manifest
        self.remote = remote
        self.retag = retag
        self.build_dir = config.root / STATE_DIR / "build"
        self.cache = ProbeCache(config.root / STATE_DIR / "cache.json")
        self.new_manifest = Manifest()

    def build(self) -> list[Artifact]:
        cover = self.file_artifact(self.config.podcast.image, "images/cover", STAGE_MEDIA)
        cover_bytes = self.config.podcast.image.read_bytes()
        items, artifacts, problems = [], [cover], []
        for n, episode in enumerate(self.catalog.episodes, 1):
            log.debug("preparing %d/%d %s", n, len(self.catalog.episodes), episode.path.name)
            try:
                art, record = self.media(episode, cover_bytes)
            except MediaError as exc:
                problems.append(Problem(exc.path, exc.field or "audio", exc.message))
                continue
            artifacts.append(art)
            notes = shownotes.render(episode)
            items.append(
                feed.FeedItem(
                    episode=episode,
                    notes=notes,
                    media_url=self.config.url(record.key),
                    media_length=record.size,
                    media_type=record.mime,
                    duration=record.duration,
                )
            )
        self.cache.save()
        if problems:
            raise ValidationError(problems=problems)
        assets = feed.FeedAssets(
            feed_url=self.config.url(FEED_KEY), image_url=self.config.url(cover.key)
        )
        artifacts.append(
            self.bytes_artifact(FEED_KEY, feed.build(self.catalog, items, assets), STAGE_FEED)
        )
        for art in artifacts:
            self.new_manifest.objects[art.key] = {"size": art.size, "sha256": art.sha256}
        artifacts.append(
            self.bytes_artifact(MANIFEST_KEY, self.new_manifest.to_bytes(), STAGE_MANIFEST)
        )
        return artifacts

    # -- media ---------------------------------------------------------------------------
    def source_facts(self, source: Path) -> dict:
        facts = self.cache.get(source)
        if facts is None:
            info = media.probe(source)
            facts = {
                "sha256": media.sha256_file(source),
                "duration": info.duration,
                "mime": info.mime,
            }
            self.cache.put(source, facts)
        return facts

    def media(self, episode: Episode, cover: bytes) -> tuple[Artifact, MediaRecord]:
        """The tagged copy of an episode's recording, re-used when nothing it depends on
        changed (descriptions are not part of that: see README, 'What gets re-uploaded')."""
        if episode.audio is None:
            raise MediaError("no recording attached", path=episode.path, field="audio")
        facts = self.source_facts(episode.audio)
        tags = media_tags(self.config, episode, cover, shownotes.render(episode).summary)
        fingerprint = media_fingerprint(facts["sha256"], tags)
        old = self.manifest.media.get(episode.guid or "")
        have = self.remote.get(old.key) if old else None
        if (
            old
            and not self.retag
            and old.fingerprint == fingerprint
            and have
            and have.size == old.size
            and have.sha256 == old.sha256
        ):
            self.new_manifest.media[episode.guid or ""] = old
            return self.remote_artifact(old), old
        ext = episode.audio.suffix.lower()
        log.info("tagging a copy of %s", episode.audio.name)
        tmp = self.build_dir / "audio" / f".{episode.slug}{ext}"
        info = media.tag_copy(episode.audio, tmp, tags)
        sha = media.sha256_file(tmp)
        key = f"audio/{episode.slug}-{sha[:10]}{ext}"
        os.replace(tmp, self.build_dir / key)
        record = MediaRecord(
            fingerprint=fingerprint,
            key=key,
            size=info.size,
            sha256=sha,
            mime=info.mime,
            duration=round(info.duration, 3),
        )
        self.new_manifest.media[episode.guid or ""] = record
        return self.file_artifact(self.build_dir / key, None, STAGE_MEDIA, sha=sha), record

    def remote_artifact(self, rec: MediaRecord) -> Artifact:
        return Artifact(
            key=rec.key,
            size=rec.size,
            sha256=rec.sha256,
            content_type=content_type_for(rec.key),
            cache_control=cache_control_for(rec.key),
            stage=STAGE_MEDIA,
            path=None,
        )

    # -- files ---------------------------------------------------------------------------
    def file_artifact(
        self, path: Path, key_stem: str | None, stage: int, sha: str | None = None
    ) -> Artifact:
        """An artifact for a local file; with ``key_stem``, the key carries a content hash."""
        sha = sha or media.sha256_file(path)
        if key_stem is None:
            key = path.relative_to(self.build_dir).as_posix()
        else:
            ext = ".jpg" if path.suffix.lower() == ".jpeg" else path.suffix.lower()
            key = f"{key_stem}-{sha[:10]}{ext}"
        return Artifact(
            key=key,
            size=path.stat().st_size,
            sha256=sha,
            content_type=content_type_for(key),
            cache_control=cache_control_for(key),
            stage=stage,
            path=path,
        )

    def bytes_artifact(self, key: str, data: bytes, stage: int) -> Artifact:
        path = self.build_dir / key
        if not path.is_file() or path.read_bytes() != data:
            write_atomic(path, data)
        return Artifact(
            key=key,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content_type=content_type_for(key),
            cache_control=cache_control_for(key),
            stage=stage,
            path=path,
        )

    def clean(self) -> None:
        """Drop tagged copies no episode refers to any more."""
        keep = {rec.key for rec in self.new_manifest.media.values()}
        audio_dir = self.build_dir / "audio"
        if audio_dir.is_dir():
            for path in audio_dir.iterdir():
                if path.relative_to(self.build_dir).as_posix() not in keep:
                    if path.is_dir():
                        shutil.rmtree(path)
                    else:
                        path.unlink()


def media_tags(config: Config, episode: Episode, cover: bytes, summary: str) -> media.Tags:
    """The tags written into an episode's recording."""
    pod = config.podcast
    people = episode.speakers or episode.chairs
    return media.Tags(
        title=episode.title,
        artist=", ".join(p.name for p in people) or pod.author,
        album=pod.title,
        album_artist=pod.author,
        date=episode.start.date().isoformat(),
        comment=summary,
        guid=episode.guid,
        cover=cover,
        cover_mime="image/png" if pod.image.suffix.lower() == ".png" else "image/jpeg",
    )


def media_fingerprint(source_sha: str, tags: media.Tags) -> str:
    """What makes a tagged copy: source bytes and every tag except the free-text comment."""
    values = dataclasses.asdict(tags)
    values.pop("comment")
    values["cover"] = hashlib.sha256(tags.cover or b"").hexdigest()
    blob = json.dumps(
        {"format": TAG_FORMAT, "source": source_sha, "tags": values}, sort_keys=True, default=str
    )
    return hashlib.sha256(blob.encode()).hexdigest()
