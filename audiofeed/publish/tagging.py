"""What goes into each recording: an episode (plus config and show notes) -> ``media.Tags``.

Used by publish (the Builder's media step and ``audiofeed tag``); docs/tagging.md lists
where each field ends up in each format.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from .. import media
from ..errors import MediaError
from ..media.images import mime_of
from ..show.catalog import Episode
from ..show.config import Config, TagSettings
from ..shownotes import ShowNotes
from .state import FEED_KEY

TAG_FORMAT = 2  # bump when the way tags are written changes: every recording is re-tagged
#: free text: an edit to the description changes the feed, not the audio (no re-upload)
FREE_TEXT = ("comment", "long_description")
IMAGE_TYPES = (".jpg", ".jpeg", ".png")
#: audio-only MP4 variants are published as .m4a (audio/x-m4a), the type Apple accepts
PUBLISHED_EXTENSION = {".m4b": ".m4a", ".mp4": ".m4a"}


def media_key(slug: str, sha256: str, suffix: str) -> str:
    """Where a tagged copy is published: content-addressed, so the same bytes, same key."""
    ext = suffix.lower()
    return f"audio/{slug}-{sha256[:10]}{PUBLISHED_EXTENSION.get(ext, ext)}"


def episode_page_url(config: Config, episode: Episode) -> str:
    """Where the archive site publishes an episode's page."""
    return config.url(f"episodes/{episode.slug}.html")


def media_tags(config: Config, episode: Episode, cover: bytes, notes: ShowNotes) -> media.Tags:
    """The tags written into an episode's recording."""
    pod = config.podcast
    people = episode.speakers or episode.chairs
    if episode.image is not None:
        cover = episode.image.read_bytes()
    images = chapter_images(config, episode)
    return media.Tags(
        title=episode.title,
        artist=", ".join(p.name for p in people) or pod.author,
        album=pod.title,
        album_artist=pod.author,
        date=episode.start.date().isoformat(),
        track=episode.episode,
        grouping=" / ".join(x for x in (episode.day, episode.track) if x) or None,
        comment=notes.summary,
        long_description=notes.text,
        copyright=episode.license or pod.copyright,
        language=episode.language or pod.language,
        url=episode_page_url(config, episode),
        feed_url=config.url(FEED_KEY),
        guid=episode.guid,
        category=pod.categories[0].name if pod.categories else None,
        keywords=episode.keywords,
        cover=cover,
        cover_mime=mime_of(cover) or "image/jpeg",
        chapters=episode.chapters,
        chapter_images=tuple(
            images[i].read_bytes() if i in images else None for i in range(len(episode.chapters))
        ),
    )


def chapter_images(config: Config, episode: Episode) -> dict[int, Path]:
    """Chapter number -> local image file (``image = "images/slide3.jpg"``); http(s) URLs are
    not files and are left to the chapters JSON. Raises for a missing or unusable file."""
    found: dict[int, Path] = {}
    for i, chapter in enumerate(episode.chapters):
        value = chapter.image
        if not value or value.startswith(("http://", "https://")):
            continue
        root = config.root.resolve()
        where = f"chapters[{i}].image"
        path = (root / value).resolve()
        if Path(value).is_absolute() or not path.is_relative_to(root):
            raise MediaError(
                f"{value!r} is outside the show folder", path=episode.path, field=where
            )
        if not path.is_file():
            raise MediaError(
                f"file {value!r} not found (paths are relative to {root}); or give an http(s) URL",
                path=episode.path,
                field=where,
            )
        if path.suffix.lower() not in IMAGE_TYPES:
            raise MediaError("must be a JPEG or PNG image", path=episode.path, field=where)
        found[i] = path
    return found


def media_fingerprint(
    source_sha: str, tags: media.Tags, settings: TagSettings | None = None
) -> str:
    """What makes a tagged copy: source bytes, tag settings and every tag except free text
    (FREE_TEXT), so editing a session description does not re-upload its audio."""
    values = _plain(tags)
    for name in FREE_TEXT:
        values.pop(name)
    values["cover"] = _sha(tags.cover)
    values["chapter_images"] = [_sha(x) for x in tags.chapter_images]
    blob = json.dumps(
        {
            "format": TAG_FORMAT,
            "source": source_sha,
            "tags": values,
            "settings": _settings(settings or TagSettings()),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _plain(tags: media.Tags) -> dict:
    """``dataclasses.asdict(tags)`` (the same JSON), without its deep copy of every field:
    only the chapters are dataclasses inside."""
    if tags.extra:
        return dataclasses.asdict(tags)
    values = dict(vars(tags))  # every field (a plain dataclass: no slots, no extras)
    values["chapters"] = [dataclasses.asdict(c) for c in tags.chapters]
    values["extra"] = {}
    return values


@lru_cache(maxsize=16)
def _settings(settings: TagSettings) -> dict:
    return dataclasses.asdict(settings)


@lru_cache(maxsize=256)
def _sha(data: bytes | None) -> str | None:
    """sha256 of art bytes; memoised, as every episode embeds the same cover (a bytes
    object caches its hash, so a repeat costs a dict lookup, not a 300 KB digest)."""
    return hashlib.sha256(data).hexdigest() if data else None
