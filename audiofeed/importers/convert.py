"""One frab / pretalx event (the schedule.json shape; the XML reader builds the same
dict) -> a neutral :class:`Session`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..errors import Problem
from . import text
from .model import (
    Link,
    Person,
    Session,
    format_duration,
    looks_cancelled,
    parse_datetime,
    parse_duration,
    session_label,
    truthy,
)


class FieldError(ValueError):
    """A value of one session is wrong; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class Context:
    """What a reader knows around an event: the file, the zone, the day it sits in."""

    path: Path
    system: str
    zone: tzinfo | None
    base_url: str | None = None
    day_label: str | None = None
    day_date: date | None = None
    day_start: datetime | None = None
    room: str | None = None
    prefix: str | None = None  # e.g. "row 5" in a spreadsheet
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def problem(self, label: str, field_name: str | None, message: str) -> None:
        where = f"{label}: {field_name}" if field_name else label
        if self.prefix:
            where = f"{self.prefix}: {where}"
        self.problems.append(Problem(self.path, where, message))


def read_event(event: Any, ctx: Context) -> Session | None:
    """The session for ``event``; on a problem, record it in ``ctx`` and return None."""
    if not isinstance(event, dict):
        ctx.problem(f"{ctx.day_label or 'day'} room '{ctx.room}'", None, "event is not an object")
        return None
    ident = _str(event.get("id")) or _str(event.get("code")) or _str(event.get("guid"))
    label = session_label(_str(event.get("title")), ident)
    try:
        return _session(event, ident, ctx)
    except FieldError as exc:
        ctx.problem(label, exc.field, str(exc))
        return None


def _session(event: dict[str, Any], ident: str | None, ctx: Context) -> Session:
    title = text.one_line(_str(event.get("title")))
    if not title:
        raise FieldError("title", "missing or empty")
    start = _start(event, ctx)
    flags = {
        name
        for name, value in (
            ("do_not_record", event.get("do_not_record")),
            ("do_not_stream", event.get("do_not_stream")),
        )
        if _flag(name, value)
    }
    recording = event.get("recording")
    if isinstance(recording, dict) and _flag("recording.optout", recording.get("optout")):
        flags.add("do_not_record")
    license_ = _str(event.get("recording_license"))
    if not license_ and isinstance(recording, dict):
        license_ = _str(recording.get("license"))
    state = _str(event.get("state")) or _str(event.get("status"))
    session = Session(
        title=title,
        start=start,
        guid=_str(event.get("guid")),
        source_id=_str(event.get("id")) or _str(event.get("code")),
        system=ctx.system,
        code=_str(event.get("code")) or _code_from_url(_str(event.get("url"))),
        slug=_str(event.get("slug")),
        subtitle=text.one_line(_str(event.get("subtitle"))),
        day=ctx.day_label,
        track=text.one_line(_name(event.get("track"))),
        room=text.one_line(_name(event.get("room"))) or ctx.room,
        language=(_str(event.get("language")) or "").lower() or None,
        license=text.one_line(license_),
        duration=_duration(event, start),
        kind=text.one_line(_str(event.get("type"))),
        abstract=text.to_markdown(_str(event.get("abstract")), ctx.base_url),
        description=text.to_markdown(_str(event.get("description")), ctx.base_url),
        speakers=_persons(event.get("persons"), ctx),
        links=_links(event, ctx, session_label(title, ident)),
        url=_url(_str(event.get("url")), ctx.base_url),
        flags=frozenset(flags),
        cancelled=looks_cancelled(title, state or _str(event.get("type"))),
    )
    return session


