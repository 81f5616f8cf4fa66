"""Orchestration: load -> tag -> build -> plan -> apply. Logs progress, never prints."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import catalog as catalog_mod
from . import config as config_mod
from . import feed, frontmatter, media, rules, shownotes, site
from .catalog import Catalog, Episode
from .checkpoint import checkpoint
from .config import Config
from .errors import AudiofeedError, MediaError, Problem, ValidationError
from .state import MANIFEST_KEY, Manifest, MediaRecord, ProbeCache, write_atomic
from .storage import (
    Artifact,
    Backend,
    Plan,
    RemoteObject,
    cache_control_for,
    content_type_for,
    open_backend,
    plan,
)
from .storage.plan import STAGE_ASSET, STAGE_FEED, STAGE_MANIFEST, STAGE_MEDIA, STAGE_PAGE

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("audiofeed")

FEED_KEY = "feed.xml"
STATE_DIR = ".audiofeed"
TAG_FORMAT = 1  # bump when the way tags are written changes: every recording is re-tagged


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    prune: bool = False
    retag: bool = False
    base_url: str | None = None


@dataclass
class Report:
    """What a publish did (or, with --dry-run, would do)."""

    destination: str
    feed_url: str
    plan: Plan
    dry_run: bool
    episodes: int
    archive_url: str = ""
    assigned_guids: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

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


def publish(
    config_path: Path, options: Options = Options(), backend: Backend | None = None
) -> Report:
    """Build the show and bring the destination up to date; the feed goes live last."""
    config, catalog = load_show(config_path, options.base_url)
    with publish_lock(config.root, dry_run=options.dry_run):
        return _publish(config, catalog, options, backend)


def _publish(config: Config, catalog: Catalog, options: Options, backend: Backend | None) -> Report:
    catalog, assigned = assign_guids(catalog, dry_run=options.dry_run)
    checkpoint("loaded")
    backend = backend or open_backend(config.publish.destination, config.root)
    log.info("reading published state from %s", backend.describe())
    manifest_bytes = backend.get(MANIFEST_KEY)
    manifest = Manifest.from_bytes(manifest_bytes)
    remote = remote_state(manifest, backend.list(), manifest_bytes)
    builder = Builder(config, catalog, manifest, remote, retag=options.retag)
    artifacts = builder.build()
    checkpoint("built")
    the_plan = plan(artifacts, remote, prune=options.prune)
    report = Report(
        destination=backend.describe(),
        feed_url=config.url(FEED_KEY),
        archive_url=config.url(site.INDEX_KEY),
        plan=the_plan,
        dry_run=options.dry_run,
        episodes=len(catalog.episodes),
        assigned_guids=assigned,
        warnings=list(catalog.warnings),
    )
    if not options.dry_run:
        forget_overwritten(the_plan, manifest, backend, builder.build_dir)
        apply(the_plan, backend)
        checkpoint("applied")
        builder.clean()
    return report


@contextmanager
def publish_lock(root: Path, *, dry_run: bool) -> Iterator[None]:
    """One publish of a show at a time: a second one fails at once with a clear error.
    The kernel drops the lock when the process ends, however it ends (kill -9 included)."""
    if dry_run or fcntl is None:
        yield
        return
    path = root / STATE_DIR / "publish.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AudiofeedError(
                "another 'audiofeed publish' of this show is running; wait for it to finish",
                path=root,
            ) from None
        yield


def forget_overwritten(
    the_plan: Plan, manifest: Manifest, backend: Backend, build_dir: Path
) -> None:
    """Before overwriting published objects in place (pages, feeds), publish the old manifest
    without them. A run that dies half-way then leaves no checksum vouching for an object it
    may have replaced, so the next run compares it afresh instead of trusting a stale entry
    (which, for a same-size edit that was reverted, would skip the object for ever)."""
    stale = [a.key for a in the_plan.uploads if a.key in manifest.objects and a.key != MANIFEST_KEY]
    if not stale:
        return
    interim = dataclasses.replace(
        manifest, objects={k: v for k, v in manifest.objects.items() if k not in stale}
    )
    path = build_dir / ".interim-manifest.json"
    data = interim.to_bytes()
    write_atomic(path, data)
    backend.put(
        MANIFEST_KEY,
        path,
        content_type=content_type_for(MANIFEST_KEY),
        cache_control=cache_control_for(MANIFEST_KEY),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    checkpoint("interim-manifest")


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


def apply(
    the_plan: Plan, backend: Backend, progress: Callable[[int, int, str], None] | None = None
) -> None:
    """Upload in stage order (media … feed, manifest), then delete what --prune removes."""
    uploads = the_plan.uploads
    for n, action in enumerate(uploads, 1):
        art = action.artifact
        assert art is not None and art.path is not None, f"nothing local to upload for {art}"
        log.info("uploading %d/%d %s (%s bytes)", n, len(uploads), art.key, f"{art.size:,}")
        checkpoint(f"upload:{art.key}")
        stored = backend.put(
            art.key,
            art.path,
            content_type=art.content_type,
            cache_control=art.cache_control,
            sha256=art.sha256,
        )
        if stored.size != art.size:
            raise AudiofeedError(
                f"{art.key}: destination holds {stored.size} bytes, "
                f"expected {art.size}; nothing after it was published"
            )
        checkpoint(f"uploaded:{art.key}")
    for action in the_plan.deletions:
        log.info("deleting %s", action.key)
        checkpoint(f"delete:{action.key}")
        backend.delete(action.key)


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
            transcript = self.transcript(episode, problems)
            if transcript:
                artifacts.append(transcript)
            items.append(
                feed.FeedItem(
                    episode=episode,
                    notes=notes,
                    media_url=self.config.url(record.key),
                    media_length=record.size,
                    media_type=record.mime,
                    duration=record.duration,
                    transcript_url=self.config.url(transcript.key) if transcript else None,
                    transcript_type=transcript_type(episode.transcript) if transcript else None,
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
        checkpoint(f"tag:{episode.slug}")
        info = media.tag_copy(episode.audio, tmp, tags)
        sha = media.sha256_file(tmp)
        key = f"audio/{episode.slug}-{sha[:10]}{ext}"
        os.replace(tmp, self.build_dir / key)
        checkpoint(f"tagged:{episode.slug}")
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


def transcript_type(path: Path | None) -> str | None:
    """podcast:transcript type for a transcript file (fixed table, by extension)."""
    return feed.TRANSCRIPT_TYPES.get(path.suffix.lower()) if path else None


def feed_guid(data: bytes) -> str:
    """The podcast:guid a built feed carries (remembered so it never changes)."""
    from lxml import etree

    found = etree.fromstring(data).findtext(f"channel/{{{feed.PODCAST_NS}}}guid")
    return (found or "").strip()


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
