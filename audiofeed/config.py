"""config.toml -> frozen ``Config``; every problem is collected, then raised at once."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError, Problem, ValidationError
from .safetext import clean_tree

CONFIG_NAME = "config.toml"
LANGUAGE_RE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SHOW_TYPES = ("episodic", "serial")
SITE_ORDERS = ("programme", "newest")
#: podcast:medium values (Podcasting 2.0), with their list forms ("musicL" …)
MEDIUMS = ("podcast", "music", "video", "film", "audiobook", "newsletter", "blog", "course")
MEDIUM_VALUES = (*MEDIUMS, *(m + "L" for m in MEDIUMS), "publisher", "mixed")
#: episode fields a [[feeds]] filter may select on
FILTER_FIELDS = ("day", "track", "room", "language", "season", "episode_type")
MAIN_FEED_KEY = "feed.xml"
FEED_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9._/-]*\.xml$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Owner:
    name: str
    email: str


@dataclass(frozen=True)
class Category:
    """An Apple Podcasts category, optionally with a subcategory."""

    name: str
    sub: str | None = None

    def __str__(self) -> str:
        return f"{self.name} > {self.sub}" if self.sub else self.name


@dataclass(frozen=True)
class Funding:
    url: str
    text: str


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


@dataclass(frozen=True)
class Podcast:
    title: str
    description: str
    author: str
    language: str
    categories: tuple[Category, ...]
    image: Path
    website: str
    owner: Owner
    explicit: bool = False
    copyright: str | None = None
    type: str = "episodic"
    locked: bool = True
    license: str | None = None
    license_url: str | None = None
    funding: tuple[Funding, ...] = ()
    medium: str = "podcast"
    update_frequency: str | None = None
    complete: bool = False
    location: Location | None = None
    guid: str | None = None


@dataclass(frozen=True)
class Publish:
    base_url: str
    destination: str = "public"


@dataclass(frozen=True)
class Site:
    """The archive pages: ``order`` is ``programme`` (first session first) or ``newest``."""

    order: str = "programme"


@dataclass(frozen=True)
class Config:
    """The whole show configuration; paths are absolute."""

    root: Path
    path: Path
    podcast: Podcast
    publish: Publish
    site: Site = field(default_factory=Site)
    extra: dict[str, Any] = field(default_factory=dict)
    feeds: tuple[FeedSpec, ...] = (FeedSpec(),)

    @property
    def episodes_dir(self) -> Path:
        return self.root / "episodes"

    @property
    def destination_path(self) -> Path:
        """The local destination folder (for the default local destination)."""
        return (self.root / self.publish.destination).resolve()

    def url(self, key: str) -> str:
        """The public URL of a published object key."""
        return self.publish.base_url + key


PODCAST_KEYS = {
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
    "locked",
    "license",
    "license_url",
    "funding",
    "medium",
    "update_frequency",
    "complete",
    "location",
    "guid",
}
FEED_KEYS = {"key", "title", "description", "filter", "latest", "guid"}
PUBLISH_KEYS = {"base_url", "destination"}
SITE_KEYS = {"order"}


class _Reader:
    """Pulls typed values out of a TOML table, recording problems instead of raising."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.path, key, message))

    def unknown(self, table: dict[str, Any], allowed: set[str], prefix: str) -> None:
        for key in sorted(set(table) - allowed):
            self.problem(f"{prefix}{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def string(
        self,
        table: dict[str, Any],
        key: str,
        prefix: str,
        *,
        required: bool = True,
        default: str | None = None,
    ) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                self.problem(prefix + key, "missing; add it to config.toml")
            return default
        if not isinstance(value, str) or not value.strip():
            self.problem(prefix + key, "must be a non-empty string")
            return default
        return value.strip()


