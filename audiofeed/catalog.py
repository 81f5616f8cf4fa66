"""Episode files -> immutable ``Episode`` / ``Catalog``; every problem is collected first."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import frontmatter
from .config import Config, file_inside
from .errors import AudiofeedError, Problem, ValidationError
from .memo import Recall
from .paths import RealPaths

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
EPISODE_TYPES = ("full", "trailer", "bonus")
TRANSCRIPTS_DIR = "transcripts"  # transcripts/SLUG.vtt: an episode's default transcript
PERSON_KEYS = {"name", "affiliation", "role", "url", "bio", "image"}
CHAPTER_KEYS = {"start", "title", "url", "image", "toc"}
LINK_KEYS = {"title", "url"}
EPISODE_KEYS = {
    "title",
    "start",
    "audio",
    "guid",
    "slug",
    "subtitle",
    "day",
    "track",
    "room",
    "language",
    "license",
    "duration",
    "episode",
    "season",
    "episode_type",
    "explicit",
    "keywords",
    "links",
    "do_not_record",
    "chair",
    "speakers",
    "chapters",
    "transcript",
    "image",
    "source",
    "imported",
}


@dataclass(frozen=True)
class Person:
    name: str
    affiliation: str | None = None
    role: str | None = None
    url: str | None = None
    bio: str | None = None
    image: str | None = None

    def label(self) -> str:
        """``Name (Affiliation)`` as the write-ups print it."""
        return f"{self.name} ({self.affiliation})" if self.affiliation else self.name


@dataclass(frozen=True)
class Chapter:
    start: float
    title: str
    url: str | None = None
    image: str | None = None
    toc: bool = True


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Episode:
    """One session, as its episode file describes it."""

    path: Path
    title: str
    start: dt.datetime
    slug: str
    guid: str | None
    audio: Path | None
    body: str
    subtitle: str | None = None
    day: str | None = None
    track: str | None = None
    room: str | None = None
    language: str | None = None
    license: str | None = None
    duration: str | None = None
    episode: int | None = None
    season: int | None = None
    episode_type: str = "full"
    explicit: bool | None = None
    keywords: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    do_not_record: bool = False
    chairs: tuple[Person, ...] = ()
    speakers: tuple[Person, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    transcript: Path | None = None
    image: Path | None = None
    source: dict[str, Any] = field(default_factory=dict)

    @property
    def people(self) -> tuple[Person, ...]:
        return self.chairs + self.speakers


@dataclass(frozen=True)
class Catalog:
    """Every episode of a show, in programme order (start time, then episode number, slug)."""

    config: Config
    episodes: tuple[Episode, ...]
    warnings: tuple[Problem, ...] = ()

    def by_guid(self, guid: str) -> Episode | None:
        return next((e for e in self.episodes if e.guid == guid), None)


def slugify(text: str, max_length: int = 60) -> str:
    """ASCII, lowercase, hyphenated; cut at a word boundary."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0]
    return slug or "episode"


def new_guid() -> str:
    """A fresh episode GUID (random UUID); written into the episode file once, never changed."""
    return str(uuid.uuid4())


def episode_files(config: Config) -> list[Path]:
    """The show's episode files (``episodes/*.md``, READMEs excluded), sorted by name."""
    folder = config.episodes_dir
    if not folder.is_dir():
        return []
    files = [p for p in folder.glob("*.md") if p.name.lower() != "readme.md"]
    return sorted(files, key=lambda p: p.name)  # one folder: the names decide


def load(config: Config, memo: Recall | None = None) -> Catalog:
    """Load and validate every episode; raise ``ValidationError`` listing every problem.
    ``memo``: episode files parsed by an earlier run (see ``frontmatter.read``)."""
    problems: list[Problem] = []
    episodes: list[Episode] = []
    real = RealPaths()  # each folder resolved once per load
    for path in episode_files(config):
        reader = _EpisodeReader(config, path, real, memo)
        try:
            episode = reader.read()
        except AudiofeedError as exc:
            problems.append(Problem(exc.path, exc.field, exc.message))
            continue
        problems.extend(reader.problems)
        if episode is not None and not any(p.severity == "error" for p in reader.problems):
            episodes.append(episode)
    problems.extend(_duplicates(episodes))
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems=problems)
    episodes.sort(key=lambda e: (e.start, e.episode or 0, e.slug))
    return Catalog(config=config, episodes=tuple(episodes), warnings=tuple(problems))


