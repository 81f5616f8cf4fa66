"""config.toml -> frozen ``Config``; every problem is collected, then raised at once."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..common.paths import RealPaths, inside
from ..common.safetext import clean_tree
from ..errors import ConfigError, Problem, ValidationError
from .configpath import CONFIG_NAME, find  # noqa: F401 - re-exported
from .destination import STORAGE_KEYS, is_secret_key, storage_settings
from .feedconfig import (  # noqa: F401 - re-exported
    MAIN_FEED_KEY,
    ChannelPerson,
    FeedSpec,
    Funding,
    Location,
    feed_specs,
    is_http_url,
    podcast20_settings,
)
from .masterconfig import MasterSettings
from .masterconfig import parse as master_settings
from .transcriptconfig import TranscriptSettings, transcript_settings

LANGUAGE_RE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SHOW_TYPES = ("episodic", "serial")
SITE_ORDERS = ("programme", "newest")


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
    moved_from: str | None = None  # the old feed's URL, after a move (docs/import.md)
    persons: tuple[ChannelPerson, ...] = ()  # channel podcast:person


@dataclass(frozen=True)
class Publish:
    """Where the show goes. Object storage settings apply to ``s3://`` destinations;
    ``None`` leaves the value to the SDK's standard chain (environment, shared config)."""

    base_url: str
    destination: str = "public"
    endpoint_url: str | None = None
    region: str | None = None
    addressing_style: str | None = None
    acl: str | None = None
    storage_class: str | None = None
    profile: str | None = None
    #: a session still waiting for its recording this many hours after it started is
    #: warned about (0: never)
    late_after_hours: float = 24.0

    @property
    def remote(self) -> bool:
        return self.destination.startswith("s3://")


@dataclass(frozen=True)
class Site:
    """The archive pages: ``order`` is ``programme`` (first session first) or ``newest``."""

    order: str = "programme"
    search: bool = True  # a Pagefind search box on the index (when pagefind is installed)


@dataclass(frozen=True)
class TagSettings:
    """How recordings are tagged (``[tags]``; every key optional)."""

    id3_version: str = "2.4"  # "2.4" (default) or "2.3" for old players
    strip_existing: bool = False  # drop tags audiofeed does not write (encoder, ReplayGain …)
    cover_max_px: int | None = None  # downscale larger cover art to fit this many pixels

    @property
    def id3_major(self) -> int:
        return 3 if self.id3_version == "2.3" else 4


@dataclass(frozen=True)
class Cluster:
    """``[cluster]``: the Dask scheduler that masters recordings (docs/cluster.md) and the
    S3 endpoint of ``audio = "s3://…"`` sources (else ``[publish] endpoint_url``)."""

    address: str | None = None
    source_endpoint_url: str | None = None


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
    tags: TagSettings = field(default_factory=TagSettings)
    master: MasterSettings = field(default_factory=MasterSettings)
    transcripts: TranscriptSettings = field(default_factory=TranscriptSettings)
    cluster: Cluster = field(default_factory=Cluster)

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
    "moved_from",
    "persons",
}
PUBLISH_KEYS = {"base_url", "destination", "late_after_hours", *STORAGE_KEYS}
SITE_KEYS = {"order", "search"}
CLUSTER_KEYS = {"address", "source_endpoint_url"}
TAGS_KEYS = {"id3_version", "strip_existing", "cover_max_px"}
ID3_VERSIONS = ("2.4", "2.3")


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
    config, problems = read(path)
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems=problems)
    return config


def read(path: Path) -> tuple[Config, list[Problem]]:
    """``config.toml`` and every problem in it, without raising for wrong values (a file
    that cannot be read still raises): with errors, the Config is a stand-in, so that
    ``check`` can go on to the episodes and recordings and report everything at once."""
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
    return parse_all(data, path)


def parse(data: dict[str, Any], path: Path) -> Config:
    """Validate an already parsed config table."""
    config, problems = parse_all(data, path)
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems=problems)
    return config


