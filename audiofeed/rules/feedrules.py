"""Rules from feed-rules.md §1-5 and §7, run on the built feed's bytes (not on our inputs),
so they catch whatever produced the XML: our code, a feedgen change or a hand edit."""

from __future__ import annotations

import hashlib
import re
import uuid
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from lxml import etree

from ..common.memo import Recall
from ..errors import Problem
from ..show.categories import validate_category

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
PODCAST_GITHUB = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
KNOWN_NS = {"itunes": ITUNES, "content": CONTENT, "podcast": PODCAST, "atom": ATOM}

#: ENC-03/04: Apple's enclosure types and the extension each needs
APPLE_TYPES = {
    "audio/mpeg": (".mp3",),
    "audio/x-m4a": (".m4a",),
    "video/mp4": (".mp4",),
    "video/x-m4v": (".m4v",),
    "video/quicktime": (".mov",),
    "application/pdf": (".pdf",),
}
LANGUAGE_RE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
DURATION_RE = re.compile(r"^\d+(:[0-5]\d(:[0-5]\d)?)?$")
RFC2822_RE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} \w{3} \d{4} \d\d:\d\d(:\d\d)? ")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
COPYRIGHT_RE = re.compile(r"copyright|©|\(c\)|\b(19|20)\d\d\b", re.IGNORECASE)
MEDIUMS = {"podcast", "music", "video", "film", "audiobook", "newsletter", "blog", "course"}
MEDIUMS |= {m + "L" for m in MEDIUMS} | {"publisher", "mixed"}
PERSON_ROLES = {"host", "co-host", "guest host", "guest", "voice actor", "narrator"}
PERSON_ROLES |= {"announcer", "reporter"}
TRANSCRIPT_TYPES = {"text/plain", "text/html", "text/vtt", "application/json"}
TRANSCRIPT_TYPES |= {"application/x-subrip", "application/srt"}
DESCRIPTION_BYTES = 4000
CHAPTERS = "application/json+chapters"


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


class _Checker:
    def __init__(self, name: str):
        self.where = Path(name)
        self.problems: list[Problem] = []

    def add(self, rule: str, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.where, rule, message, severity))

    def warn(self, rule: str, message: str) -> None:
        self.add(rule, message, "warning")


def check_feed(name: str, data: bytes, memo: Recall | None = None) -> list[Problem]:
    """Every rule for one feed document; ``name`` is its key (``feed.xml``). ``memo``: the
    items that passed every item rule with nothing to report, by a digest of their XML; an
    item passed before is only checked against the others (guid and enclosure URL unique),
    as the rest of its rules gave nothing on the very same XML last time."""
    c = _Checker(name)
    if not data.lstrip().startswith(b"<?xml") or b"encoding" not in data[:100]:
        c.warn("XML-01", 'start with <?xml version="1.0" encoding="UTF-8"?>')
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        c.add("XML-01", f"not well-formed XML: {exc}; no client can read it")
        return c.problems
    if root.tag != "rss" or root.get("version") != "2.0":
        c.add("XML-01", 'root element must be <rss version="2.0">')
        return c.problems
    channels = root.findall("channel")
    if len(channels) != 1:
        c.add("XML-01", f"needs exactly one <channel>, found {len(channels)}")
        return c.problems
    _namespaces(c, root)
    channel = channels[0]
    _channel(c, channel)
    _p20_channel(c, channel)
    items = channel.findall("item")
    if not items:
        # a warning, not an error: a new show (or a day not yet held) may publish empty
        c.warn("CH-15", "no <item> yet; directories reject a feed without episodes")
    guids: dict[str, int] = {}
    urls: dict[str, int] = {}
    serial = (channel.findtext(_q(ITUNES, "type")) or "").strip() == "serial"
    selfs = [a.get("href") for a in channel.findall(_q(ATOM, "link")) if a.get("rel") == "self"]
    scheme = urlsplit(selfs[0] if selfs else "").scheme
    context = f"{serial} {scheme}\0".encode()
    for n, item in enumerate(items, 1):
        if memo is None:
            _item(c, item, n, guids, urls, serial, scheme)
            continue
        key = hashlib.blake2b(context + etree.tostring(item), digest_size=16).hexdigest()
        found = len(c.problems)
        if key in memo.before:
            _unique(c, item, n, guids, urls)
        else:
            _item(c, item, n, guids, urls, serial, scheme)
        if len(c.problems) == found:
            memo.after[key] = 1
    return c.problems


