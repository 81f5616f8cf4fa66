"""Feed model -> front matter values (episodes) and [podcast] values (config.toml).

Pure functions: what maps to what lives here, the fetching and writing in ``feed_import``.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from ..show.categories import validate_category
from . import feed_text
from .feed_rss import Channel, Item, Person

#: episode fields the feed import writes (and re-imports, keeping hand edits)
MANAGED = (
    "title",
    "subtitle",
    "start",
    "duration",
    "episode",
    "season",
    "episode_type",
    "explicit",
    "keywords",
    "license",
    "links",
    "speakers",
    "chair",
    "chapters",
    "audio",
    "image",
    "transcript",
    "source",
)
#: [podcast] keys the feed import writes into config.toml
CONFIG_MANAGED = (
    "title",
    "description",
    "author",
    "language",
    "categories",
    "explicit",
    "image",
    "website",
    "copyright",
    "type",
    "owner",
    "guid",
    "locked",
    "license",
    "license_url",
    "funding",
    "moved_from",
    "persons",
)
RECORDINGS = "recordings"
AUDIO_TYPES = {
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/mpeg3": ".mp3",
    "audio/x-mp3": ".mp3",
    "audio/x-mpeg": ".mp3",
    "audio/x-m4a": ".m4a",
    "audio/m4a": ".m4a",
    "audio/mp4": ".m4a",
    "audio/x-m4b": ".m4b",
    "audio/aac": ".aac",
    "audio/x-aac": ".aac",
    "audio/ogg": ".ogg",
    "audio/opus": ".opus",
    "audio/flac": ".flac",
    "audio/x-flac": ".flac",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
}
AUDIO_SUFFIXES = frozenset(AUDIO_TYPES.values()) | {".oga"}
#: podcast:transcript type -> file suffix, in the order one is chosen (the catalog keeps one)
TRANSCRIPT_TYPES = {
    "text/vtt": ".vtt",
    "application/x-subrip": ".srt",
    "application/srt": ".srt",
    "text/srt": ".srt",
    "application/json": ".json",
    "text/html": ".html",
    "text/plain": ".txt",
}
EPISODE_TYPES = ("full", "trailer", "bonus")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
LANGUAGE_RE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def audio_suffix(item: Item) -> str | None:
    """The recording's file suffix, from the enclosure type, else its URL."""
    if item.enclosure_type in AUDIO_TYPES:
        return AUDIO_TYPES[item.enclosure_type]
    suffix = PurePosixPath(urlsplit(item.enclosure_url).path).suffix.lower()
    return suffix if suffix in AUDIO_SUFFIXES else None


def image_suffix(url: str) -> str:
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    return ".png" if suffix == ".png" else ".jpg"


def transcript_choice(item: Item) -> tuple[str, str] | None:
    """(url, suffix) of the transcript to keep: VTT first, then SRT, JSON, HTML, text."""
    order = list(TRANSCRIPT_TYPES)
    known = [t for t in item.transcripts if t.type in TRANSCRIPT_TYPES]
    if not known:
        return None
    best = min(known, key=lambda t: order.index(t.type))
    return best.url, TRANSCRIPT_TYPES[best.type]


def file_targets(item: Item, slug: str) -> dict[str, tuple[str, str]]:
    """front matter field -> (URL, path relative to the show folder) of each file to fetch."""
    out = {}
    suffix = audio_suffix(item)
    if suffix:
        out["audio"] = (item.enclosure_url, f"{RECORDINGS}/{slug}{suffix}")
    if item.image_url:
        out["image"] = (item.image_url, f"{RECORDINGS}/{slug}{image_suffix(item.image_url)}")
    choice = transcript_choice(item)
    if choice:
        out["transcript"] = (choice[0], f"{RECORDINGS}/{slug}{choice[1]}")
    if item.chapters_url:
        out["chapters"] = (item.chapters_url, f"{RECORDINGS}/{slug}.chapters.json")
    return out


def clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def _person_table(person: Person, *, keep_role: bool) -> dict[str, str]:
    table = {"name": person.name}
    if keep_role and person.role not in ("guest", "host"):
        table["role"] = person.role.title()
    if person.href:
        table["url"] = person.href
    if person.img:
        table["image"] = person.img
    return table


