"""Orchestration: load -> tag -> build -> plan -> apply. Logs progress, never prints."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import catalog as catalog_mod
from . import config as config_mod
from . import deploy, feed, frontmatter, media, rules, shownotes, site
from .catalog import Catalog, Episode
from .checkpoint import checkpoint
from .config import Config
from .deploy import Applied, NoProgress, Progress, apply, check_unknown, remote_state, verify
from .destination import sources_inside
from .errors import ConfigError, MediaError, Problem, ValidationError
from .report import Report, error_report
from .state import MANIFEST_KEY, Manifest, MediaRecord, ProbeCache, write_atomic
from .storage import (
    Artifact,
    Backend,
    RemoteObject,
    RemoteSettings,
    cache_control_for,
    content_type_for,
    open_backend,
    plan,
)
from .storage.plan import (
    STAGE_ASSET,
    STAGE_FEED,
    STAGE_MANIFEST,
    STAGE_MEDIA,
    STAGE_PAGE,
)
from .tagging import chapter_images, media_fingerprint, media_tags

log = logging.getLogger("audiofeed")

#: audio-only MP4 variants are published as .m4a (audio/x-m4a), the type Apple accepts
PUBLISHED_EXTENSION = {".m4b": ".m4a", ".mp4": ".m4a"}

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

FEED_KEY = "feed.xml"
STATE_DIR = ".audiofeed"


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    prune: bool = False
    retag: bool = False
    base_url: str | None = None
    destination: str | None = None  # --to: overrides publish.destination
    profile: str | None = None  # --profile: overrides publish.profile


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
    with deploy.publish_lock(config.root, dry_run=options.dry_run):
        return _publish(config, catalog, options, backend, progress)


def _publish(
    config: Config,
    catalog: Catalog,
    options: Options,
    backend: Backend | None,
    progress: Progress | None,
) -> Report:
    catalog, assigned = assign_guids(catalog, dry_run=options.dry_run)
    checkpoint("loaded")
    destination = options.destination or config.publish.destination
    files = [(e.path, e.audio, e.transcript, e.image) for e in catalog.episodes]
    sources = [config.path, config.podcast.image, *(p for f in files for p in f if p)]
    if danger := sources_inside(config.root, destination, sources):  # --prune would eat them
        raise ConfigError(danger, path=config.path, field="publish.destination")
    backend = backend or open_backend(destination, config.root, settings_for(config, options))
    log.info("reading published state from %s", backend.describe())
    manifest_bytes = backend.get(MANIFEST_KEY)
    manifest = Manifest.from_bytes(manifest_bytes)
    remote = remote_state(manifest, backend.list(), manifest_bytes)
    builder = Builder(config, catalog, manifest, remote, retag=options.retag)
    artifacts = builder.build()
    checkpoint("built")
    remote = check_unknown(remote, artifacts, backend, prune=options.prune)
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
        warnings=list(catalog.warnings),
        foreign=foreign,
    )
    if not options.dry_run:
        deploy.forget_overwritten(the_plan, manifest, backend, builder.build_dir)
        report.applied = apply(the_plan, backend, progress)
        checkpoint("applied")
        builder.clean()
    return report


@dataclass(frozen=True)
class TagResult:
    """One recording handled by ``audiofeed tag``."""

    episode: Path
    source: Path
    copy: Path  # the tagged build copy; with dry_run, what the diff compares against
    changes: list[str]


def tag_show(config_path: Path, *, dry_run: bool = False) -> list[TagResult]:
    """Tag the build copies of every recording without publishing; with ``dry_run`` write
    nothing and list, per file, how its tags would change (against the latest build copy,
    else the source recording)."""
    config, catalog = load_show(config_path)
    catalog, _ = assign_guids(catalog, dry_run=dry_run)
    builder = Builder(config, catalog, Manifest(), {}, retag=True)
    cover = config.podcast.image.read_bytes()
    results, problems = [], []
    for episode in catalog.episodes:
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
    facts = builder.source_facts(episode.audio)
    media.validate_chapters(episode.chapters, facts["duration"], episode.path)
    tags = media_tags(builder.config, episode, cover, shownotes.render(episode))
    previous = latest_copy(builder.build_dir, episode)
    current = media.read_file(previous or episode.audio)
    changes = media.diff(current, tags, builder.config.tags)
    if dry_run:
        return TagResult(episode.path, episode.audio, previous or episode.audio, changes)
    _, record = builder.media(episode, cover)
    if episode.chapters:
        builder.chapters_artifacts(episode)
    return TagResult(episode.path, episode.audio, builder.build_dir / record.key, changes)


def latest_copy(build_dir: Path, episode: Episode) -> Path | None:
    """The newest tagged build copy of an episode's recording, if any."""
    if episode.audio is None:
        return None
    ext = episode.audio.suffix.lower()
    ext = PUBLISHED_EXTENSION.get(ext, ext)
    pattern = re.compile(rf"^{re.escape(episode.slug)}-[0-9a-f]{{10}}{re.escape(ext)}$")
    folder = build_dir / "audio"
    copies = [p for p in folder.glob(f"{episode.slug}-*{ext}") if pattern.match(p.name)]
    return max(copies, key=lambda p: p.stat().st_mtime_ns, default=None)


