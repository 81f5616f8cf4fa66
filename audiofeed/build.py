"""Builds every artifact of a show into ``.audiofeed/build``: tagged media, art, transcripts,
chapters, pages, feeds and the manifest."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
from pathlib import Path

from . import feed, media, rules, shownotes, site
from .catalog import Catalog, Episode
from .checkpoint import checkpoint
from .codestamp import code_digest
from .config import Config
from .errors import MediaError, Problem, ValidationError
from .memo import Recall
from .state import (
    MANIFEST_KEY,
    Manifest,
    MediaRecord,
    Memo,
    ProbeCache,
    TaggedIndex,
    write_atomic,
)
from .storage import (
    Artifact,
    RemoteObject,
    cache_control_for,
    content_type_for,
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
FEED_KEY = "feed.xml"
#: a caption transcript's other format, published beside it when present
COMPANION = {".vtt": ".srt", ".srt": ".vtt"}
STATE_DIR = ".audiofeed"


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

    # -- archive -------------------------------------------------------------------------
    def site_artifacts(self, items: list[feed.FeedItem], image_key: str) -> list[Artifact]:
        """The archive's pages, rendering only those whose inputs changed since the last
        build (the others are the files it left in the build folder, unchanged)."""
        wanted = self.config.site.search and bool(items)  # nothing to search in an empty show
        exe = site.search.executable() if wanted else None
        if wanted and exe is None:
            log.warning(
                "archive: no search box (pagefind is not installed: %s)", site.search.INSTALL_HINT
            )
        assets = site.SiteAssets(feed_key=FEED_KEY, image_key=image_key, search=exe is not None)
        compiled = self.config.root / STATE_DIR / "templates"  # Jinja2's bytecode cache
        rendered = Memo(self.config.root / STATE_DIR / "index.json", code_digest())
        entries = Recall(rendered.load())
        pages = site.site_pages(self.catalog, items, assets, compiled, entries)
        before, after, arts = self.pages.load(), {}, []
        for page in sorted(pages, key=lambda p: p.key):
            stage = STAGE_ASSET if page.key.startswith("assets/") else STAGE_PAGE
            entry = before.get(page.key)
            art = self.unchanged_artifact(page.key, entry, page.inputs, stage)
            if art is None:
                art = self.bytes_artifact(page.key, page.render(), stage)
                st = os.stat(art.path)  # type: ignore[arg-type]
                entry = [page.inputs, art.sha256, st.st_size, st.st_mtime_ns]
            after[page.key] = entry
            arts.append(art)
        self.pages.save(after)
        if entries.after:  # the index was rendered
            rendered.save(entries.after)
        return arts + (self.search_artifacts(arts, exe) if exe else [])

    def search_artifacts(self, pages: list[Artifact], exe: Path) -> list[Artifact]:
        """Pagefind's index of the session pages (``pagefind/``), rebuilt only when one of
        them changed since the last build."""
        sessions = {a.key: a.sha256 for a in pages if a.key.startswith("episodes/")}
        language = self.config.podcast.language
        inputs = site.search.inputs_digest(sessions, language)
        memo = Memo(self.config.root / STATE_DIR / "search.json", code_digest())
        before = memo.load()
        files = before.get("files") if before.get("inputs") == inputs else None
        arts = [
            self.unchanged_artifact(k, e, inputs, STAGE_ASSET) for k, e in (files or {}).items()
        ]
        if not files or None in arts:
            log.debug("indexing %d session pages for the archive search", len(sessions))
            out = self.build_dir / site.search.FOLDER
            paths = {key: self.build_dir / key for key in sessions}
            keys = site.search.build_index(paths, out, language, exe)
            arts = [self.file_artifact(self.build_dir / k, None, STAGE_ASSET) for k in keys]
            files = {}
            for art in arts:
                st = os.stat(art.path)  # type: ignore[arg-type]
                files[art.key] = [inputs, art.sha256, st.st_size, st.st_mtime_ns]
        memo.save({"inputs": inputs, "files": files})
        return [a for a in arts if a is not None]

    def unchanged_artifact(
        self, key: str, entry: object, inputs: str, stage: int
    ) -> Artifact | None:
        """The file a previous build rendered for the same inputs, if it is still there
        as that build left it (size and mtime)."""
        if not (isinstance(entry, list) and len(entry) == 4 and entry[0] == inputs):
            return None
        try:
            st = os.stat(f"{self.build_dir}/{key}")
        except OSError:
            return None
        if [st.st_size, st.st_mtime_ns] != entry[2:]:
            return None
        return Artifact(
            key=key,
            size=st.st_size,
            sha256=str(entry[1]),
            content_type=content_type_for(key),
            cache_control=cache_control_for(key),
            stage=stage,
            path=self.build_dir / key,
        )

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
        built = None if self.retag else self.tagged.get(fingerprint)
        if built is not None:  # tagged for another destination (or a preview) already
            self.new_manifest.media[episode.guid or ""] = built
            path = self.build_dir / built.key
            return self.file_artifact(path, None, STAGE_MEDIA, sha=built.sha256), built
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
        self.tagged.put(record)
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