def _unique(
    c: _Checker, item: etree._Element, n: int, guids: dict[str, int], urls: dict[str, int]
) -> None:
    """The rules of an item that depend on the other items: IT-03 and ENC-01."""
    title = (item.findtext("title") or "").strip()
    where = f"item {n} ({title!r})" if title else f"item {n}"
    guid = (item.findtext("guid") or "").strip()
    if guid in guids:
        c.add("IT-03", f"{where}: <guid> {guid!r} is also used by item {guids[guid]}")
    guids.setdefault(guid, n)
    enc = item.find("enclosure")
    url = enc.get("url") if enc is not None else None
    if url:
        if url in urls:
            c.add("ENC-01", f"{where}: enclosure URL is also used by item {urls[url]}")
        urls.setdefault(url, n)


def _namespaces(c: _Checker, root: etree._Element) -> None:
    used = {el.tag.split("}")[0][1:] for el in root.iter() if isinstance(el.tag, str)}
    used = {ns for ns in used if ns}
    for prefix, ns in KNOWN_NS.items():
        for other in used:
            if other != ns and other.lower().rstrip("/") == ns.lower().rstrip("/"):
                c.add("XML-02", f"{prefix} namespace {other!r} must be exactly {ns!r}")
    if PODCAST_GITHUB in used:
        c.warn("P2-00", f"use the canonical podcast namespace {PODCAST!r}")
    if not any(ns == ITUNES for ns in used):
        c.add("XML-02", f"no itunes tags in namespace {ITUNES!r}; Apple ignores the feed")


def _text(c: _Checker, el: etree._Element | None, rule: str, what: str) -> str:
    """Text of an element, warning on leading/trailing whitespace (XML-04)."""
    if el is None or el.text is None:
        return ""
    if el.text != el.text.strip() and "\n" not in el.text.strip():
        c.warn("XML-04", f"{what} has leading or trailing spaces")
    return el.text.strip()


def _date(c: _Checker, value: str, what: str) -> None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None or not RFC2822_RE.match(value):
        c.add("XML-06", f"{what} {value!r} is not an RFC 2822 date with weekday and zone")


