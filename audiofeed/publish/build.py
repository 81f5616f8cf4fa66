"""Builds every artifact of a show into ``.audiofeed/build``: tagged media, art, transcripts,
chapters, pages, feeds and the manifest."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import feed, media, rules, shownotes
from ..common.checkpoint import checkpoint
from ..common.codestamp import code_digest
from ..common.memo import Recall
from ..errors import EpisodeError, MediaError, Problem, ValidationError
from ..show.catalog import Catalog, Episode, about_episode, programme_order
from ..show.config import Config
from ..storage import Artifact, Backend, RemoteObject, cache_control_for, content_type_for
from ..storage.plan import STAGE_ASSET, STAGE_FEED, STAGE_MANIFEST, STAGE_MEDIA
from . import cues, mastering
from .archive import ArchiveArtifacts
from .deploy import verify
from .state import (
    MANIFEST_KEY,
    STATE_DIR,
    Manifest,
    MediaRecord,
    Memo,
    ProbeCache,
    TaggedIndex,
    write_atomic,
)
from .tagging import PUBLISHED_EXTENSION, chapter_images, media_fingerprint, media_key, media_tags
from .upload import Destination, WorkerUploads

log = logging.getLogger("audiofeed")

#: a caption transcript's other format, published beside it when present
COMPANION = {".vtt": ".srt", ".srt": ".vtt"}


def latest_copy(build_dir: Path, episode: Episode, suffix: str | None = None) -> Path | None:
    """The newest tagged build copy of an episode's recording (or of its master, whose
    ``suffix`` may differ), if any."""
    if episode.audio is None:
        return None
    ext = (suffix or episode.audio.suffix).lower()
    ext = PUBLISHED_EXTENSION.get(ext, ext)
    pattern = re.compile(rf"^{re.escape(episode.slug)}-[0-9a-f]{{10}}{re.escape(ext)}$")
    folder = build_dir / "audio"
    copies = [p for p in folder.glob(f"{episode.slug}-*{ext}") if pattern.match(p.name)]
    return max(copies, key=lambda p: p.stat().st_mtime_ns, default=None)


class Builder(ArchiveArtifacts):
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
        jobs: int | None = None,
        master_progress: mastering.MasterProgress | None = None,
        skip_broken: bool = False,
        backend: Backend | None = None,
        workers_upload: Destination | None = None,
        dry_run: bool = False,
    ):
        self.config = config
        #: an S3 destination: on a cluster (not in a dry run) the workers upload the tagged
        #: media to it (upload.py); ``backend`` (the same place) checks what they uploaded
        self.backend = backend
        self.workers_upload = workers_upload
        self.dry_run = dry_run
        #: facts of masters that are not on this machine (a worker's probe of them)
        self.known: dict[Path, dict] = {}
        self.jobs = jobs
        #: with ``skip_broken``, the problems of recordings left out of this publish (or
        #: kept at their published version) instead of stopping it
        self.skip_broken = skip_broken
        self.broken: list[Problem] = []
        self.master_progress = master_progress
        self.mastered: dict[Path, mastering.Mastered] | None = None
        self.catalog = catalog
        self.manifest = manifest
        self.remote = remote
        self.retag = retag
        self.build_dir = config.root / STATE_DIR / "build"
        self.cache = ProbeCache(config.root / STATE_DIR / "cache.json")
        self.tagged = TaggedIndex(config.root / STATE_DIR / "tagged.json", self.build_dir)
        self.new_manifest = Manifest()
        # HTML of the descriptions as the last run rendered them: a republish renders only
        # what changed
        self.notes = Memo(config.root / STATE_DIR / "notes.json", shownotes.cache_version())
        shownotes.seed_cache(self.notes.load())
        # pages rendered by the last run, by the digest of their inputs
        self.pages = Memo(config.root / STATE_DIR / "pages.json", code_digest())

    def build(self) -> list[Artifact]:
        cover = self.file_artifact(self.config.podcast.image, "images/cover", STAGE_MEDIA)
        cover_bytes = self.config.podcast.image.read_bytes()
        items, artifacts = [], [cover]
        problems = self.master()
        episodes: list[Episode] = []
        left_out: list[Episode] = []
        for n, episode in enumerate(self.catalog.episodes, 1):
            log.debug("preparing %d/%d %s", n, len(self.catalog.episodes), episode.path.name)
            try:
                if episode.audio is not None and episode.path not in (self.mastered or {}):
                    raise _Listed()  # its problem is listed
                episode = self.published_episode(episode)
                art, record = self.media(episode, cover_bytes)
            except (MediaError, EpisodeError, _Listed) as exc:
                if not isinstance(exc, _Listed):
                    problems.append(Problem(exc.path, exc.field or "audio", exc.message))
                if not self.skip_broken:
                    continue
                problems = self._set_aside(episode, problems)
                kept = self._published_version(episode)
                if kept is None:
                    left_out.append(episode)  # listed as waiting, like any session
                    continue
                art, record = kept
            episodes.append(episode)
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
            companions = self.companion_transcripts(episode) if transcript else []
            artifacts += [art for art, _ in companions]
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
                    more_transcripts=tuple((self.config.url(a.key), t) for a, t in companions),
                    image_url=self.config.url(image.key) if image else None,
                )
            )
        self.cache.save()
        self.tagged.save()
        if problems:
            raise ValidationError(problems=problems)
        # chapters as published (moved with a trim)
        self.catalog = dataclasses.replace(
            self.catalog,
            episodes=tuple(episodes),
            waiting=tuple(sorted((*self.catalog.waiting, *left_out), key=programme_order)),
        )
        artifacts += self.site_artifacts(items, cover.key)
        artifacts += self.feeds(items, self.config.url(cover.key))
        texts = [e.body for e in self.catalog.episodes] + [self.config.podcast.description]
        self.notes.save(shownotes.cached_html(texts))
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
        # items that passed every rule before are only checked against the others
        checked = Memo(self.config.root / STATE_DIR / "rules.json", code_digest())
        memo = Recall(checked.load())
        for key, data in built.items():
            problems += [p for p in rules.check_feed(key, data, memo) if p.severity == "error"]
            self.new_manifest.feeds[key] = guids.get(key) or feed_guid(data)
        checked.save(memo.after)
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

    def companion_transcripts(self, episode: Episode) -> list[tuple[Artifact, str]]:
        """The other caption format beside a WebVTT or SRT transcript (``x.srt`` next to
        ``x.vtt`` and the reverse), published as a second podcast:transcript."""
        path = episode.transcript
        other = COMPANION.get(path.suffix.lower()) if path else None
        sibling = path.with_suffix(other) if path and other else None
        if sibling is None or not sibling.is_file():
            return []
        art = self.file_artifact(sibling, f"transcripts/{episode.slug}", STAGE_MEDIA)
        return [(art, feed.TRANSCRIPT_TYPES[other])]  # type: ignore[index]

    # -- media ---------------------------------------------------------------------------
    def master(self) -> list[Problem]:
        """Master the recordings that need it (see mastering.py); the problems found."""
        uploads = None
        if self.workers_upload is not None:
            cover = self.config.podcast.image.read_bytes()
            uploads = WorkerUploads(self, self.workers_upload, cover, send=not self.dry_run)
        self.mastered, problems = mastering.prepare(
            self.config, self.catalog, jobs=self.jobs, progress=self.master_progress,
            uploads=uploads,
        )  # fmt: skip
        self.known = {m.audio: m.probe for m in self.mastered.values() if m.probe}
        self.check_uploaded([m.uploaded for m in self.mastered.values() if m.uploaded])
        by_audio = {e.audio: e for e in self.catalog.episodes if e.audio is not None}
        problems = [
            about_episode(by_audio[p.path], p) if p.path in by_audio else p for p in problems
        ]
        return problems

    def check_uploaded(self, records: list[MediaRecord]) -> None:
        """Each object a worker uploaded is in place (HEAD: size, sha256, type) before
        anything refers to it; then the plan sees it as published."""
        if not records:
            return
        assert self.backend is not None
        keys = [r.key for r in records]
        with ThreadPoolExecutor(max_workers=min(8, len(keys))) as pool:
            for record, stored in zip(records, pool.map(self.backend.head, keys), strict=True):
                verify(self.remote_artifact(record), stored)
                self.remote[record.key] = stored
        log.info("checked %d recording(s) the workers uploaded", len(records))

    def published(self, episode: Episode, fingerprint: str) -> MediaRecord | None:
        """The episode's published recording, if it is in place and made with these tags."""
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
            return old
        return None

    def audio_of(self, episode: Episode) -> Path | None:
        """The file an episode publishes: its recording, or the recording's master."""
        if self.mastered is None:
            self.master()
        found = (self.mastered or {}).get(episode.path)
        return found.audio if found else episode.audio

    def published_episode(self, episode: Episode) -> Episode:
        """The episode with its chapters moved by the trim at the start, if any."""
        found = (self.mastered or {}).get(episode.path)
        if found is None or not found.trimmed:
            return episode
        duration = self.source_facts(found.audio)["duration"]
        episode = mastering.shifted(episode, found.offset, duration)
        source = episode.transcript
        if source is not None and source.suffix.lower() in cues.TIMED:
            try:
                text = source.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeError) as exc:
                raise MediaError(f"cannot read {source.name}: {exc}", path=episode.path,
                                 field="transcript") from exc  # fmt: skip
            moved = cues.shift(text, source.suffix, found.offset, duration, episode.path)
            path = self.build_dir / ".transcripts" / f"{episode.slug}{source.suffix.lower()}"
            if not path.is_file() or path.read_text(encoding="utf-8") != moved:
                write_atomic(path, moved.encode())
            episode = dataclasses.replace(episode, transcript=path)
        return episode

    def source_facts(self, source: Path) -> dict:
        if source in self.known:  # a master that stayed on a cluster worker
            return self.known[source]
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
        audio = self.audio_of(episode)
        if audio is None:
            raise MediaError("no recording attached", path=episode.path, field="audio")
        facts = self.source_facts(audio)
        media.validate_chapters(episode.chapters, facts["duration"], episode.path)
        tags = media_tags(self.config, episode, cover, shownotes.render(episode))
        fingerprint = media_fingerprint(facts["sha256"], tags, self.config.tags)
        old = self.published(episode, fingerprint)
        found = (self.mastered or {}).get(episode.path)
        if old is None and found is not None and found.uploaded is not None:
            old = found.uploaded  # tagged and uploaded by a cluster worker, checked
            if old.fingerprint != fingerprint:
                raise MediaError(
                    f"the worker tagged {episode.audio} otherwise than this machine would; "
                    "give every worker the same audiofeed version",
                    path=episode.path,
                    field="audio",
                )
        if old is not None:
            self.new_manifest.media[episode.guid or ""] = old
            return self.remote_artifact(old), old
        built = None if self.retag else self.tagged.get(fingerprint)
        if built is not None:  # tagged for another destination (or a preview) already
            self.new_manifest.media[episode.guid or ""] = built
            path = self.build_dir / built.key
            return self.file_artifact(path, None, STAGE_MEDIA, sha=built.sha256), built
        ext = audio.suffix.lower()
        what = audio.name if audio == episode.audio else f"the master of {episode.audio}"
        log.info("tagging a copy of %s", what)
        tmp = self.build_dir / "audio" / f".{episode.slug}{ext}"
        checkpoint(f"tag:{episode.slug}")
        info = media.tag_copy(audio, tmp, tags, self.config.tags)
        sha = media.sha256_file(tmp)
        key = media_key(episode.slug, sha, ext)
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
        self.tagged.put(record)
        return self.file_artifact(self.build_dir / key, None, STAGE_MEDIA, sha=sha), record

    def _set_aside(self, episode: Episode, problems: list[Problem]) -> list[Problem]:
        """Move the problems of ``episode``'s recording to ``broken``; the rest stay."""
        mine = {episode.path, episode.audio}
        self.broken += [p for p in problems if p.path in mine]
        return [p for p in problems if p.path not in mine]

    def _published_version(self, episode: Episode) -> tuple[Artifact, MediaRecord] | None:
        """The recording this episode published last time, if it is still in place: a
        session whose new master is broken keeps what listeners already have."""
        old = self.manifest.media.get(episode.guid or "")
        have = self.remote.get(old.key) if old else None
        if old is None or have is None or have.size != old.size:
            return None
        log.info("%s: keeping the published recording", episode.path.name)
        self.new_manifest.media[episode.guid or ""] = old
        return self.remote_artifact(old), old

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
        if self.mastered is not None:
            mastering.prune(self.config, self.mastered)

    def _clean(self, folder: Path, keep: set[str]) -> None:
        if folder.is_dir():
            for path in folder.iterdir():
                if path.relative_to(self.build_dir).as_posix() not in keep:
                    if path.is_dir():
                        shutil.rmtree(path)
                    else:
                        path.unlink()


class _Listed(Exception):
    """An episode whose recording's problem the mastering stage already listed."""


def transcript_type(path: Path | None) -> str | None:
    """podcast:transcript type for a transcript file (fixed table, by extension)."""
    return feed.TRANSCRIPT_TYPES.get(path.suffix.lower()) if path else None


def feed_guid(data: bytes) -> str:
    """The podcast:guid a built feed carries (remembered so it never changes)."""
    from lxml import etree

    found = etree.fromstring(data).findtext(f"channel/{{{feed.PODCAST_NS}}}guid")
    return (found or "").strip()
