"""Catalog -> static archive pages: an index of every session and one page per session.

``build_site`` returns ``{object key: bytes}`` (``index.html``, ``episodes/SLUG.html``,
``assets/…``). Pages use relative links only, so the archive works from a folder, from
``audiofeed serve`` and from a bucket. Templates are Jinja2 with autoescape on; a show can
override any of them (and the CSS/JS) by putting a file of the same name in its
``templates/`` folder. The only HTML marked safe is what ``shownotes`` sanitized.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from markupsafe import Markup

from .. import __version__
from ..common.memo import Recall
from ..show.catalog import Catalog, Episode, Person
from ..show.config import Config
from ..shownotes import ShowNotes, markdown_to_html, markdown_to_text, truncate
from . import formatting as fmt
from . import search
from . import transcript as transcript_mod
from .render import ASSETS, Templates

__all__ = [
    "ASSETS",
    "INDEX_KEY",
    "Page",
    "SiteAssets",
    "SiteItem",
    "build_site",
    "episode_key",
    "search",
    "site_pages",
]

INDEX_KEY = "index.html"


class SiteItem(Protocol):
    """One published episode (``feed.FeedItem`` fits): catalog data, notes and the media."""

    @property
    def episode(self) -> Episode: ...
    @property
    def notes(self) -> ShowNotes: ...
    @property
    def media_url(self) -> str: ...
    @property
    def media_length(self) -> int: ...
    @property
    def media_type(self) -> str: ...
    @property
    def duration(self) -> float: ...


@dataclass(frozen=True)
class SiteAssets:
    """Object keys of what the pages refer to besides the media."""

    feed_key: str
    image_key: str
    search: bool = False  # the index gets a search box (Pagefind's files are published)


def episode_key(slug: str) -> str:
    """The object key of an episode's page (the feed's item ``<link>`` points there)."""
    return f"episodes/{slug}.html"


@dataclass(frozen=True)
class PersonView:
    name: str
    affiliation: str | None
    role: str | None
    url: str | None


@dataclass(frozen=True)
class ChapterView:
    start: float
    timestamp: str
    title: str
    url: str | None


@dataclass(frozen=True)
class SessionView:
    """Everything a template needs about one session; text is plain (templates escape it)."""

    episode: Episode
    key: str
    url: str  # absolute public URL of the page
    summary: str
    notes_html: Markup  # sanitized by shownotes
    media_path: str  # relative to the archive root (absolute if published elsewhere): |href
    media_url: str
    media_type: str
    media_format: str
    size: str
    duration: float
    duration_text: str
    duration_iso: str
    start_iso: str
    date_text: str
    start_text: str
    zone: str
    chairs: tuple[PersonView, ...]
    speakers: tuple[PersonView, ...]
    chapters: tuple[ChapterView, ...]
    transcript: tuple[transcript_mod.Cue, ...]
    transcript_path: str | None  # the published transcript file, like media_path: |href
    pending: bool = False  # see PendingView

    @property
    def title(self) -> str:
        return self.episode.title


@dataclass(frozen=True)
class PendingView:
    """A session still waiting for its recording: listed on the index as "recording to
    follow", with no page and nothing to play."""

    episode: Episode
    start_iso: str
    date_text: str
    start_text: str
    zone: str
    chairs: tuple[PersonView, ...]
    speakers: tuple[PersonView, ...]
    pending: bool = True

    @property
    def title(self) -> str:
        return self.episode.title


@dataclass(frozen=True)
class Track:
    name: str | None
    sessions: tuple[SessionView, ...]


@dataclass(frozen=True)
class Day:
    label: str
    date_text: str
    tracks: tuple[Track, ...]
    anchor: str


ENTRY_TEMPLATE = "_session_entry.html"


@dataclass(frozen=True)
class Page:
    """One file of the archive, not yet rendered: ``inputs`` is a digest of everything its
    bytes are made from (context, templates, code), so a build may reuse the file it
    rendered for the same inputs before instead of calling ``render``."""

    key: str
    inputs: str
    render: Callable[[], bytes]