def _start(event: dict[str, Any], ctx: Context) -> datetime:
    value = _str(event.get("date"))
    if value and ("T" in value or " " in value.strip()):
        try:
            return parse_datetime(value, ctx.zone)
        except ValueError as exc:
            raise FieldError("date", str(exc)) from exc
    hhmm = _str(event.get("start"))
    day = ctx.day_date
    if value:
        day = _date(value)
    if not hhmm or day is None:
        raise FieldError("date", "missing: neither 'date' nor the day's date and 'start'")
    try:
        clock = time.fromisoformat(hhmm.strip())
    except ValueError as exc:
        raise FieldError("start", f"not a time of day (HH:MM): '{hhmm}'") from exc
    if ctx.zone is None:
        raise FieldError("start", "the programme names no time zone (time_zone_name)")
    moment = datetime.combine(day, clock, tzinfo=ctx.zone)
    if ctx.day_start is not None and clock < ctx.day_start.timetz().replace(tzinfo=None):
        moment += timedelta(days=1)  # after midnight, still the same programme day
    return moment


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _duration(event: dict[str, Any], start: datetime) -> str | None:
    value = _str(event.get("duration"))
    if value:
        try:
            return format_duration(parse_duration(value))
        except ValueError as exc:
            raise FieldError("duration", str(exc)) from exc
    end = _str(event.get("end"))
    if end:
        try:
            return format_duration(parse_datetime(end, start.tzinfo) - start)
        except ValueError as exc:
            raise FieldError("end", str(exc)) from exc
    return None


def _flag(name: str, value: Any) -> bool:
    try:
        return truthy(value)
    except ValueError:
        if name == "do_not_stream":
            return True  # hub schedules put a reason there
        raise FieldError(name, f"not true or false: '{value}'") from None


def _persons(value: Any, ctx: Context) -> list[Person]:
    people = []
    for item in value or []:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            continue
        name = text.one_line(_str(item.get("name")) or _str(item.get("public_name")))
        if not name:
            continue
        people.append(
            Person(
                name=name,
                affiliation=text.one_line(_str(item.get("affiliation"))),
                role=text.one_line(_str(item.get("role"))),
                url=_url(_str(item.get("url")), ctx.base_url),
                bio=text.to_markdown(
                    _str(item.get("biography")) or _str(item.get("bio")), ctx.base_url
                )
                or None,
                image=_url(_str(item.get("avatar")) or _str(item.get("image")), ctx.base_url),
            )
        )
    return people


def _links(event: dict[str, Any], ctx: Context, label: str) -> list[Link]:
    links: list[Link] = []
    for key in ("links", "attachments"):
        for item in event.get(key) or []:
            if isinstance(item, str):
                item = {"url": item}
            if not isinstance(item, dict) or not _str(item.get("url")):
                continue
            raw = _str(item.get("url")) or ""
            url = _url(raw, ctx.base_url)
            if url is None:
                ctx.warnings.append(f"{ctx.path}: {label}: {key}: left out '{raw}': not a URL")
                continue
            title = text.one_line(_str(item.get("title"))) or url
            if all(link.url != url for link in links):
                links.append(Link(title=title, url=url))
    return links


def _url(value: str | None, base: str | None) -> str | None:
    """An absolute http(s) URL, relative ones resolved against the programme's base_url."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if base and not urlsplit(value).scheme:
        value = urljoin(base, value)
    return value if urlsplit(value).scheme in ("http", "https") else None


def _code_from_url(url: str | None) -> str | None:
    """pretalx's session code from its page URL (``…/talk/G9JGWY/``)."""
    match = re.search(r"/talk/([A-Z0-9]{5,})/?$", url or "")
    return match[1] if match else None


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        return _str(value.get("name"))
    return _str(value)


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    result = str(value)
    return result if result.strip() else None


def finish(ctx: Context, sessions: list[Session], *, zone_name: str | None) -> list[Session]:
    """Check the programme as a whole (duplicate guids, offsets that disagree with the
    time zone); raise every problem found so far, or return the sessions by start."""
    seen: dict[str, Session] = {}
    for session in sessions:
        if session.guid is None:
            continue
        key = session.guid.lower()
        if key in seen:
            ctx.problem(
                session.label(), "guid", f"'{session.guid}' is also the guid of {seen[key].label()}"
            )
        else:
            seen[key] = session
    if ctx.problems:
        from .model import ScheduleError

        raise ScheduleError.collect(ctx.problems)
    if ctx.zone is not None and zone_name:
        zone = ctx.zone
        odd = [s for s in sessions if s.start.utcoffset() != s.start.astimezone(zone).utcoffset()]
        if odd:
            offset = odd[0].start.isoformat()[19:] or "UTC"
            ctx.warnings.append(
                f"{ctx.path}: conference: time_zone_name '{zone_name}' disagrees with the UTC "
                f"offset of {len(odd)} session date(s) (e.g. {offset} for {odd[0].label()}); "
                "kept each session's own offset"
            )
    return sorted(sessions, key=lambda s: (s.start, s.room or "", s.title))