def load(path: Path) -> Config:
    """Load and validate ``config.toml``; raise ``ValidationError`` listing every problem."""
    path = path.resolve()
    try:
        data = clean_tree(tomllib.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise ConfigError(
            "not found; run 'audiofeed init DIR' or pass --config", path=path
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", path=path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=path) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from exc
    return parse(data, path)


def parse(data: dict[str, Any], path: Path) -> Config:
    """Validate an already parsed config table."""
    r = _Reader(path)
    r.unknown(data, {"podcast", "publish", "feeds", "site"}, "")
    pod = _table(r, data, "podcast")
    pub = _table(r, data, "publish")
    site = _table(r, data, "site", required=False)
    r.unknown(pod, PODCAST_KEYS, "podcast.")
    r.unknown(pub, PUBLISH_KEYS, "publish.")
    r.unknown(site, SITE_KEYS, "site.")

    p = "podcast."
    title = r.string(pod, "title", p)
    description = r.string(pod, "description", p)
    author = r.string(pod, "author", p)
    language = r.string(pod, "language", p)
    if language and not LANGUAGE_RE.match(language):
        r.problem(p + "language", f"{language!r} is not an ISO 639 code such as 'en' or 'en-gb'")
    website = r.string(pod, "website", p)
    if website and not _is_http_url(website):
        r.problem(p + "website", f"{website!r} must be an absolute http(s) URL")
    image = r.string(pod, "image", p)
    image_path = path.parent
    if image:
        found, message = file_inside(path.parent, image)
        if found is None:
            r.problem(p + "image", message)
        else:
            image_path = found
    copyright_ = r.string(pod, "copyright", p, required=False)
    show_type = r.string(pod, "type", p, required=False, default="episodic")
    if show_type not in SHOW_TYPES:
        r.problem(p + "type", f"must be one of {', '.join(SHOW_TYPES)}")
    explicit = pod.get("explicit", False)
    if not isinstance(explicit, bool):
        r.problem(p + "explicit", "must be true or false")
        explicit = False
    owner = _owner(r, pod.get("owner"))
    categories = _categories(r, pod.get("categories"))
    p20 = _podcast20(r, pod)
    feeds = _feeds(r, data.get("feeds"), pod.get("guid"))

    base_url = r.string(pub, "base_url", "publish.")
    if base_url and not _is_http_url(base_url):
        r.problem("publish.base_url", f"{base_url!r} must be an absolute http(s) URL")
    destination = r.string(pub, "destination", "publish.", required=False, default="public")
    order = r.string(site, "order", "site.", required=False, default="programme")
    if order not in SITE_ORDERS:
        r.problem("site.order", f"{order!r} must be one of {', '.join(SITE_ORDERS)}")

    errors = [x for x in r.problems if x.severity == "error"]
    if errors:
        raise ValidationError(problems=r.problems)
    assert title and description and author and language and website and base_url
    return Config(
        root=path.parent,
        path=path,
        podcast=Podcast(
            title=title,
            description=description,
            author=author,
            language=language,
            categories=categories,
            image=image_path,
            website=website,
            owner=owner,
            explicit=explicit,
            copyright=copyright_,
            type=show_type or "episodic",
            **p20,
        ),
        feeds=feeds,
        publish=Publish(base_url=base_url.rstrip("/") + "/", destination=destination or "public"),
        site=Site(order=order or "programme"),
    )


def file_inside(root: Path, value: str) -> tuple[Path | None, str]:
    """Resolve ``value``, a file path relative to the show folder ``root``: the file (symlinks
    followed) if it is inside the folder and exists, else None and what is wrong."""
    root = root.resolve()
    try:
        resolved = (root / value).resolve()
        if Path(value).is_absolute() or not resolved.is_relative_to(root):
            return None, f"{value!r} is outside the show folder; use a path inside it"
        if resolved.is_file():
            return resolved, ""
        reason = "not found"
    except (OSError, ValueError) as exc:
        reason = f"cannot be used ({getattr(exc, 'strerror', None) or exc})"
    return None, f"file {value!r} {reason} (paths are relative to {root})"


def find(start: Path) -> Path:
    """Find config.toml in ``start`` or its parents."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no {CONFIG_NAME} here or in any parent folder; run 'audiofeed init DIR' or pass --config",
        path=start,
    )


def _table(r: _Reader, data: dict[str, Any], key: str, *, required: bool = True) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        if required:
            r.problem(key, f"missing [{key}] table")
        return {}
    if not isinstance(value, dict):
        r.problem(key, f"must be a table: [{key}]")
        return {}
    return value


def _owner(r: _Reader, value: Any) -> Owner:
    if not isinstance(value, dict):
        r.problem("podcast.owner", 'missing; add owner = { name = "…", email = "…" }')
        return Owner("", "")
    r.unknown(value, {"name", "email"}, "podcast.owner.")
    name = r.string(value, "name", "podcast.owner.") or ""
    email = r.string(value, "email", "podcast.owner.") or ""
    if email and not EMAIL_RE.match(email):
        r.problem("podcast.owner.email", f"{email!r} is not an email address")
    return Owner(name, email)


def _categories(r: _Reader, value: Any) -> tuple[Category, ...]:
    from .categories import validate_category

    key = "podcast.categories"
    if value is None:
        r.problem(key, 'missing; e.g. categories = ["Government"]')
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        r.problem(key, 'must be a non-empty list of strings such as "Business > Non-Profit"')
        return ()
    result = []
    for text in value:
        name, _, sub = (part.strip() for part in text.partition(">"))
        message = validate_category(name, sub or None)
        if message:
            r.problem(key, message)
        else:
            result.append(Category(name, sub or None))
    return tuple(result)


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _flag(r: _Reader, table: dict[str, Any], key: str, prefix: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        r.problem(prefix + key, "must be true or false")
        return default
    return value


def _podcast20(r: _Reader, pod: dict[str, Any]) -> dict[str, Any]:
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
    if out["license_url"] and not _is_http_url(out["license_url"]):
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
        if url and not _is_http_url(url):
            r.problem(where + "url", "must be an absolute http(s) URL")
        elif url:
            funding.append(Funding(url, r.string(item, "text", where, required=False) or url))
    out["funding"] = tuple(funding)
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


def _feeds(r: _Reader, value: Any, main_guid: Any) -> tuple[FeedSpec, ...]:
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


def _filter(r: _Reader, value: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
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
