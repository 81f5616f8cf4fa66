"""The feed parts of config.toml: Podcasting 2.0 settings and the [[feeds]] tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

#: podcast:medium values (Podcasting 2.0), with their list forms ("musicL" …)
MEDIUMS = ("podcast", "music", "video", "film", "audiobook", "newsletter", "blog", "course")
MEDIUM_VALUES = (*MEDIUMS, *(m + "L" for m in MEDIUMS), "publisher", "mixed")
#: episode fields a [[feeds]] filter may select on
FILTER_FIELDS = ("day", "track", "room", "language", "season", "episode_type")
MAIN_FEED_KEY = "feed.xml"
FEED_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9._/-]*\.xml$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
FEED_KEYS = {"key", "title", "description", "filter", "latest", "guid"}


@dataclass(frozen=True)
class Funding:
    url: str
    text: str


@dataclass(frozen=True)
class ChannelPerson:
    """A podcast:person of the whole show (host, producer …; Podcasting 2.0 taxonomy)."""

    name: str
    role: str = "host"
    group: str = "cast"
    href: str | None = None
    img: str | None = None


@dataclass(frozen=True)
class Location:
    name: str
    geo: str | None = None
    osm: str | None = None


@dataclass(frozen=True)
class FeedSpec:
    """One feed built from the catalog: the main one (every episode) or a filtered one."""

    key: str = MAIN_FEED_KEY
    title: str | None = None
    description: str | None = None
    filter: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (field, allowed values)
    latest: int | None = None  # only the newest N episodes
    guid: str | None = None  # podcast:guid override

    def selects(self, values: dict[str, str | None]) -> bool:
        """Whether an episode with these field values belongs to this feed."""
        return all(values.get(name) in allowed for name, allowed in self.filter)


def is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _flag(r: Any, table: dict[str, Any], key: str, prefix: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        r.problem(prefix + key, "must be true or false")
        return default
    return value


def podcast20_settings(r: Any, pod: dict[str, Any]) -> dict[str, Any]:
    """The Podcasting 2.0 settings of [podcast] (locked, license, funding, medium …)."""
    p = "podcast."
    out: dict[str, Any] = {
        "locked": _flag(r, pod, "locked", p, True),
        "complete": _flag(r, pod, "complete", p, False),
        "license": r.string(pod, "license", p, required=False),
        "license_url": r.string(pod, "license_url", p, required=False),
        "update_frequency": r.string(pod, "update_frequency", p, required=False),
        "guid": r.string(pod, "guid", p, required=False),
    }
    if out["license_url"] and not is_http_url(out["license_url"]):
        r.problem(p + "license_url", "must be an absolute http(s) URL")
    if out["guid"] and not UUID_RE.match(out["guid"]):
        r.problem(p + "guid", "must be a lowercase UUID such as 917393e3-1b1e-5cef-ace4-…")
    medium = r.string(pod, "medium", p, required=False, default="podcast") or "podcast"
    if medium not in MEDIUM_VALUES:
        r.problem(p + "medium", f"must be one of {', '.join(MEDIUMS)} (or a list form)")
    out["medium"] = medium
    funding = []
    raw = pod.get("funding", [])
    raw = [raw] if isinstance(raw, dict) else raw
    if not isinstance(raw, list) or not all(isinstance(f, dict) for f in raw):
        r.problem(p + "funding", 'must be a list of tables {url = "…", text = "…"}')
        raw = []
    for i, item in enumerate(raw):
        where = f"{p}funding[{i}]."
        r.unknown(item, {"url", "text"}, where)
        url = r.string(item, "url", where)
        if url and not is_http_url(url):
            r.problem(where + "url", "must be an absolute http(s) URL")
        elif url:
            funding.append(Funding(url, r.string(item, "text", where, required=False) or url))
    out["funding"] = tuple(funding)
    out["persons"] = _persons(r, pod.get("persons", []), p + "persons")
    loc = pod.get("location")
    if isinstance(loc, str):
        loc = {"name": loc}
    if loc is not None and not isinstance(loc, dict):
        r.problem(p + "location", 'must be a string or a table {name = "…", geo = "geo:…"}')
    elif loc is not None:
        r.unknown(loc, {"name", "geo", "osm"}, p + "location.")
        name = r.string(loc, "name", p + "location.")
        if name:
            out["location"] = Location(
                name,
                r.string(loc, "geo", p + "location.", required=False),
                r.string(loc, "osm", p + "location.", required=False),
            )
    return out


def _persons(r: Any, raw: Any, where: str) -> tuple[ChannelPerson, ...]:
    """``persons = [{ name, role, group, href, img }]``: channel podcast:person tags."""
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        r.problem(where, 'must be a list of tables {name = "…", role = "host"}')
        return ()
    people = []
    for i, item in enumerate(raw):
        at = f"{where}[{i}]."
        r.unknown(item, {"name", "role", "group", "href", "img"}, at)
        name = r.string(item, "name", at)
        for key in ("href", "img"):
            value = item.get(key)
            if value is not None and not (isinstance(value, str) and is_http_url(value)):
                r.problem(at + key, "must be an absolute http(s) URL")
        if name:
            people.append(
                ChannelPerson(
                    name=name,
                    role=r.string(item, "role", at, required=False, default="host") or "host",
                    group=r.string(item, "group", at, required=False, default="cast") or "cast",
                    href=item.get("href") if isinstance(item.get("href"), str) else None,
                    img=item.get("img") if isinstance(item.get("img"), str) else None,
                )
            )
    return tuple(people)


def feed_specs(r: Any, value: Any, main_guid: Any) -> tuple[FeedSpec, ...]:
    """The main feed plus every [[feeds]] table."""
    main = FeedSpec(guid=main_guid if isinstance(main_guid, str) else None)
    if value is None:
        return (main,)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        r.problem("feeds", 'must be [[feeds]] tables with key = "day1.xml"')
        return (main,)
    specs = [main]
    for i, table in enumerate(value):
        where = f"feeds[{i}]."
        r.unknown(table, FEED_KEYS, where)
        key = r.string(table, "key", where)
        if key and (
            not FEED_KEY_RE.match(key) or any(part in ("", ".", "..") for part in key.split("/"))
        ):
            r.problem(where + "key", f"{key!r} must be a lowercase ASCII name ending .xml")
            key = None
        if key and any(s.key == key for s in specs):
            r.problem(where + "key", f"{key!r} is used by another feed; each needs its own")
            key = None
        latest = table.get("latest")
        if latest is not None and (
            isinstance(latest, bool) or not isinstance(latest, int) or latest < 1
        ):
            r.problem(where + "latest", "must be a whole number of 1 or more")
            latest = None
        guid = r.string(table, "guid", where, required=False)
        if guid and not UUID_RE.match(guid):
            r.problem(where + "guid", "must be a lowercase UUID")
        filt = _filter(r, table.get("filter", {}), where + "filter")
        if not filt and latest is None:
            r.problem(
                where + "filter", 'needs a filter such as filter = { day = "Day 1" } or latest = 50'
            )
        if key:
            specs.append(
                FeedSpec(
                    key=key,
                    title=r.string(table, "title", where, required=False),
                    description=r.string(table, "description", where, required=False),
                    filter=filt,
                    latest=latest,
                    guid=guid,
                )
            )
    return tuple(specs)


def _filter(r: Any, value: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        r.problem(where, 'must be a table, e.g. { day = "Day 1", track = ["A", "B"] }')
        return ()
    out = []
    for name in sorted(value):
        if name not in FILTER_FIELDS:
            r.problem(f"{where}.{name}", f"unknown field (allowed: {', '.join(FILTER_FIELDS)})")
            continue
        raw = value[name]
        items = raw if isinstance(raw, list) else [raw]
        ok = all(isinstance(v, str | int) and not isinstance(v, bool) for v in items)
        if not items or not ok:
            r.problem(f"{where}.{name}", "must be a string or a list of strings")
            continue
        out.append((name, tuple(str(v) for v in items)))
    return tuple(out)