def build_site(catalog: Catalog, items: Sequence[SiteItem], assets: SiteAssets) -> dict[str, bytes]:
    """Render every page and asset of the archive. Same inputs -> same bytes."""
    return {page.key: page.render() for page in site_pages(catalog, items, assets)}


def site_pages(
    catalog: Catalog,
    items: Sequence[SiteItem],
    assets: SiteAssets,
    compiled: Path | None = None,
    entries: Recall | None = None,
) -> list[Page]:
    """Every page and asset of the archive, each with the digest of its inputs.
    ``compiled``: a folder keeping the compiled templates between runs; ``entries``: the
    HTML of the index's session entries by a digest of what each is made from (the session,
    its heading level, whether it shows the date, the templates)."""
    config = catalog.config
    templates = Templates(config.root, compiled)
    sessions = sorted(
        (_session(config, item) for item in items),
        key=lambda s: (s.episode.start, s.episode.episode or 0, s.episode.slug),
    )
    common = _common(config, assets, sessions)
    base = _digest(templates.fingerprint(), repr(sorted(common.items())))
    views = [_digest(repr(s)) for s in sessions]
    pending = [_pending(e) for e in catalog.waiting]
    listed = sorted(
        [*sessions, *pending],
        key=lambda s: (s.episode.start, s.episode.episode or 0, s.episode.slug),
    )
    newest = config.site.order == "newest"
    entries = entries if entries is not None else Recall()
    digests = {id(s): d for s, d in zip(sessions, views, strict=True)}
    digests.update({id(p): _digest(repr(p)) for p in pending})
    fingerprint = templates.fingerprint()

    def session_entry(session: SessionView, level: int, show_date: bool) -> Markup:
        """One session's entry in the index, reused when the same session was rendered
        the same way before (an index of thousands then costs a join, not a render)."""
        key = _digest(fingerprint, digests[id(session)], str(level), str(show_date))
        html = entries.before.get(key)
        if not isinstance(html, str):
            html = templates.text(ENTRY_TEMPLATE, s=session, level=level, show_date=show_date)
        entries.after[key] = html
        return Markup(html)  # rendered by the autoescaping template

    def index() -> bytes:
        return templates.render(
            "index.html",
            **common,
            root="",
            canonical=config.url(INDEX_KEY),
            description=common["podcast_summary"],
            days=_days(listed, newest=newest),
            session_entry=session_entry,
        )

    def episode(n: int) -> Callable[[], bytes]:
        session = sessions[n]

        def render() -> bytes:
            context = {**common, "lang": session.episode.language or config.podcast.language}
            return templates.render(
                "episode.html",
                **context,
                root="../",
                canonical=session.url,
                description=session.summary,
                session=session,
                previous=sessions[n - 1] if n > 0 else None,
                next=sessions[n + 1] if n + 1 < len(sessions) else None,
            )

        return render

    waiting = [digests[id(p)] for p in pending]
    pages = [Page(INDEX_KEY, _digest(base, INDEX_KEY, str(newest), *views, *waiting), index)]
    for n, session in enumerate(sessions):
        around = (views[n - 1] if n > 0 else "", views[n + 1] if n + 1 < len(views) else "")
        pages.append(Page(session.key, _digest(base, session.key, views[n], *around), episode(n)))
    for name in ASSETS:
        pages.append(
            Page(f"assets/{name}", _digest(base, name), lambda name=name: templates.asset(name))
        )
    return pages