class Builder:
    """Builds every artifact of the show into ``.audiofeed/build``: media, art, archive pages,
    feed, manifest."""

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
            chapters_url = None
            if episode.chapters:
                extra = self.chapters_artifacts(episode)
                artifacts += extra
                chapters_url = self.config.url(extra[-1].key)
            transcript = self.transcript(episode, problems)
            if transcript:
                artifacts.append(transcript)
            image = self.episode_image(episode, problems)
            if image:
                artifacts.append(image)
            items.append(
                feed.FeedItem(
                    episode=episode,
                    notes=notes,
                    media_url=self.config.url(record.key),
                    media_length=record.size,
                    media_type=record.mime,
                    duration=record.duration,
                    chapters_url=chapters_url,
                    transcript_url=self.config.url(transcript.key) if transcript else None,
                    transcript_type=transcript_type(episode.transcript) if transcript else None,
                    image_url=self.config.url(image.key) if image else None,
                )
            )
        self.cache.save()
        if problems:
            raise ValidationError(problems=problems)
        pages = site.build_site(
            self.catalog, items, site.SiteAssets(feed_key=FEED_KEY, image_key=cover.key)
        )
        for key, data in sorted(pages.items()):
            stage = STAGE_ASSET if key.startswith("assets/") else STAGE_PAGE
            artifacts.append(self.bytes_artifact(key, data, stage))
        artifacts += self.feeds(items, self.config.url(cover.key))
        for art in artifacts:
            self.new_manifest.objects[art.key] = {"size": art.size, "sha256": art.sha256}
        artifacts.append(
            self.bytes_artifact(MANIFEST_KEY, self.new_manifest.to_bytes(), STAGE_MANIFEST)
        )
        return artifacts

    # -- feeds ---------------------------------------------------------------------------
    def feeds(self, items: list[feed.FeedItem], image_url: str) -> list[Artifact]:
        """Every declared feed, checked by the rules; an error stops the publish."""
        guids = dict(self.manifest.feeds)
        built = feed.build_all(self.catalog, items, image_url, guids)
        problems: list[Problem] = []
        for key, data in built.items():
            problems += [p for p in rules.check_feed(key, data) if p.severity == "error"]
            self.new_manifest.feeds[key] = guids.get(key) or feed_guid(data)
        if problems:
            raise ValidationError(problems=problems)
        return [self.bytes_artifact(key, data, STAGE_FEED) for key, data in built.items()]

    def episode_image(self, episode: Episode, problems: list[Problem]) -> Artifact | None:
        """The episode's own art (JPEG or PNG, as Apple requires), under a content-hashed key."""
        if episode.image is None:
            return None
        if episode.image.suffix.lower() not in (".jpg", ".jpeg", ".png"):
            problems.append(
                Problem(episode.path, "image", "must be a .jpg or .png file (Apple's art types)")
            )
            return None
        return self.file_artifact(episode.image, f"images/{episode.slug}", STAGE_MEDIA)

    def transcript(self, episode: Episode, problems: list[Problem]) -> Artifact | None:
        """The episode's transcript file, uploaded under a content-hashed key."""
        if episode.transcript is None:
            return None
        if transcript_type(episode.transcript) is None:
            kinds = ", ".join(sorted(feed.TRANSCRIPT_TYPES))
            problems.append(Problem(episode.path, "transcript", f"must be one of {kinds}"))
            return None
        return self.file_artifact(episode.transcript, f"transcripts/{episode.slug}", STAGE_MEDIA)

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
        media.validate_chapters(episode.chapters, facts["duration"], episode.path)
        tags = media_tags(self.config, episode, cover, shownotes.render(episode))
        fingerprint = media_fingerprint(facts["sha256"], tags, self.config.tags)
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
        checkpoint(f"tag:{episode.slug}")
        info = media.tag_copy(episode.audio, tmp, tags, self.config.tags)
        sha = media.sha256_file(tmp)
        key = f"audio/{episode.slug}-{sha[:10]}{PUBLISHED_EXTENSION.get(ext, ext)}"
        os.replace(tmp, self.build_dir / key)
        checkpoint(f"tagged:{episode.slug}")
        record = MediaRecord(
            fingerprint=fingerprint,
            key=key,
            size=info.size,
            sha256=sha,
            mime=content_type_for(key),
            duration=round(info.duration, 3),
        )
        self.new_manifest.media[episode.guid or ""] = record
        return self.file_artifact(self.build_dir / key, None, STAGE_MEDIA, sha=sha), record

    def chapters_artifacts(self, episode: Episode) -> list[Artifact]:
        """The Podcasting 2.0 chapters file of an episode (the feed's podcast:chapters), last,
        after the chapter images it points at."""
        arts, urls = [], {}
        for i, path in chapter_images(self.config, episode).items():
            art = self.file_artifact(path, f"images/chapters/{episode.slug}-{i}", STAGE_MEDIA)
            arts.append(art)
            urls[i] = self.config.url(art.key)
        data = media.chapters_json(episode.chapters, urls)
        sha = hashlib.sha256(data).hexdigest()
        key = f"chapters/{episode.slug}-{sha[:10]}.chapters.json"
        return [*arts, self.bytes_artifact(key, data, STAGE_ASSET)]

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
        """Drop tagged copies and chapter files no episode refers to any more."""
        keep = {rec.key for rec in self.new_manifest.media.values()} | set(
            self.new_manifest.objects
        )
        for folder in ("audio", "chapters"):
            self._clean(self.build_dir / folder, keep)

    def _clean(self, folder: Path, keep: set[str]) -> None:
        if folder.is_dir():
            for path in folder.iterdir():
                if path.relative_to(self.build_dir).as_posix() not in keep:
                    if path.is_dir():
                        shutil.rmtree(path)
                    else:
                        path.unlink()


def transcript_type(path: Path | None) -> str | None:
    """podcast:transcript type for a transcript file (fixed table, by extension)."""
    return feed.TRANSCRIPT_TYPES.get(path.suffix.lower()) if path else None


def feed_guid(data: bytes) -> str:
    """The podcast:guid a built feed carries (remembered so it never changes)."""
    from lxml import etree

    found = etree.fromstring(data).findtext(f"channel/{{{feed.PODCAST_NS}}}guid")
    return (found or "").strip()