def _duplicates(episodes: list[Episode]) -> list[Problem]:
    problems = []
    for attr in ("slug", "guid"):
        seen: dict[str, Path] = {}
        for e in episodes:
            value = getattr(e, attr)
            if value is None:
                continue
            if value in seen:
                problems.append(
                    Problem(
                        e.path,
                        attr,
                        f"{value!r} is also used by {seen[value].name}; each episode needs its own",
                    )
                )
            else:
                seen[value] = e.path
    return problems


class _EpisodeReader:
    """Validates one episode file, collecting every problem."""

    def __init__(
        self,
        config: Config,
        path: Path,
        real: RealPaths | None = None,
        memo: Recall | None = None,
    ):
        self.config = config
        self.path = path
        self.real = real or RealPaths()
        self.memo = memo
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.path, key, message, severity))

    def read(self) -> Episode | None:
        doc = frontmatter.read(self.path, self.memo)
        m = doc.meta
        for key in sorted(set(m) - EPISODE_KEYS):
            self.problem(key, "unknown front-matter field (see docs/show-format.md)")
        title = self.text(m, "title", required=True)
        start = self.start(m.get("start"))
        slug = self.text(m, "slug") or (slugify(title) if title else None)
        if slug and not SLUG_RE.match(slug):
            self.problem("slug", f"{slug!r} must be lowercase ASCII letters, digits and hyphens")
        guid = self.text(m, "guid")
        if guid is None and "guid" not in m:
            self.problem(
                "guid", "missing; 'audiofeed publish' will write a new one here", "warning"
            )
        audio = self.path_field(m, "audio")
        if audio is None and "audio" not in m:
            self.problem("audio", 'missing; add audio = "recordings/FILE.mp3"')
        episode_type = self.text(m, "episode_type") or "full"
        if episode_type not in EPISODE_TYPES:
            self.problem("episode_type", f"must be one of {', '.join(EPISODE_TYPES)}")
        do_not_record = self.boolean(m, "do_not_record") or False
        if do_not_record:
            self.problem(
                "do_not_record",
                "this session must not be published; remove the episode file or the flag",
            )
        if not title or start is None or not slug:
            return None
        return Episode(
            path=self.path,
            title=title,
            start=start,
            slug=slug,
            guid=guid,
            audio=audio,
            body=doc.body,
            subtitle=self.text(m, "subtitle"),
            day=self.text(m, "day"),
            track=self.text(m, "track"),
            room=self.text(m, "room"),
            language=self.text(m, "language"),
            license=self.text(m, "license"),
            duration=self.text(m, "duration"),
            episode=self.positive(m, "episode"),
            season=self.positive(m, "season"),
            episode_type=episode_type,
            explicit=self.boolean(m, "explicit"),
            keywords=self.strings(m, "keywords"),
            links=self.links(m.get("links")),
            do_not_record=do_not_record,
            chairs=self.people(m.get("chair"), "chair"),
            speakers=self.people(m.get("speakers"), "speakers"),
            chapters=self.chapters(m.get("chapters")),
            transcript=self.transcript(m, slug),
            image=self.path_field(m, "image"),
            source=m.get("source") if isinstance(m.get("source"), dict) else {},
        )

    # -- field readers -------------------------------------------------------------------
    def text(self, m: dict[str, Any], key: str, *, required: bool = False) -> str | None:
        value = m.get(key)
        if value is None:
            if required:
                self.problem(key, "missing")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(key, "must be a non-empty string")
            return None
        return value.strip()

    def boolean(self, m: dict[str, Any], key: str) -> bool | None:
        value = m.get(key)
        if value is not None and not isinstance(value, bool):
            self.problem(key, "must be true or false")
            return None
        return value

    def positive(self, m: dict[str, Any], key: str) -> int | None:
        value = m.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.problem(key, "must be a whole number of 1 or more")
            return None
        return value

    def strings(self, m: dict[str, Any], key: str) -> tuple[str, ...]:
        value = m.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(key, 'must be a list of strings, e.g. ["a", "b"]')
            return ()
        return tuple(v.strip() for v in value if v.strip())

    def start(self, value: Any) -> dt.datetime | None:
        if value is None:
            self.problem("start", "missing; e.g. start = 2022-09-07T09:30:00+01:00")
            return None
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                self.problem(
                    "start",
                    f"{value.isoformat()} has no time zone; add the offset, "
                    f"e.g. {value.isoformat()}+01:00",
                )
                return None
            if not 1900 <= value.year <= 9999 or value.astimezone(dt.UTC).year < 1900:
                self.problem("start", f"{value.isoformat()} is not a plausible session date")
                return None
            return value
        self.problem(
            "start", "must be a TOML date-time with offset, e.g. 2022-09-07T09:30:00+01:00"
        )
        return None

    def path_field(self, m: dict[str, Any], key: str) -> Path | None:
        """A file path relative to the show folder; never outside it."""
        value = self.text(m, key)
        if value is None:
            return None
        resolved, message = file_inside(self.config.root, value, self.real)
        if resolved is None:
            self.problem(key, message)
        return resolved

    def transcript(self, m: dict[str, Any], slug: str) -> Path | None:
        """``transcript`` as given; without one, ``transcripts/SLUG.vtt`` if it exists (where
        ``audiofeed transcribe`` writes)."""
        if "transcript" in m:
            return self.path_field(m, "transcript")
        found, _ = file_inside(self.config.root, f"{TRANSCRIPTS_DIR}/{slug}.vtt", self.real)
        return found

    def people(self, value: Any, key: str) -> tuple[Person, ...]:
        if value is None:
            return ()
        items = [value] if isinstance(value, dict) else value
        if not isinstance(items, list) or not all(isinstance(v, dict) for v in items):
            self.problem(key, "must be a table (name = …, affiliation = …) or a list of tables")
            return ()
        people = []
        for i, item in enumerate(items):
            where = f"{key}[{i}]" if isinstance(value, list) else key
            for extra in sorted(set(item) - PERSON_KEYS):
                self.problem(f"{where}.{extra}", "unknown field")
            name = self.text(item, "name")
            if name is None:
                self.problem(f"{where}.name", "missing")
                continue
            fields = {
                k: item[k].strip()
                for k in PERSON_KEYS - {"name"}
                if isinstance(item.get(k), str) and item[k].strip()
            }
            people.append(Person(name=name, **fields))
        return tuple(people)

    def links(self, value: Any) -> tuple[Link, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem("links", "must be a list of tables {title, url}")
            return ()
        result = []
        for i, item in enumerate(value):
            url, title = item.get("url"), item.get("title")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                self.problem(f"links[{i}].url", "must be an http(s) URL")
                continue
            result.append(Link(title=title if isinstance(title, str) and title else url, url=url))
        return tuple(result)

    def chapters(self, value: Any) -> tuple[Chapter, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem("chapters", 'must be a list of tables {start = "00:05:00", title = "…"}')
            return ()
        result = []
        for i, item in enumerate(value):
            for extra in sorted(set(item) - CHAPTER_KEYS):
                self.problem(f"chapters[{i}].{extra}", "unknown field")
            start = parse_timestamp(item.get("start"))
            title = item.get("title")
            if start is None:
                self.problem(f"chapters[{i}].start", "must be seconds or HH:MM:SS(.mmm)")
                continue
            if not isinstance(title, str) or not title.strip():
                self.problem(f"chapters[{i}].title", "missing")
                continue
            result.append(
                Chapter(
                    start=start,
                    title=title.strip(),
                    url=item.get("url"),
                    image=item.get("image"),
                    toc=item.get("toc", True) is not False,
                )
            )
        starts = [c.start for c in result]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            self.problem("chapters", "start times must be strictly ascending")
        return tuple(result)


def parse_timestamp(value: Any) -> float | None:
    """Seconds from a number or ``[[HH:]MM:]SS[.mmm]``; None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if not isinstance(value, str) or not re.fullmatch(r"(\d+:){0,2}\d+(\.\d+)?", value.strip()):
        return None
    seconds = 0.0
    for part in value.strip().split(":"):
        seconds = seconds * 60 + float(part)
    return seconds
