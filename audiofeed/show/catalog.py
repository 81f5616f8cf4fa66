"""Episode files -> immutable ``Episode`` / ``Catalog``; every problem is collected first."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..common.memo import Recall
from ..common.paths import RealPaths
from ..errors import AudiofeedError, Problem, ValidationError
from . import frontmatter
from . import sourceurl as sources
from .config import Config, file_inside, local_file
from .episode_parts import Chapter, Link, PartsReader, Person, parse_timestamp
from .masterconfig import MasterSettings
from .masterconfig import for_episode as master_for_episode

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
EPISODE_TYPES = ("full", "trailer", "bonus")
TRANSCRIPTS_DIR = "transcripts"  # transcripts/SLUG.vtt: an episode's default transcript
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
    "master",
    "audio_stream",
    "trim",
    "trim_silence",
}
TRIM_KEYS = {"start", "end"}


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
    master: MasterSettings = field(default_factory=MasterSettings)
    audio_stream: int = 0
    trim: tuple[float | None, float | None] = (None, None)
    #: ``audio = "s3://…"``: the object; ``audio`` is then the local copy's path (sources.py)
    audio_url: str | None = None

    @property
    def people(self) -> tuple[Person, ...]:
        return self.chairs + self.speakers


@dataclass(frozen=True)
class Catalog:
    """A show's sessions, in programme order (start time, then episode number, slug):
    ``episodes`` are published; ``waiting`` have no recording yet (a normal state while a
    conference runs); ``held`` are marked ``do_not_record``. Only ``episodes`` reach the
    feeds."""

    config: Config
    episodes: tuple[Episode, ...]
    warnings: tuple[Problem, ...] = ()
    waiting: tuple[Episode, ...] = ()
    held: tuple[Episode, ...] = ()

    @property
    def sessions(self) -> tuple[Episode, ...]:
        """Every session, whatever its state, in programme order."""
        return tuple(sorted((*self.episodes, *self.waiting, *self.held), key=programme_order))

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


def programme_order(e: Episode) -> tuple[dt.datetime, int, str]:
    return (e.start, e.episode or 0, e.slug)


def load(config: Config, memo: Recall | None = None, *, collect: bool = False) -> Catalog:
    """Load and validate every episode; raise ``ValidationError`` listing every problem
    (with ``collect``, return the valid episodes and every problem among the warnings
    instead: ``check`` goes on to the recordings). ``memo``: episode files parsed by an
    earlier run (see ``frontmatter.read``)."""
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
    if any(p.severity == "error" for p in problems) and not collect:
        raise ValidationError(problems=problems)
    episodes.sort(key=programme_order)
    waiting = [e for e in episodes if e.audio is None and not e.do_not_record]
    held = [e for e in episodes if e.do_not_record]
    problems += [
        Problem(e.path, "do_not_record", "has a recording, but is not published", "warning")
        for e in held
        if e.audio is not None
    ]
    published = [e for e in episodes if e.audio is not None and not e.do_not_record]
    return Catalog(
        config=config,
        episodes=tuple(published),
        warnings=tuple(problems),
        waiting=tuple(waiting),
        held=tuple(held),
    )


def overdue(waiting: tuple[Episode, ...], hours: float, now: dt.datetime) -> list[Problem]:
    """A warning for each waiting session that started more than ``hours`` ago (0: never)."""
    if hours <= 0:
        return []
    late = [e for e in waiting if now - e.start > dt.timedelta(hours=hours)]
    return [
        Problem(
            e.path,
            "audio",
            f"the session started {_ago(now - e.start)} ago and still has no recording; "
            "attach it with 'audiofeed import recordings DIR' (or set do_not_record = true)",
            "warning",
        )
        for e in late
    ]


def _ago(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.0f} hours"


def about_episode(episode: Episode, p: Problem) -> Problem:
    """A recording's problem as a line about the episode file that names the recording."""
    if episode.audio is None or p.path != episode.audio:
        return p
    message = p.message if episode.audio.name in p.message else f"{episode.audio.name}: {p.message}"
    return Problem(episode.path, p.field or "audio", message, p.severity)


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


class _EpisodeReader(PartsReader):
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
        audio = self.recording(m)  # no audio: the session is waiting for its recording
        episode_type = self.text(m, "episode_type") or "full"
        if episode_type not in EPISODE_TYPES:
            self.problem("episode_type", f"must be one of {', '.join(EPISODE_TYPES)}")
        do_not_record = self.boolean(m, "do_not_record") or False
        if not title or start is None or not slug:
            return None
        return Episode(
            path=self.path,
            title=title,
            start=start,
            slug=slug,
            guid=guid,
            audio=audio,
            audio_url=self.audio_url,
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
            master=self.master(m),
            audio_stream=self.stream(m),
            trim=self.trim(m.get("trim")),
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

    def recording(self, m: dict[str, Any]) -> Path | None:
        """``audio``: the organiser's own file, inside the show folder or anywhere on their
        disks (an absolute path, or one relative to the show folder that leaves it). Only
        episode files say this; imported programmes and CSVs never set it."""
        value = self.text(m, "audio")
        self.audio_url = None
        if value is None:
            return None
        if value.startswith("s3://"):  # in an ingest bucket: sources.py reads it
            try:
                path = sources.local_path(self.config.root, value)
            except ValueError as exc:
                self.problem("audio", f"{value!r}: {exc}")
                return None
            self.audio_url = value
            return path
        if re.match(r"^[a-z][a-z0-9+.-]*://", value, re.IGNORECASE):
            self.problem(
                "audio",
                f"{value!r}: recordings are read from files or s3://BUCKET/KEY here; "
                "copy it to this machine and give its path",
            )
            return None
        resolved, message = local_file(self.config.root, value, self.real)
        if resolved is None:
            self.problem("audio", message)
        return resolved

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

    def master(self, m: dict[str, Any]) -> MasterSettings:
        """``[master]`` with the episode's ``master`` and ``trim_silence`` on top."""
        settings = master_for_episode(self.config.master, m.get("master"), self.problem)
        silence = self.boolean(m, "trim_silence")
        if silence is not None:
            settings = dataclasses.replace(settings, trim_silence=silence)
        return settings

    def stream(self, m: dict[str, Any]) -> int:
        value = m.get("audio_stream", 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem("audio_stream", "must be a whole number, 0 for the first audio stream")
            return 0
        return value

    def trim(self, value: Any) -> tuple[float | None, float | None]:
        if value is None:
            return (None, None)
        if not isinstance(value, dict) or not value:
            self.problem("trim", 'must be a table, e.g. trim = { start = "00:02:10" }')
            return (None, None)
        for extra in sorted(set(value) - TRIM_KEYS):
            self.problem(f"trim.{extra}", "unknown field (allowed: start, end)")
        out: list[float | None] = []
        for key in ("start", "end"):
            t = parse_timestamp(value[key]) if key in value else None
            if key in value and t is None:
                self.problem(f"trim.{key}", "must be seconds or HH:MM:SS(.mmm)")
            out.append(t)
        start, end = out
        if start is not None and end is not None and end <= start:
            self.problem("trim", "end must come after start")
            return (None, None)
        return (start or None, end)
