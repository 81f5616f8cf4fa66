"""The neutral programme model every schedule reader produces, and its errors."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import AudiofeedError, Problem
from ..show import catalog


class ScheduleError(AudiofeedError):
    """A programme cannot be imported. ``problems`` lists every finding, each naming the
    file and the session it is about; ``str()`` is the first one."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        field: str | None = None,
        problems: list[Problem] | None = None,
    ):
        self.problems = problems or [Problem(Path(path) if path else None, field, message)]
        super().__init__(message, path=path, field=field)
        if len(self.problems) > 1:
            self.args = (f"{self.line()} (and {len(self.problems) - 1} more)",)

    @classmethod
    def collect(cls, problems: list[Problem]) -> ScheduleError:
        """One error carrying several problems; its message is the first problem's."""
        first = problems[0]
        return cls(first.message, path=first.path, field=first.field, problems=problems)

    def lines(self) -> list[str]:
        return [p.line() for p in self.problems]


class Person(catalog.Person):
    """A speaker or chair as the programme lists them (the catalog's fields)."""

    def table(self) -> dict[str, str]:
        """The front matter table: only the keys that have a value."""
        keys = ("name", "affiliation", "role", "url", "bio", "image")
        return {k: v for k in keys if (v := getattr(self, k))}


Link = catalog.Link


@dataclass
class Session:
    """One slot of the programme, independent of the format it came from."""

    title: str
    start: datetime
    guid: str | None
    source_id: str | None = None
    system: str = "schedule"
    code: str | None = None
    slug: str | None = None
    subtitle: str | None = None
    day: str | None = None
    track: str | None = None
    room: str | None = None
    language: str | None = None
    license: str | None = None
    duration: str | None = None
    kind: str | None = None
    abstract: str = ""  # Markdown
    description: str = ""  # Markdown
    speakers: list[Person] = field(default_factory=list)
    chair: list[Person] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    url: str | None = None
    flags: frozenset[str] = frozenset()
    cancelled: bool = False

    def label(self) -> str:
        """``session 'Opening' (id 42)``: how messages name this session."""
        return session_label(self.title, self.source_id or self.guid)


@dataclass
class Programme:
    """Every session of a programme plus what the reader noticed on the way."""

    path: Path
    system: str
    sessions: list[Session]
    time_zone: str | None = None
    title: str | None = None
    warnings: list[str] = field(default_factory=list)


def session_label(title: str | None, ident: object | None) -> str:
    name = f"'{title.strip()}'" if title and title.strip() else "(untitled)"
    return f"session {name} (id {ident})" if ident not in (None, "") else f"session {name}"


def time_zone(name: str) -> tzinfo:
    """The zone called ``name``; raise ``LookupError`` naming it if there is none."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise LookupError(f"unknown time zone '{name}'") from exc


def parse_datetime(value: str, zone: tzinfo | None) -> datetime:
    """An ISO 8601 date-time; one without an offset is read in ``zone`` (required then)."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 date and time: '{value}'") from exc
    if moment.tzinfo is None:
        if zone is None:
            raise ValueError(f"'{value}' has no UTC offset and the programme names no time zone")
        moment = moment.replace(tzinfo=zone)
    return moment


_DURATION = re.compile(r"^\s*(\d{1,3}):([0-5]\d)(?::([0-5]\d))?\s*$")


def parse_duration(value: str) -> timedelta:
    """``HH:MM`` or ``HH:MM:SS`` (also a bare number of minutes) as a timedelta."""
    text = str(value).strip()
    if text.isdigit():
        return timedelta(minutes=int(text))
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"not a duration (HH:MM): '{value}'")
    return timedelta(hours=int(m[1]), minutes=int(m[2]), seconds=int(m[3] or 0))


def format_duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def slugify(text: str, *, max_length: int = 80) -> str:
    """Lower-case ASCII letters, digits and single hyphens (``Zoë's talk`` -> ``zoes-talk``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    ascii_text = ascii_text.replace("'", "").replace("’", "")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-")


_TRUE = {"true", "yes", "y", "1", "x", "ja", "oui"}
_FALSE = {"false", "no", "n", "0", "", "nein", "non", "none", "null"}


def truthy(value: object) -> bool:
    """A flag from JSON, XML or a spreadsheet cell; raise ``ValueError`` if unclear."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a yes/no value: '{value}'")


_CANCEL_WORDS = r"(?:cancell?ed|abgesagt|entf[äa]llt|withdrawn|zur[üu]ckgezogen)"
_CANCEL_TITLE = re.compile(
    rf"^\s*(?:[\[(]\s*{_CANCEL_WORDS}\s*[\])]|{_CANCEL_WORDS}\s*[:!–—-])"
    rf"|[\[(]\s*{_CANCEL_WORDS}\s*[\])]\s*$",
    re.IGNORECASE,
)
CANCELLED_STATES = frozenset({"canceled", "cancelled", "withdrawn", "rejected", "deleted"})


def looks_cancelled(title: str, state: str | None = None) -> bool:
    """True if ``state`` is a cancelled state or the title carries a cancellation marker
    such as ``[CANCELLED] …``, ``Cancelled: …``, ``… (abgesagt)``; a talk *about*
    cancelling (``Cancel culture``) is not one."""
    if state and state.strip().lower() in CANCELLED_STATES:
        return True
    return bool(_CANCEL_TITLE.search(title))
