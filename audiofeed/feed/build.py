"""Catalog -> RSS 2.0 podcast feed bytes (iTunes + Podcasting 2.0) with feedgen."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from dataclasses import dataclass
from email.utils import format_datetime

from feedgen.feed import FeedGenerator

from .. import __version__
from ..show.catalog import Catalog, Episode
from ..show.config import MAIN_FEED_KEY, Config, FeedSpec
from ..shownotes import ShowNotes, clean_text
from . import podcast20 as p20

PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
GENERATOR = f"audiofeed {__version__}"
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


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
    transcript_url: str | None = None
    transcript_type: str | None = None
    more_transcripts: tuple[tuple[str, str], ...] = ()  # (url, type): the other caption format
    image_url: str | None = None  # episode art (itunes:image); the show cover applies otherwise


@dataclass(frozen=True)
class FeedAssets:
    """URLs of what the feed refers to besides the media."""

    feed_url: str
    image_url: str
    guid: str | None = None  # podcast:guid already assigned to this feed (kept for ever)


def as_html_text(text: str) -> str:
    """Plain text for an element podcast apps render as HTML (<description>): escaped, so
    a '<script>' someone typed shows as text instead of becoming markup in the app."""
    return html.escape(clean_text(text), quote=False)


def podcast_guid(feed_url: str) -> str:
    """The Podcasting 2.0 channel GUID: UUIDv5 of the feed URL without scheme and trailing /."""
    stripped = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, stripped))


def format_duration(seconds: float) -> str:
    """Whole seconds, as Apple recommends."""
    return str(max(1, round(seconds)))


def rfc2822(moment: dt.datetime) -> str:
    """The date format RSS uses (for reports and tests)."""
    return format_datetime(moment)


def filter_values(config: Config, episode: Episode) -> dict[str, str | None]:
    """The values a ``[[feeds]]`` filter matches against."""
    return {
        "day": episode.day,
        "track": episode.track,
        "room": episode.room,
        "language": episode.language or config.podcast.language,
        "season": str(episode.season) if episode.season else None,
        "episode_type": episode.episode_type,
    }


def newest_first(items: list[FeedItem]) -> list[FeedItem]:
    """Feed order: newest session first (FG-11: entries are appended in this order)."""
    return sorted(items, key=lambda i: (i.episode.start, i.episode.episode or 0), reverse=True)


def select(config: Config, spec: FeedSpec, items: list[FeedItem]) -> list[FeedItem]:
    """The items of one feed, newest first: filtered, then cut to ``latest``."""
    chosen = [i for i in newest_first(items) if spec.selects(filter_values(config, i.episode))]
    return chosen[: spec.latest] if spec.latest else chosen


def build(
    catalog: Catalog, items: list[FeedItem], assets: FeedAssets, spec: FeedSpec | None = None
) -> bytes:
    """Serialise one feed. Same inputs -> same bytes (lastBuildDate = newest pubDate)."""
    config = catalog.config
    spec = spec or FeedSpec()
    chosen = select(config, spec, items)
    fg = _channel(config, assets, spec)
    for item in chosen:
        _item(fg, config, item)
    newest = max((i.episode.start for i in chosen), default=None)
    fg.lastBuildDate(newest or EPOCH)  # FG-08: stable bytes, so conditional GET works
    return fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def build_all(
    catalog: Catalog, items: list[FeedItem], image_url: str, guids: dict[str, str] | None = None
) -> dict[str, bytes]:
    """Every feed the config declares (main feed first), keyed by object key."""
    config = catalog.config
    out = {}
    for spec in config.feeds:
        feed_url = config.url(spec.key)
        assets = FeedAssets(feed_url, image_url, (guids or {}).get(spec.key))
        out[spec.key] = build(catalog, items, assets, spec)
    return out


def _channel(config: Config, assets: FeedAssets, spec: FeedSpec) -> FeedGenerator:
    pod = config.podcast
    fg = FeedGenerator()
    fg.load_extension("podcast", rss=True, atom=False)
    fg.register_extension("audiofeed", p20.Channel, p20.Item, rss=True, atom=False)
    title = clean_text(spec.title or pod.title)
    fg.title(title)
    fg.description(as_html_text(spec.description or pod.description))
    fg.link(href=assets.feed_url, rel="self", type="application/rss+xml")  # first (FG-04)
    fg.link(href=pod.website, rel="alternate")
    fg.language(pod.language)
    if pod.copyright:
        fg.copyright(clean_text(pod.copyright))
    fg.generator(GENERATOR, uri=None)
    fg.image(url=assets.image_url, title=title, link=pod.website)
    fg.podcast.itunes_author(clean_text(pod.author))
    fg.podcast.itunes_owner(name=clean_text(pod.owner.name), email=pod.owner.email)
    fg.podcast.itunes_type(pod.type)
    fg.podcast.itunes_category(  # config.py validated these against the current list (FG-06)
        [{"cat": c.name, "sub": c.sub} if c.sub else {"cat": c.name} for c in pod.categories]
    )
    loc = pod.location
    main = spec.key == MAIN_FEED_KEY
    moved = pod.moved_from if main else None  # the show moved here from that feed
    guid = spec.guid or assets.guid or podcast_guid(moved or assets.feed_url)
    fg.audiofeed.tags = p20.ChannelTags(
        explicit=pod.explicit,
        image_url=assets.image_url,
        guid=guid,
        new_feed_url=assets.feed_url if moved else None,
        locked=pod.locked,
        locked_owner=pod.owner.email,
        license=pod.license,
        license_url=pod.license_url,
        funding=[(f.url, f.text) for f in pod.funding],
        medium=pod.medium,
        update_frequency=pod.update_frequency,
        complete=pod.complete,
        location=(loc.name, loc.geo, loc.osm) if loc else None,
        persons=[p20.P20Person(p.name, p.role, p.group, p.href, p.img) for p in pod.persons],
    )
    return fg


def persons(episode: Episode) -> list[p20.P20Person]:
    """Chairs as hosts, speakers as guests (podcast:person)."""
    return [
        p20.P20Person(p.name, role=role, href=p.url, img=p.image)
        for people, role in ((episode.chairs, "host"), (episode.speakers, "guest"))
        for p in people
    ]


def _item(fg: FeedGenerator, config: Config, item: FeedItem) -> None:
    e = item.episode
    fe = fg.add_entry(order="append")  # FG-11: keep the order we chose (newest first)
    fe.guid(e.guid, permalink=False)  # FG-05: always a guid, isPermaLink="false"
    fe.title(clean_text(e.title))
    fe.pubDate(e.start)
    fe.description(as_html_text(item.notes.summary))
    fe.content(item.notes.html, type="CDATA")
    fe.enclosure(item.media_url, str(item.media_length), item.media_type)  # FG-03
    fe.link(href=config.url(f"episodes/{e.slug}.html"))  # the episode's archive page
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
    transcripts = []
    if item.transcript_url and item.transcript_type:
        transcripts.append((item.transcript_url, item.transcript_type, e.language))
    transcripts += [(url, type_, e.language) for url, type_ in item.more_transcripts]
    fe.audiofeed.tags = p20.ItemTags(
        explicit=config.podcast.explicit if e.explicit is None else e.explicit,
        persons=persons(e),
        chapters_url=item.chapters_url,
        image_url=item.image_url,
        transcripts=transcripts,
        season=e.season,
        season_name=e.day,
        episode=e.episode,
        license=e.license,
    )