def _digest(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def _common(config: Config, assets: SiteAssets, sessions: list[SessionView]) -> dict:
    pod = config.podcast
    feed_url = config.url(assets.feed_key)
    scheme, rest = feed_url.split("://", 1)
    total = sum(s.duration for s in sessions)
    description_html = Markup(markdown_to_html(pod.description))  # sanitized by shownotes
    return {
        "podcast": pod,
        "lang": pod.language,
        "podcast_description_html": description_html,
        "podcast_summary": truncate(" ".join(markdown_to_text(pod.description).split()), 300),
        "feed_key": assets.feed_key,
        "feed_url": feed_url,
        "image_key": assets.image_key,
        "image_url": config.url(assets.image_key),
        "apple_url": f"podcast://{rest}",
        "pcast_url": f"pcast://{rest}",
        "feed_scheme": scheme,
        "session_count": len(sessions),
        "total_duration": fmt.duration(total),
        "generator": f"audiofeed {__version__}",
        "search": assets.search,
    }


def _session(config: Config, item: SiteItem) -> SessionView:
    e = item.episode
    key = episode_key(e.slug)
    transcript_url = getattr(item, "transcript_url", None)  # feed.FeedItem has it
    return SessionView(
        episode=e,
        key=key,
        url=config.url(key),
        summary=item.notes.summary,
        notes_html=Markup(markdown_to_html(e.body)),  # sanitized (allow-list) by shownotes
        media_path=_from_root(config, item.media_url),
        media_url=item.media_url,
        media_type=item.media_type,
        media_format=_format_name(item.media_url),
        size=fmt.size(item.media_length),
        duration=item.duration,
        duration_text=fmt.duration(item.duration),
        duration_iso=fmt.iso_duration(item.duration),
        start_iso=e.start.isoformat(),
        date_text=fmt.long_date(e.start),
        start_text=fmt.clock(e.start),
        zone=fmt.zone(e.start),
        chairs=tuple(_person(p) for p in e.chairs),
        speakers=tuple(_person(p) for p in e.speakers),
        chapters=tuple(
            ChapterView(c.start, fmt.timestamp(c.start), c.title, _http_url(c.url))
            for c in e.chapters
            if c.toc
        ),
        transcript=transcript_mod.load(e),
        transcript_path=_from_root(config, transcript_url) if transcript_url else None,
    )


def _pending(e: Episode) -> PendingView:
    return PendingView(
        episode=e,
        start_iso=e.start.isoformat(),
        date_text=fmt.long_date(e.start),
        start_text=fmt.clock(e.start),
        zone=fmt.zone(e.start),
        chairs=tuple(_person(p) for p in e.chairs),
        speakers=tuple(_person(p) for p in e.speakers),
    )


def _from_root(config: Config, url: str) -> str:
    """A published URL as a path from the archive root (absolute if published elsewhere)."""
    base = config.publish.base_url
    return url[len(base) :] if url.startswith(base) else url


def _format_name(url: str) -> str:
    """``MP3``, ``M4A`` … from the file name."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].upper() if "." in name else "audio"


def _person(p: Person) -> PersonView:
    return PersonView(p.name, p.affiliation, p.role, _http_url(p.url))


def _http_url(value: str | None) -> str | None:
    """Only http(s) URLs become links (never ``javascript:`` or ``data:``)."""
    if not isinstance(value, str):
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _days(sessions: Sequence[SessionView | PendingView], *, newest: bool) -> tuple[Day, ...]:
    """Sessions grouped by day, then track, in programme order or newest first."""
    by_day: dict[str, list[SessionView]] = {}
    for s in sessions:
        by_day.setdefault(s.episode.day or s.date_text, []).append(s)
    days = []
    for n, (label, members) in enumerate(by_day.items(), 1):
        by_track: dict[str | None, list[SessionView]] = {}
        for s in members:
            by_track.setdefault(s.episode.track, []).append(s)
        tracks = [Track(name, tuple(group)) for name, group in by_track.items()]
        if newest:
            tracks = [Track(t.name, t.sessions[::-1]) for t in tracks]
            tracks.sort(key=lambda t: max(s.episode.start for s in t.sessions), reverse=True)
        dates = {s.date_text for s in members}
        days.append(
            Day(
                label=label,
                date_text=members[0].date_text if len(dates) == 1 else "",
                tracks=tuple(tracks),
                anchor=f"day-{n}",
            )
        )
    if newest:
        days.sort(key=lambda d: max(s.episode.start for t in d.tracks for s in t.sessions))
        days.reverse()
    return tuple(days)
