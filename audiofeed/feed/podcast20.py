"""feedgen extension for the tags feedgen gets wrong or lacks (FG-01, FG-02, FG-07):
itunes:explicit true/false, itunes:image for any URL form, and Podcasting 2.0."""

from __future__ import annotations

from dataclasses import dataclass, field

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
CHAPTERS_TYPE = "application/json+chapters"
#: transcript file extension -> podcast:transcript type (fixed table, never mimetypes: FG-10)
TRANSCRIPT_TYPES = {
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".html": "text/html",
    ".txt": "text/plain",
}
#: timed formats: marked rel="captions"
CAPTION_TYPES = ("text/vtt", "application/x-subrip")


@dataclass(frozen=True)
class P20Person:
    name: str
    role: str = "host"
    group: str = "cast"
    href: str | None = None
    img: str | None = None


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _person(parent, person: P20Person) -> None:  # type: ignore[no-untyped-def]
    el = xml_elem(f"{{{PODCAST_NS}}}person", parent)
    el.attrib["role"] = person.role
    el.attrib["group"] = person.group
    if person.href:
        el.attrib["href"] = person.href
    if person.img:
        el.attrib["img"] = person.img
    el.text = person.name[:128]


@dataclass
class ChannelTags:
    """What the extension writes into <channel>."""

    explicit: bool = False
    image_url: str = ""
    guid: str = ""
    locked: bool | None = None
    locked_owner: str | None = None
    license: str | None = None
    license_url: str | None = None
    funding: list[tuple[str, str]] = field(default_factory=list)  # (url, text)
    medium: str = "podcast"
    update_frequency: str | None = None
    complete: bool = False
    location: tuple[str, str | None, str | None] | None = None  # name, geo, osm
    persons: list[P20Person] = field(default_factory=list)
    new_feed_url: str | None = None  # itunes:new-feed-url: this feed, after a move


class Channel(BaseExtension):
    """Channel-level tags; set ``tags`` before rendering."""

    def __init__(self) -> None:
        self.tags = ChannelTags()

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss):  # type: ignore[no-untyped-def]
        t = self.tags
        channel = rss[0]
        xml_elem(f"{{{ITUNES_NS}}}image", channel).attrib["href"] = t.image_url
        xml_elem(f"{{{ITUNES_NS}}}explicit", channel).text = _bool(t.explicit)
        if t.new_feed_url:
            xml_elem(f"{{{ITUNES_NS}}}new-feed-url", channel).text = t.new_feed_url
        if t.complete:
            xml_elem(f"{{{ITUNES_NS}}}complete", channel).text = "Yes"
        xml_elem(f"{{{PODCAST_NS}}}guid", channel).text = t.guid
        if t.locked is not None:
            el = xml_elem(f"{{{PODCAST_NS}}}locked", channel)
            el.text = "yes" if t.locked else "no"
            if t.locked_owner:
                el.attrib["owner"] = t.locked_owner
        xml_elem(f"{{{PODCAST_NS}}}medium", channel).text = t.medium
        if t.license:
            el = xml_elem(f"{{{PODCAST_NS}}}license", channel)
            el.text = t.license
            if t.license_url:
                el.attrib["url"] = t.license_url
        for url, text in t.funding:
            el = xml_elem(f"{{{PODCAST_NS}}}funding", channel)
            el.attrib["url"] = url
            el.text = text[:128]
        if t.update_frequency or t.complete:
            el = xml_elem(f"{{{PODCAST_NS}}}updateFrequency", channel)
            el.text = t.update_frequency or "Complete"
            if t.complete:
                el.attrib["complete"] = "true"
        if t.location:
            name, geo, osm = t.location
            el = xml_elem(f"{{{PODCAST_NS}}}location", channel)
            el.text = name[:128]
            if geo:
                el.attrib["geo"] = geo
            if osm:
                el.attrib["osm"] = osm
        for person in t.persons:
            _person(channel, person)
        return rss


@dataclass
class ItemTags:
    """What the extension writes into one <item>."""

    explicit: bool = False
    persons: list[P20Person] = field(default_factory=list)
    chapters_url: str | None = None
    image_url: str | None = None
    transcripts: list[tuple[str, str, str | None]] = field(default_factory=list)  # url,type,lang
    season: int | None = None
    season_name: str | None = None
    episode: int | None = None
    license: str | None = None


class Item(BaseEntryExtension):
    """Item-level tags; set ``tags`` before rendering."""

    def __init__(self) -> None:
        self.tags = ItemTags()

    def extend_rss(self, item):  # type: ignore[no-untyped-def]
        t = self.tags
        xml_elem(f"{{{ITUNES_NS}}}explicit", item).text = _bool(t.explicit)
        if t.image_url:  # attribute form for any URL (FG-02)
            xml_elem(f"{{{ITUNES_NS}}}image", item).attrib["href"] = t.image_url
        # item persons replace the channel's entirely (P2-person), so each item lists all
        for person in t.persons:
            _person(item, person)
        if t.chapters_url:
            el = xml_elem(f"{{{PODCAST_NS}}}chapters", item)
            el.attrib.update({"url": t.chapters_url, "type": CHAPTERS_TYPE})
        for url, type_, language in t.transcripts:
            el = xml_elem(f"{{{PODCAST_NS}}}transcript", item)
            el.attrib.update({"url": url, "type": type_})
            if language:
                el.attrib["language"] = language
            if type_ in CAPTION_TYPES:
                el.attrib["rel"] = "captions"
        if t.season:
            el = xml_elem(f"{{{PODCAST_NS}}}season", item)
            el.text = str(t.season)
            if t.season_name:
                el.attrib["name"] = t.season_name[:128]
        if t.episode:
            xml_elem(f"{{{PODCAST_NS}}}episode", item).text = str(t.episode)
        if t.license:
            xml_elem(f"{{{PODCAST_NS}}}license", item).text = t.license[:128]
        return item
