"""An RSS 2.0 podcast feed (iTunes, Podcasting 2.0, content, Podlove chapters) -> the
neutral :class:`Feed` model the feed import maps onto config.toml and episode files.

lxml, not feedparser: feedparser flattens unknown namespaces (``podcast:person`` keeps only
its attributes, ``podcast:transcript`` only the last of several) and recovers from broken
XML silently; the import needs every attribute and must say when a feed is not XML. The
parser resolves no entities and fetches nothing (no XXE, no billion laughs).
"""

from __future__ import annotations

import email.utils
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree

from ..errors import Problem

#: namespace URI (lower-cased) -> the prefix this module names it by; both Podcasting 2.0
#: URIs are in use (the GitHub one by older generators), and some feeds misspell Atom's
NAMESPACES = {
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "https://podcastindex.org/namespace/1.0": "podcast",
    "https://github.com/podcastindex-org/podcast-namespace/blob/main/docs/1.0.md": "podcast",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://www.w3.org/2005/atom": "atom",
    "http://www.w3.org/2005/atom/": "atom",
    "http://podlove.org/simple-chapters": "psc",
    "http://search.yahoo.com/mrss/": "media",
}
MAX_FEED_BYTES = 64 * 1024 * 1024
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")


class FeedSyntaxError(ValueError):
    """The document is not a readable RSS feed; ``field`` says where."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class Person:
    name: str
    role: str = "host"
    group: str = "cast"
    href: str | None = None
    img: str | None = None


@dataclass
class Transcript:
    url: str
    type: str
    language: str | None = None


@dataclass
class Item:
    """One ``<item>`` as the feed states it (URLs absolute)."""

    index: int  # 1-based position in the feed
    title: str
    guid: str
    guid_from: str  # "guid" | "enclosure"
    start: datetime
    enclosure_url: str
    enclosure_type: str | None
    enclosure_length: int | None
    html: str = ""  # content:encoded, else description, else itunes:summary
    subtitle: str | None = None
    link: str | None = None
    duration: float | None = None
    explicit: bool | None = None
    season: int | None = None
    episode: int | None = None
    episode_type: str | None = None
    image_url: str | None = None
    chapters_url: str | None = None
    psc_chapters: list[dict[str, object]] = field(default_factory=list)
    transcripts: list[Transcript] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    license: str | None = None

    def label(self) -> str:
        return f"item {self.index} ('{self.title[:60]}')"


@dataclass
class Channel:
    title: str
    html: str = ""
    author: str | None = None
    owner_name: str | None = None
    owner_email: str | None = None
    language: str | None = None
    categories: list[tuple[str, str | None]] = field(default_factory=list)
    explicit: bool | None = None
    image_url: str | None = None
    link: str | None = None
    copyright: str | None = None
    type: str | None = None
    guid: str | None = None
    locked: bool | None = None
    locked_owner: str | None = None
    funding: list[tuple[str, str]] = field(default_factory=list)
    license: str | None = None
    license_url: str | None = None
    persons: list[Person] = field(default_factory=list)
    self_url: str | None = None
    new_feed_url: str | None = None
    generator: str | None = None


@dataclass
class Feed:
    channel: Channel
    items: list[Item]
    base_url: str | None
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _key(el: etree._Element) -> str:
    """``itunes:image`` for an element in a known namespace, ``title`` for plain RSS."""
    qname = etree.QName(el)
    if not qname.namespace:
        return qname.localname
    prefix = NAMESPACES.get(qname.namespace.lower().rstrip(), qname.namespace)
    return f"{prefix}:{qname.localname}"


def _children(parent: etree._Element) -> dict[str, list[etree._Element]]:
    out: dict[str, list[etree._Element]] = {}
    for el in parent:
        if isinstance(el.tag, str):
            out.setdefault(_key(el), []).append(el)
    return out


def _text(kids: dict[str, list[etree._Element]], *keys: str) -> str | None:
    """The first non-empty text among ``keys`` (whitespace trimmed)."""
    for key in keys:
        for el in kids.get(key, []):
            value = (el.text or "").strip()
            if value:
                return value
    return None


def _attr(kids: dict[str, list[etree._Element]], key: str, name: str) -> str | None:
    for el in kids.get(key, []):
        value = (el.get(name) or "").strip()
        if value:
            return value
    return None


def plain(text: str | None) -> tuple[str | None, bool]:
    """A title-like value without markup: tags dropped, entities decoded, whitespace
    collapsed; the flag says whether there was HTML to remove."""
    if text is None:
        return None, False
    had_html = bool(_TAG.search(text)) or bool(re.search(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", text))
    value = html.unescape(_TAG.sub(" ", text)) if had_html else text
    value = " ".join(value.split())
    return value or None, had_html


def parse_date(value: str | None) -> datetime | None:
    """RFC 2822 (what RSS uses), else ISO 8601; a date without a zone is read as UTC."""
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_duration(value: str | None) -> float | None:
    """``itunes:duration``: seconds, ``MM:SS`` or ``HH:MM:SS``."""
    if not value or not re.fullmatch(r"\d+(:\d{1,2}){0,2}(\.\d+)?", value.strip()):
        return None
    seconds = 0.0
    for part in value.strip().split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def parse_flag(value: str | None) -> bool | None:
    if value is None:
        return None
    word = value.strip().lower()
    if word in ("yes", "true", "explicit"):
        return True
    if word in ("no", "false", "clean"):
        return False
    return None


def _int(value: str | None) -> int | None:
    if value and re.fullmatch(r"\s*\d+\s*", value) and int(value) > 0:
        return int(value)
    return None


def parse(data: bytes, base_url: str | None, label: str) -> Feed:
    """Read the feed document ``data``; ``base_url`` is the feed's own URL (relative URLs
    are resolved against it). Raises :class:`FeedSyntaxError` when it is not RSS; problems
    with single items are collected in ``Feed.problems``."""
    if len(data) > MAX_FEED_BYTES:
        raise FeedSyntaxError("size", f"{len(data)} bytes is more than a feed can be (64 MB)")
    body = data.lstrip(b"\xef\xbb\xbf \t\r\n")  # a BOM or blank lines before <?xml
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        where = f"line {exc.lineno}" if exc.lineno else "xml"
        raise FeedSyntaxError(where, f"not well-formed XML ({exc.msg})") from None
    if etree.QName(root).localname != "rss":
        raise FeedSyntaxError("xml", f"not an RSS 2.0 feed (the root is <{root.tag}>)")
    channel_el = root.find("channel")
    if channel_el is None:
        raise FeedSyntaxError("channel", "missing <channel>")
    kids = _children(channel_el)
    self_url = next(
        (el.get("href") for el in kids.get("atom:link", []) if el.get("rel") == "self"), None
    )
    base = base_url or self_url
    feed = Feed(channel=_channel(kids, base), items=[], base_url=base)
    feed.channel.self_url = self_url
    for index, el in enumerate(kids.get("item", []), start=1):
        item = _item(feed, el, index, label)
        if item is not None:
            feed.items.append(item)
    _check_guids(feed, label)
    return feed


def _url(feed_base: str | None, value: str | None) -> tuple[str | None, bool]:
    """An absolute http(s) URL and whether it was relative; None when unusable."""
    if not value:
        return None, False
    value = value.strip()
    relative = not urlsplit(value).scheme
    if relative:
        if not feed_base:
            return None, True
        value = urljoin(feed_base, value)
    return (value if urlsplit(value).scheme in ("http", "https") else None), relative


def _channel(kids: dict[str, list[etree._Element]], base: str | None) -> Channel:
    title, _ = plain(_text(kids, "title", "itunes:title"))
    owner = (kids.get("itunes:owner") or [None])[0]
    owner_kids = _children(owner) if owner is not None else {}
    categories: list[tuple[str, str | None]] = []
    for el in kids.get("itunes:category", []):
        name = (el.get("text") or "").strip()
        subs = [s.get("text", "").strip() for s in el if _key(s) == "itunes:category"]
        if name:
            categories.extend([(name, s) for s in subs if s] or [(name, None)])
    image = _attr(kids, "itunes:image", "href")
    if not image:
        image_el = (kids.get("image") or [None])[0]
        image = _text(_children(image_el), "url") if image_el is not None else None
    locked = (kids.get("podcast:locked") or [None])[0]
    license_el = (kids.get("podcast:license") or [None])[0]
    return Channel(
        title=title or "",
        html=_text(kids, "itunes:summary", "description") or "",
        author=plain(_text(kids, "itunes:author"))[0],
        owner_name=plain(_text(owner_kids, "itunes:name"))[0],
        owner_email=_text(owner_kids, "itunes:email"),
        language=_text(kids, "language"),
        categories=categories,
        explicit=parse_flag(_text(kids, "itunes:explicit")),
        image_url=_url(base, image)[0],
        link=_url(base, _text(kids, "link"))[0],
        copyright=plain(_text(kids, "copyright"))[0],
        type=(_text(kids, "itunes:type") or "").lower() or None,
        guid=(_text(kids, "podcast:guid") or "").lower() or None,
        locked=parse_flag(locked.text) if locked is not None else None,
        locked_owner=locked.get("owner") if locked is not None else None,
        funding=[
            (url, plain(el.text)[0] or url)
            for el in kids.get("podcast:funding", [])
            if (url := _url(base, el.get("url"))[0])
        ],
        license=(license_el.text or "").strip() or None if license_el is not None else None,
        license_url=_url(base, license_el.get("url"))[0] if license_el is not None else None,
        persons=_persons(kids, base),
        new_feed_url=_text(kids, "itunes:new-feed-url"),
        generator=_text(kids, "generator"),
    )


def _persons(kids: dict[str, list[etree._Element]], base: str | None) -> list[Person]:
    people = []
    for el in kids.get("podcast:person", []):
        name, _ = plain(el.text)
        if name:
            people.append(
                Person(
                    name=name[:128],
                    role=(el.get("role") or "host").strip().lower(),
                    group=(el.get("group") or "cast").strip().lower(),
                    href=_url(base, el.get("href"))[0],
                    img=_url(base, el.get("img"))[0],
                )
            )
    return people


def _item(feed: Feed, el: etree._Element, index: int, label: str) -> Item | None:
    kids = _children(el)
    base = feed.base_url
    raw_title = _text(kids, "title", "itunes:title")
    title, had_html = plain(raw_title)
    where = f"item {index} ('{(title or '(untitled)')[:60]}')"

    def problem(field_name: str, message: str) -> None:
        feed.problems.append(Problem(None, f"{label}: {where}: {field_name}", message))

    def warn(message: str) -> None:
        feed.warnings.append(f"{label}: {where}: {message}")

    if had_html:
        warn(f"title: HTML removed ({raw_title!r} -> {title!r})")
    enclosure = (kids.get("enclosure") or [None])[0]
    raw_url = enclosure.get("url") if enclosure is not None else None
    url, relative = _url(base, raw_url)
    if not title:
        problem("title", "missing or empty; give the item a title in the old feed")
        return None
    if enclosure is None or not raw_url:
        warn("no <enclosure>: not a podcast episode, left out (apps skip it too)")
        return None
    if url is None:
        why = "is relative and the feed's own URL is unknown" if relative else "is not http(s)"
        problem("enclosure", f"{raw_url!r} {why}; import the feed by its URL")
        return None
    if relative:
        warn(f"enclosure: relative URL {raw_url!r} resolved against the feed URL to {url}")
    guid = _text(kids, "guid")
    guid_from = "guid"
    if guid is None:
        guid, guid_from = url, "enclosure"
        warn(
            "guid: missing; using the enclosure URL, as Apple Podcasts does "
            "(gPodder uses <link> when there is one)"
        )
    guid_el = (kids.get("guid") or [None])[0]
    permalink = guid_el is not None and (guid_el.get("isPermaLink") or "true").lower() == "true"
    if guid_from == "guid" and permalink and not urlsplit(guid).scheme:
        warn(
            f'guid: {guid!r} is not a URL but isPermaLink is not "false": gPodder knew it '
            "as a URL relative to the old feed and sees it as a new episode once"
        )
    start = parse_date(_text(kids, "pubDate", "dc:date"))
    if start is None:
        problem("pubDate", f"missing or not a date ({_text(kids, 'pubDate')!r}); add one")
        return None
    length_text = (enclosure.get("length") or "").strip()
    length = int(length_text) if length_text.isdigit() and int(length_text) > 0 else None
    image = _attr(kids, "itunes:image", "href") or _attr(kids, "podcast:images", "srcset")
    chapters = (kids.get("podcast:chapters") or [None])[0]
    license_el = (kids.get("podcast:license") or [None])[0]
    keywords = _text(kids, "itunes:keywords") or ""
    return Item(
        index=index,
        title=title,
        guid=guid,
        guid_from=guid_from,
        start=start,
        enclosure_url=url,
        enclosure_type=(enclosure.get("type") or "").strip().lower() or None,
        enclosure_length=length,
        html=_text(kids, "content:encoded", "description", "itunes:summary") or "",
        subtitle=plain(_text(kids, "itunes:subtitle"))[0],
        link=_url(base, _text(kids, "link"))[0],
        duration=parse_duration(_text(kids, "itunes:duration")),
        explicit=parse_flag(_text(kids, "itunes:explicit")),
        season=_int(_text(kids, "itunes:season", "podcast:season")),
        episode=_int(_text(kids, "itunes:episode", "podcast:episode")),
        episode_type=(_text(kids, "itunes:episodeType") or "").lower() or None,
        image_url=_url(base, (image or "").split(" ")[0] or None)[0],
        chapters_url=_url(base, chapters.get("url"))[0] if chapters is not None else None,
        psc_chapters=_psc_chapters(kids),
        transcripts=[
            Transcript(u, (t.get("type") or "").strip().lower(), t.get("language"))
            for t in kids.get("podcast:transcript", [])
            if (u := _url(base, t.get("url"))[0])
        ],
        persons=_persons(kids, base),
        keywords=[k.strip() for k in re.split(r"[,;]", keywords) if k.strip()][:20],
        license=(license_el.text or "").strip() or None if license_el is not None else None,
    )


def _psc_chapters(kids: dict[str, list[etree._Element]]) -> list[dict[str, object]]:
    """Podlove simple chapters (``psc:chapters``) as front-matter chapter tables."""
    out: list[dict[str, object]] = []
    for group in kids.get("psc:chapters", []):
        for el in group:
            if not isinstance(el.tag, str) or _key(el) != "psc:chapter":
                continue
            start = parse_duration((el.get("start") or "").strip())
            title, _ = plain(el.get("title"))
            if start is not None and title:
                chapter: dict[str, object] = {"start": start, "title": title}
                if (el.get("href") or "").startswith(("http://", "https://")):
                    chapter["url"] = el.get("href")
                out.append(chapter)
    return out


def _check_guids(feed: Feed, label: str) -> None:
    """Two items with one guid are one episode to every app: refuse to guess which."""
    seen: dict[str, Item] = {}
    for item in feed.items:
        other = seen.setdefault(item.guid, item)
        if other is not item:
            feed.problems.append(
                Problem(
                    None,
                    f"{label}: {item.label()}: guid",
                    f"'{item.guid}' is also the guid of {other.label()}; apps keep only one "
                    "of them: save the feed to a file, fix or remove one, import the file",
                )
            )
