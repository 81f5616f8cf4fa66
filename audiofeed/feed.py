"""Catalog -> RSS 2.0 podcast feed bytes (iTunes + Podcasting 2.0) with feedgen."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from email.utils import format_datetime

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from . import __version__
from .catalog import Catalog, Episode
from .config import Config
from .shownotes import ShowNotes, clean_text

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
GENERATOR = f"audiofeed {__version__}"


@dataclass(frozen=True)
class FeedItem:
    """One episode as the feed needs it: catalog data, show notes and the published media."""

    episode: Episode
    notes: ShowNotes
    media_url: str
    media_length: int
    media_type: str
    duration: float
    chapters_url: str | None = None


@dataclass(frozen=True)
class FeedAssets:
    """URLs of what the feed refers to besides the media."""

    feed_url: str
    image_url: str


def podcast_guid(feed_url: str) -> str:
    """The Podcasting 2.0 channel GUID: UUIDv5 of the feed URL without scheme and trailing /."""
    stripped = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, stripped))


def format_duration(seconds: float) -> str:
    """Whole seconds, as Apple recommends."""
    return str(max(1, round(seconds)))


class _Channel(BaseExtension):
    """Channel tags feedgen gets wrong or lacks (FG-01, FG-02, FG-07)."""

    def __init__(self) -> None:
        self.explicit = False
        self.image_url = ""
        self.guid = ""

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss):  # type: ignore[no-untyped-def]
        channel = rss[0]
        xml_elem(f"{{{ITUNES_NS}}}image", channel).attrib["href"] = self.image_url
        xml_elem(f"{{{ITUNES_NS}}}explicit", channel).text = _bool(self.explicit)
        xml_elem(f"{{{PODCAST_NS}}}guid", channel).text = self.guid
        return rss


class _Item(BaseEntryExtension):
    """Item tags feedgen gets wrong (FG-01)."""

    def __init__(self) -> None:
        self.explicit = False

    def extend_rss(self, item):  # type: ignore[no-untyped-def]
        xml_elem(f"{{{ITUNES_NS}}}explicit", item).text = _bool(self.explicit)
        return item


def _bool(value: bool) -> str:
    return "true" if value else "false"


def build(catalog: Catalog, items: list[FeedItem], assets: FeedAssets) -> bytes:
    """Serialise the feed. Same inputs -> same bytes (lastBuildDate = newest pubDate)."""
    config = catalog.config
    fg = _channel(config, assets)
    for item in sorted(
        items, key=lambda i: (i.episode.start, i.episode.episode or 0), reverse=True
    ):
        _item(fg, config, item)
    newest = max((i.episode.start for i in items), default=None)
    fg.lastBuildDate(newest or dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    return fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def _channel(config: Config, assets: FeedAssets) -> FeedGenerator:
    pod = config.podcast
    fg = FeedGenerator()
    fg.load_extension("podcast", rss=True, atom=False)
    fg.register_extension("audiofeed", _Channel, _Item, rss=True, atom=False)
    fg.title(clean_text(pod.title))
    fg.description(clean_text(pod.description))
    fg.link(href=assets.feed_url, rel="self", type="application/rss+xml")  # first (FG-04)
    fg.link(href=pod.website, rel="alternate")
    fg.language(pod.language)
    if pod.copyright:
        fg.copyright(clean_text(pod.copyright))
    fg.generator(GENERATOR, uri=None)
    fg.image(url=assets.image_url, title=clean_text(pod.title), link=pod.website)
    fg.podcast.itunes_author(clean_text(pod.author))
    fg.podcast.itunes_owner(name=clean_text(pod.owner.name), email=pod.owner.email)
    fg.podcast.itunes_type(pod.type)
    fg.podcast.itunes_category(
        [{"cat": c.name, "sub": c.sub} if c.sub else {"cat": c.name} for c in pod.categories]
    )
    fg.audiofeed.explicit = pod.explicit
    fg.audiofeed.image_url = assets.image_url
    fg.audiofeed.guid = podcast_guid(assets.feed_url)
    return fg


def _item(fg: FeedGenerator, config: Config, item: FeedItem) -> None:
    e = item.episode
    fe = fg.add_entry(order="append")
    fe.guid(e.guid, permalink=False)
    fe.title(clean_text(e.title))
    fe.pubDate(e.start)
    fe.description(item.notes.summary)
    fe.content(item.notes.html, type="CDATA")
    fe.enclosure(item.media_url, str(item.media_length), item.media_type)
    fe.link(href=config.podcast.website)
    fe.podcast.itunes_duration(format_duration(item.duration))
    fe.podcast.itunes_episode_type(e.episode_type)
    if e.episode:
        fe.podcast.itunes_episode(e.episode)
    if e.season:
        fe.podcast.itunes_season(e.season)
    if e.speakers or e.chairs:
        fe.podcast.itunes_author(clean_text(", ".join(p.name for p in e.speakers or e.chairs)))
    if e.subtitle:
        fe.podcast.itunes_subtitle(clean_text(e.subtitle))
    fe.audiofeed.explicit = config.podcast.explicit if e.explicit is None else e.explicit


def rfc2822(moment: dt.datetime) -> str:
    """The date format RSS uses (for reports and tests)."""
    return format_datetime(moment)