def parse_all(data: dict[str, Any], path: Path) -> tuple[Config, list[Problem]]:
    """A parsed config table -> (Config, every problem); see ``read``."""
    r = _Reader(path)
    # [imported]: what `import feed` last wrote (audiofeed/importers/feed_config.py)
    top = {"podcast", "publish", "feeds", "site", "tags", "master", "transcripts", "imported"}
    r.unknown(data, top | {"cluster"}, "")
    pod = _table(r, data, "podcast")
    pub = _table(r, data, "publish")
    site = _table(r, data, "site", required=False)
    r.unknown(pod, PODCAST_KEYS, "podcast.")
    r.unknown({k: v for k, v in pub.items() if not is_secret_key(k)}, PUBLISH_KEYS, "publish.")
    r.unknown(site, SITE_KEYS, "site.")

    p = "podcast."
    title = r.string(pod, "title", p)
    description = r.string(pod, "description", p)
    author = r.string(pod, "author", p)
    language = r.string(pod, "language", p)
    if language and not LANGUAGE_RE.match(language):
        r.problem(p + "language", f"{language!r} is not an ISO 639 code such as 'en' or 'en-gb'")
    website = r.string(pod, "website", p)
    if website and not is_http_url(website):
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
    moved_from = r.string(pod, "moved_from", p, required=False)
    if moved_from and not is_http_url(moved_from):
        r.problem(p + "moved_from", f"{moved_from!r} must be the old feed's http(s) URL")
    owner = _owner(r, pod.get("owner"))
    categories = _categories(r, pod.get("categories"))
    p20 = podcast20_settings(r, pod)
    feeds = feed_specs(r, data.get("feeds"), pod.get("guid"))

    base_url = r.string(pub, "base_url", "publish.")
    if base_url and not is_http_url(base_url):
        r.problem("publish.base_url", f"{base_url!r} must be an absolute http(s) URL")
    destination = r.string(pub, "destination", "publish.", required=False, default="public")
    late = pub.get("late_after_hours", 24)
    if isinstance(late, bool) or not isinstance(late, int | float) or late < 0:
        r.problem("publish.late_after_hours", "must be a number of hours, 0 or more (0: never)")
        late = 24
    storage, storage_problems = storage_settings(pub, destination or "public")
    for key, message in storage_problems:
        r.problem(key, message)  # values are never echoed (credentials)
    order = r.string(site, "order", "site.", required=False, default="programme")
    if order not in SITE_ORDERS:
        r.problem("site.order", f"{order!r} must be one of {', '.join(SITE_ORDERS)}")
    search = site.get("search", True)
    if not isinstance(search, bool):
        r.problem("site.search", "must be true or false")
        search = True
    tag_settings = _tags(r, data.get("tags", {}))
    master = master_settings(data.get("master"), r.problem)
    transcripts = transcript_settings(r, data.get("transcripts"), language)
    cluster = _cluster(r, _table(r, data, "cluster", required=False))

    if any(x.severity == "error" for x in r.problems):  # a stand-in (see ``read``)
        title, description, author = title or "?", description or "?", author or "?"
        language, website = language or "en", website or "https://invalid.example/"
        base_url = base_url if base_url and is_http_url(base_url) else website
    assert title and description and author and language and website and base_url
    config = Config(
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
            moved_from=moved_from,
            **p20,
        ),
        feeds=feeds,
        publish=Publish(
            base_url=base_url.rstrip("/") + "/",
            destination=destination or "public",
            late_after_hours=float(late),
            **storage,
        ),
        site=Site(order=order or "programme", search=search),
        tags=tag_settings,
        master=master,
        transcripts=transcripts,
        cluster=cluster,
    )
    return config, r.problems


def local_file(root: Path, value: str, real: RealPaths | None = None) -> tuple[Path | None, str]:
    """Resolve ``value``, a path the organiser wrote (absolute, or relative to the show
    folder ``root``, possibly leaving it): the file, symlinks followed, if it exists; else
    None and what is wrong. For recordings, which live where the AV team put them."""
    real = real or RealPaths()
    try:
        resolved = real.file(os.path.join(real.folder(str(root)), os.path.expanduser(value)))
        if os.path.isfile(resolved):
            return Path(resolved), ""
        reason = "not found"
    except (OSError, ValueError) as exc:
        reason = f"cannot be used ({getattr(exc, 'strerror', None) or exc})"
    where = "" if os.path.isabs(value) else f" (relative paths start at {root.resolve()})"
    return None, f"file {value!r} {reason}{where}"


def file_inside(root: Path, value: str, real: RealPaths | None = None) -> tuple[Path | None, str]:
    """Resolve ``value``, a file path relative to the show folder ``root``: the file (symlinks
    followed) if it is inside the folder and exists, else None and what is wrong.
    ``real``: one ``RealPaths`` for many calls (a catalog resolves a path or two per episode,
    mostly in the same few folders)."""
    real = real or RealPaths()
    try:
        real_root = real.folder(str(root))
        resolved = real.file(os.path.join(real_root, value))
        if os.path.isabs(value) or not inside(resolved, real_root):
            return None, f"{value!r} is outside the show folder; use a path inside it"
        if os.path.isfile(resolved):
            return Path(resolved), ""
        reason = "not found"
    except (OSError, ValueError) as exc:
        reason = f"cannot be used ({getattr(exc, 'strerror', None) or exc})"
    return None, f"file {value!r} {reason} (paths are relative to {root.resolve()})"


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


def _cluster(r: _Reader, table: dict[str, Any]) -> Cluster:
    r.unknown(table, CLUSTER_KEYS, "cluster.")
    address = r.string(table, "address", "cluster.", required=False)
    if address and not re.match(r"^(tcp|tls|ws|wss|inproc)://\S+$", address):
        r.problem(
            "cluster.address", f"{address!r} must be a scheduler address, e.g. tcp://HOST:8786"
        )
        address = None
    endpoint = r.string(table, "source_endpoint_url", "cluster.", required=False)
    if endpoint and not is_http_url(endpoint):
        r.problem("cluster.source_endpoint_url", "must be an http(s) URL")
        endpoint = None
    return Cluster(address=address, source_endpoint_url=endpoint)


def _tags(r: _Reader, value: Any) -> TagSettings:
    if not isinstance(value, dict):
        r.problem("tags", "must be a table: [tags]")
        return TagSettings()
    r.unknown(value, TAGS_KEYS, "tags.")
    version = value.get("id3_version", "2.4")
    version = str(version) if isinstance(version, float) else version  # 2.3 unquoted
    if version not in ID3_VERSIONS:
        r.problem("tags.id3_version", 'must be "2.4" (default) or "2.3"')
        version = "2.4"
    strip = value.get("strip_existing", False)
    if not isinstance(strip, bool):
        r.problem("tags.strip_existing", "must be true or false")
        strip = False
    max_px = value.get("cover_max_px")
    if max_px is not None and (isinstance(max_px, bool) or not isinstance(max_px, int)):
        r.problem("tags.cover_max_px", "must be a whole number of pixels, e.g. 1400")
        max_px = None
    elif max_px is not None and not 64 <= max_px <= 10000:
        r.problem("tags.cover_max_px", "must be between 64 and 10000 pixels")
        max_px = None
    return TagSettings(id3_version=version, strip_existing=strip, cover_max_px=max_px)


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