def _is_url(value: str | None) -> bool:
    parts = urlsplit(value or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _channel(c: _Checker, ch: etree._Element) -> None:
    title = _text(c, ch.find("title"), "CH-01", "channel title")
    if not title:
        c.add("CH-01", "channel <title> is missing or empty")
    desc = ch.findtext("description") or ""
    if not desc.strip():
        c.add("CH-02", "channel <description> is missing or empty")
    elif len(desc.encode()) > DESCRIPTION_BYTES:
        c.add("CH-02", f"channel <description> is {len(desc.encode())} bytes; limit 4000")
    link = (ch.findtext("link") or "").strip()
    self_links = [a.get("href") for a in ch.findall(_q(ATOM, "link")) if a.get("rel") == "self"]
    if not _is_url(link):
        c.add("CH-03", "channel <link> must be the show's web page (absolute URL)")
    elif link in self_links:
        c.add("CH-03", "channel <link> is the feed URL; it must be the show's web page")
    if not self_links:
        c.warn("CH-11", 'add <atom:link rel="self" type="application/rss+xml" href=FEED_URL>')
    language = (ch.findtext("language") or "").strip()
    if not LANGUAGE_RE.match(language):
        c.add("CH-04", f"<language> {language!r} is not an ISO 639 code such as 'en-gb'")
    img = ch.find(_q(ITUNES, "image"))
    if img is None or not _is_url(img.get("href")):
        c.add("CH-05", '<itunes:image href="ABSOLUTE_URL"/> is missing (attribute form)')
    else:
        ext = PurePosixPath(urlsplit(img.get("href")).path).suffix.lower()
        if ext not in (".jpg", ".png"):
            c.add("ART-02", f"itunes:image URL ends {ext or 'without extension'}; use .jpg/.png")
    _categories(c, ch)
    explicit = (ch.findtext(_q(ITUNES, "explicit")) or "").strip()
    if explicit not in ("true", "false"):
        c.add("CH-07", f"<itunes:explicit> must be true or false, not {explicit or 'missing'!r}")
    if not (ch.findtext(_q(ITUNES, "author")) or "").strip():
        c.add("CH-08", "<itunes:author> is missing or empty (Spotify and Google require it)")
    owner = ch.find(_q(ITUNES, "owner"))
    if owner is None or not (owner.findtext(_q(ITUNES, "email")) or "").strip():
        c.warn("CH-09", "<itunes:owner> with <itunes:name> and <itunes:email> is missing")
    kind = (ch.findtext(_q(ITUNES, "type")) or "episodic").strip()
    if kind not in ("episodic", "serial"):
        c.add("CH-10", f"<itunes:type> must be episodic or serial, not {kind!r}")
    copyright_ = ch.findtext("copyright")
    if copyright_ and COPYRIGHT_RE.search(copyright_):
        c.warn("CH-12", "<copyright> should not contain the word Copyright, © or a year")
    if (ch.findtext(_q(ITUNES, "block")) or "").strip().lower() == "yes":
        c.add("CH-14", "<itunes:block>Yes</itunes:block> removes the whole show from Apple")
    image = ch.find("image")
    if image is None or not _is_url(image.findtext("url")):
        c.warn("CH-17", "add a plain RSS <image> with <url>, <title> and <link>")
    if not (ch.findtext("generator") or "").strip():
        c.warn("XML-07", "add a <generator>")
    last = ch.findtext("lastBuildDate")
    if last:
        _date(c, last.strip(), "<lastBuildDate>")


def _categories(c: _Checker, ch: etree._Element) -> None:
    cats = ch.findall(_q(ITUNES, "category"))
    if not cats:
        c.add("CH-06", "no <itunes:category>; add one from Apple's current list")
    for cat in cats:
        subs = cat.findall(_q(ITUNES, "category")) or [None]
        for sub in subs:
            name, subname = cat.get("text") or "", sub.get("text") if sub is not None else None
            message = validate_category(name, subname)
            if message:
                c.add("CAT-01", f"itunes:category: {message}")


def _p20_channel(c: _Checker, ch: etree._Element) -> None:
    guid = (ch.findtext(_q(PODCAST, "guid")) or "").strip()
    if guid and not UUID_RE.match(guid):
        c.add("P2-guid", f"podcast:guid {guid!r} is not a lowercase UUID")
    elif guid and uuid.UUID(guid).version != 5:
        c.warn("P2-guid", f"podcast:guid {guid!r} should be a UUIDv5 of the feed URL")
    locked = ch.find(_q(PODCAST, "locked"))
    if locked is not None and (locked.text or "").strip() not in ("yes", "no"):
        c.add("P2-locked", f"podcast:locked must be yes or no, not {locked.text!r}")
    medium = ch.findtext(_q(PODCAST, "medium"))
    if medium is not None and medium.strip() not in MEDIUMS:
        c.warn("P2-medium", f"podcast:medium {medium!r} is not a known medium")
    for el in ch.findall(_q(PODCAST, "funding")):
        if not _is_url(el.get("url")):
            c.add("P2-funding", "podcast:funding needs an absolute url attribute")
    freq = ch.find(_q(PODCAST, "updateFrequency"))
    if freq is not None and not (freq.text or "").strip():
        c.add("P2-updFreq", "podcast:updateFrequency needs text, e.g. 'Yearly'")
    loc = ch.find(_q(PODCAST, "location"))
    if loc is not None and not (loc.text or "").strip():
        c.add("P2-other", "podcast:location needs the place name as text")
    _license(c, ch, "channel")
    _persons(c, ch, "channel")


def _license(c: _Checker, el: etree._Element, where: str) -> None:
    lic = el.find(_q(PODCAST, "license"))
    if lic is not None and not (lic.text or "").strip():
        c.add("P2-license", f"{where}: podcast:license needs an identifier or a name")
    elif lic is not None and len(lic.text.strip()) > 128:
        c.add("P2-license", f"{where}: podcast:license is over 128 characters")


def _persons(c: _Checker, el: etree._Element, where: str) -> None:
    for person in el.findall(_q(PODCAST, "person")):
        name = (person.text or "").strip()
        if not name or len(name) > 128:
            c.add("P2-person", f"{where}: podcast:person needs a name of 1-128 characters")
        role = (person.get("role") or "host").lower()
        if role not in PERSON_ROLES and (person.get("group") or "cast").lower() == "cast":
            c.warn("P2-person", f"{where}: podcast:person role {role!r} is not in the taxonomy")


def _item(
    c: _Checker,
    item: etree._Element,
    n: int,
    guids: dict[str, int],
    urls: dict[str, int],
    serial: bool,
    scheme: str,
) -> None:
    title = _text(c, item.find("title"), "IT-01", f"item {n} title")
    where = f"item {n} ({title!r})" if title else f"item {n}"
    if not title:
        c.add("IT-01", f"{where}: <title> is missing or empty")
    _guid(c, item, where, n, guids)
    _enclosure(c, item, where, n, urls, scheme)
    pub = item.findtext("pubDate")
    if not pub:
        c.add("IT-05", f"{where}: <pubDate> is missing")
    else:
        _date(c, pub.strip(), f"{where}: <pubDate>")
    desc = item.findtext("description") or ""
    if len(desc.encode()) > DESCRIPTION_BYTES:
        c.warn("IT-06", f"{where}: <description> is {len(desc.encode())} bytes; limit 4000")
    duration = item.findtext(_q(ITUNES, "duration"))
    if duration is None or not DURATION_RE.match(duration.strip()):
        c.warn("IT-07", f"{where}: <itunes:duration> {duration!r} should be whole seconds")
    explicit = item.findtext(_q(ITUNES, "explicit"))
    if explicit is not None and explicit.strip() not in ("true", "false"):
        c.warn("IT-08", f"{where}: <itunes:explicit> must be true or false")
    for tag in ("episode", "season"):
        value = item.findtext(_q(ITUNES, tag))
        if value is not None and not (value.strip().isdigit() and int(value) > 0):
            c.add("IT-10", f"{where}: <itunes:{tag}> {value!r} must be a positive integer")
    if serial and item.find(_q(ITUNES, "episode")) is None:
        c.add("CH-10", f"{where}: a serial show needs <itunes:episode> on every item")
    etype = item.findtext(_q(ITUNES, "episodeType"))
    if etype is not None and etype.strip() not in ("full", "trailer", "bonus"):
        c.add("IT-11", f"{where}: <itunes:episodeType> must be full, trailer or bonus")
    if not _is_url(item.findtext("link")):
        c.warn("IT-12", f"{where}: add a <link> to the episode's web page")
    _p20_item(c, item, where)


def _guid(c: _Checker, item: etree._Element, where: str, n: int, guids: dict[str, int]) -> None:
    guid_el = item.find("guid")
    guid = (guid_el.text or "").strip() if guid_el is not None else ""
    if not guid:
        c.add("IT-03", f"{where}: <guid> is missing; apps would drop or duplicate the episode")
        return
    if guid in guids:
        c.add("IT-03", f"{where}: <guid> {guid!r} is also used by item {guids[guid]}")
    guids.setdefault(guid, n)
    permalink = guid_el.get("isPermaLink")
    if permalink is not None and permalink not in ("true", "false"):
        c.add("IT-04", f"{where}: isPermaLink must be true or false, not {permalink!r}")
    elif permalink != "false" and not _is_url(guid):
        c.add("IT-04", f'{where}: guid {guid!r} is not a URL: add isPermaLink="false"')


def _enclosure(
    c: _Checker, item: etree._Element, where: str, n: int, urls: dict[str, int], scheme: str
) -> None:
    enc = item.find("enclosure")
    if enc is None:
        c.add("IT-02", f"{where}: <enclosure url length type> is missing")
        return
    url, length, type_ = enc.get("url"), enc.get("length"), enc.get("type")
    missing = [a for a, v in (("url", url), ("length", length), ("type", type_)) if not v]
    if missing:
        c.add("IT-02", f"{where}: <enclosure> lacks {', '.join(missing)}")
    if url:
        if not _is_url(url):
            c.add("ENC-06", f"{where}: enclosure URL {url!r} must be absolute http(s)")
        elif scheme and urlsplit(url).scheme != scheme:
            c.warn("ENC-06", f"{where}: enclosure and feed URL use different schemes")
        if not url.isascii() or " " in url:
            c.add("ENC-05", f"{where}: enclosure URL must be ASCII without spaces")
        if url in urls:
            c.add("ENC-01", f"{where}: enclosure URL is also used by item {urls[url]}")
        urls.setdefault(url, n)
    if length is not None and not (length.isdigit() and int(length) > 0):
        c.add("ENC-02", f"{where}: enclosure length {length!r} must be the size in bytes (>0)")
    if type_:
        if type_ not in APPLE_TYPES:
            c.add(
                "ENC-03",
                f"{where}: enclosure type {type_!r} is not one Apple accepts; publish MP3 "
                "or AAC, e.g. ffmpeg -i IN -c:a aac -b:a 96k OUT.m4a",
            )
        elif url:
            ext = PurePosixPath(urlsplit(url).path).suffix.lower()
            if ext not in APPLE_TYPES[type_]:
                c.add("ENC-04", f"{where}: URL ends {ext or '(nothing)'!r} but type is {type_}")


def _p20_item(c: _Checker, item: etree._Element, where: str) -> None:
    chapters = item.findall(_q(PODCAST, "chapters"))
    if len(chapters) > 1:
        c.add("P2-chapters", f"{where}: only one podcast:chapters per item")
    for el in chapters:
        if not _is_url(el.get("url")) or el.get("type") != CHAPTERS:
            c.add("P2-chapters", f"{where}: podcast:chapters needs url and type {CHAPTERS}")
    for el in item.findall(_q(PODCAST, "transcript")):
        if not _is_url(el.get("url")) or el.get("type") not in TRANSCRIPT_TYPES:
            c.add("P2-transcript", f"{where}: podcast:transcript needs url and a known type")
    season = item.findtext(_q(PODCAST, "season"))
    if season is not None and not season.strip().isdigit():
        c.add("P2-season", f"{where}: podcast:season {season!r} must be an integer")
    episode = item.findtext(_q(PODCAST, "episode"))
    if episode is not None and not re.fullmatch(r"\d+(\.\d+)?", episode.strip()):
        c.add("P2-episode", f"{where}: podcast:episode {episode!r} must be a number")
    _license(c, item, where)
    _persons(c, item, where)