def chapters_from_json(data: bytes) -> list[dict[str, Any]] | None:
    """A Podcasting 2.0 chapters file as front-matter chapter tables; None if unusable."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    raw = doc.get("chapters") if isinstance(doc, dict) else None
    if not isinstance(raw, list):
        return None
    out: list[dict[str, Any]] = []
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        start, title = entry.get("startTime"), entry.get("title")
        if isinstance(start, bool) or not isinstance(start, int | float) or start < 0:
            continue
        if not isinstance(title, str) or not title.strip():
            continue
        chapter: dict[str, Any] = {"start": round(float(start), 3), "title": title.strip()}
        url = entry.get("url")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            chapter["url"] = url
        if entry.get("toc") is False:
            chapter["toc"] = False
        if out and chapter["start"] <= out[-1]["start"]:
            continue  # the catalog needs strictly ascending starts
        out.append(chapter)
    return out or None


def episode_values(
    item: Item,
    channel: Channel,
    feed_url: str | None,
    files: dict[str, str],
    chapters: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """The managed front matter of one item; ``files``: field -> local path to use."""
    people = item.persons or channel.persons  # item persons replace the channel's
    hosts = [_person_table(p, keep_role=False) for p in people if p.role == "host"]
    guests = [_person_table(p, keep_role=True) for p in people if p.role != "host"]
    source = {
        "system": "feed",
        "id": item.guid,
        "feed": feed_url,
        "url": item.link,
        "enclosure": item.enclosure_url,
    }
    values: dict[str, Any] = {
        "title": item.title,
        "subtitle": (item.subtitle or "")[:255] or None,
        "start": item.start,
        "duration": clock(item.duration) if item.duration else None,
        "episode": item.episode,
        "season": item.season,
        "episode_type": item.episode_type if item.episode_type in EPISODE_TYPES else None,
        "explicit": item.explicit,
        "keywords": item.keywords,
        "license": item.license,
        "links": [{"title": "Episode page", "url": item.link}] if item.link else [],
        "speakers": guests,
        "chair": hosts[0] if len(hosts) == 1 else hosts,
        "chapters": chapters or item.psc_chapters or None,
        "source": {k: v for k, v in source.items() if v},
        **{k: v for k, v in files.items() if k in ("audio", "image", "transcript")},
    }
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}


def episode_body(item: Item) -> str:
    return feed_text.to_markdown(item.html)


_DEFAULT_PERSON = {("role", "host"), ("group", "cast")}


def channel_values(
    channel: Channel,
    items: list[Item],
    old_feed_url: str | None,
    image_path: str | None,
    warnings: list[str],
) -> dict[str, Any]:
    """The [podcast] values the feed states (each one valid for config.toml); what cannot
    be used is left out with a warning, so the existing value stays."""
    values: dict[str, Any] = {
        "title": channel.title,
        "description": feed_text.to_markdown(channel.html) or None,
        "author": channel.author or channel.owner_name,
        "explicit": channel.explicit,
        "image": image_path,
        "website": channel.link,
        "copyright": channel.copyright,
        "type": channel.type if channel.type in ("episodic", "serial") else None,
        "locked": channel.locked,
        "license": channel.license,
        "license_url": channel.license_url,
        "funding": [{"url": u, "text": t} for u, t in channel.funding],
        "persons": [
            {k: v for k, v in vars(p).items() if v and (k, v) not in _DEFAULT_PERSON}
            for p in channel.persons
        ],
        "moved_from": old_feed_url,
    }
    if not channel.link:
        warnings.append("website: the feed has no <link>; kept the old one: check it")
    unnumbered = [i for i in items if i.episode is None]
    if values["type"] == "serial" and unnumbered:
        values["type"] = "episodic"
        warnings.append(
            f"type: the old feed says serial, but {len(unnumbered)} item(s) have no "
            "itunes:episode, which a serial feed needs; imported as episodic: number "
            'them (episode = N) and set type = "serial"'
        )
    language = (channel.language or "").replace("_", "-").lower()
    if language and LANGUAGE_RE.match(language):
        values["language"] = language
    elif language:
        warnings.append(f"language: {channel.language!r} is not an ISO 639 code; kept the old one")
    categories = []
    for name, sub in channel.categories:
        message = validate_category(name, sub)
        if message:
            warnings.append(f"categories: left out: {message}")
        else:
            label = f"{name} > {sub}" if sub else name
            if label not in categories:
                categories.append(label)
    values["categories"] = categories
    if channel.owner_email and EMAIL_RE.match(channel.owner_email):
        values["owner"] = {
            "name": channel.owner_name or channel.author or channel.title,
            "email": channel.owner_email,
        }
    else:
        warnings.append("owner: the feed has no itunes:owner email; kept the old owner")
    if channel.guid:
        if UUID_RE.match(channel.guid):
            values["guid"] = channel.guid
        else:
            warnings.append(f"guid: podcast:guid {channel.guid!r} is not a UUID; left out")
    if channel.locked:
        owner = f" (owner {channel.locked_owner})" if channel.locked_owner else ""
        warnings.append(
            f"locked: the old feed says podcast:locked yes{owner}: hosts that honour it refuse "
            "to take the show over; set it to no at the old host before the move"
        )
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}
