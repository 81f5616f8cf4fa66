"""A spreadsheet exported as CSV (header row, one session per row) -> :class:`Programme`.

Columns are found by common names (``Title``, ``Start``, ``Room``, ``Speakers`` …, see
``COLUMNS``); ``mapping`` (column -> field) names the others. Speakers are separated by
``;`` or new lines (by ``,`` when neither appears); an ``affiliations`` column lines up
with them the same way.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, tzinfo
from pathlib import Path

from .convert import Context, FieldError, finish, read_event
from .model import (
    Person,
    Programme,
    ScheduleError,
    Session,
    parse_datetime,
    session_label,
    time_zone,
)

COLUMNS: dict[str, tuple[str, ...]] = {
    "guid": ("guid", "uuid"),
    "id": ("id", "session id", "talk id", "submission id", "event id", "code"),
    "title": ("title", "session title", "talk title", "session", "talk"),
    "subtitle": ("subtitle",),
    "start": ("start", "starts", "start time", "begin", "datetime", "date time", "when"),
    "date": ("date", "day date"),
    "end": ("end", "ends", "end time"),
    "duration": ("duration", "length"),
    "day": ("day",),
    "room": ("room", "location", "venue", "stage", "hall"),
    "track": ("track", "stream", "category"),
    "type": ("type", "session type", "format"),
    "language": ("language", "lang"),
    "license": ("license", "licence", "recording license", "recording licence"),
    "abstract": ("abstract", "summary", "teaser"),
    "description": ("description", "details", "long description"),
    "speakers": ("speakers", "speaker", "persons", "presenters", "presenter"),
    "affiliations": ("affiliations", "affiliation", "organisation", "organization"),
    "chair": ("chair", "chairs", "moderator", "host"),
    "do_not_record": ("do not record", "no recording", "dnr"),
    "do_not_stream": ("do not stream", "no stream", "no streaming"),
    "state": ("state", "status"),
    "slug": ("slug",),
    "url": ("url", "session url", "web page", "page"),
    "links": ("links", "link", "slides"),
    "keywords": ("keywords", "tags"),
    "time_zone": ("time zone", "timezone", "tz"),
}


def read(
    path: Path, *, mapping: dict[str, str] | None = None, default_zone: str | None = None
) -> Programme:
    """Every session of a CSV export; raises :class:`ScheduleError` naming each problem."""
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScheduleError(
            f"not UTF-8 text (byte {exc.start}): export the spreadsheet as 'CSV UTF-8'", path=path
        ) from exc
    except OSError as exc:
        raise ScheduleError(f"cannot read: {exc.strerror}", path=path) from exc
    first_line = raw.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)  # the header decides
    reader = csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise ScheduleError("empty: expected a header row", path=path)
    columns = _columns(path, header, mapping or {})
    ctx = Context(path=path, system="csv", zone=None)
    fallback: tzinfo | None = None
    if default_zone:
        try:
            fallback = time_zone(default_zone)
        except LookupError as exc:
            raise ScheduleError(str(exc), path=path, field="time zone") from None
    sessions: list[Session] = []
    try:
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            cells = {f: row[i].strip() for f, i in columns.items() if i < len(row)}
            ctx.prefix = f"row {line}"
            session = _session(cells, ctx, fallback)
            if session is not None:
                sessions.append(session)
    except csv.Error as exc:
        raise ScheduleError(f"not valid CSV: line {reader.line_num}: {exc}", path=path) from exc
    ctx.prefix = None
    ordered = finish(ctx, sessions, zone_name=None)
    return Programme(path=path, system="csv", sessions=ordered, warnings=ctx.warnings)


def _columns(path: Path, header: list[str], mapping: dict[str, str]) -> dict[str, int]:
    names = [_norm(h) for h in header]
    found: dict[str, int] = {}
    for column, field_name in mapping.items():
        if field_name not in COLUMNS:
            raise ScheduleError(
                f"unknown field '{field_name}' (known: {', '.join(COLUMNS)})",
                path=path,
                field=f"column mapping '{column}={field_name}'",
            )
        if _norm(column) not in names:
            raise ScheduleError(
                f"no such column (the header has: {', '.join(header)})",
                path=path,
                field=f"column mapping '{column}={field_name}'",
            )
        found[field_name] = names.index(_norm(column))
    for field_name, aliases in COLUMNS.items():
        if field_name in found:
            continue
        for alias in aliases:
            if alias in names and names.index(alias) not in found.values():
                found[field_name] = names.index(alias)
                break
    missing = [f for f in ("title", "start") if f not in found]
    if "start" in missing and "date" in found:
        missing.remove("start")
    if "guid" not in found and "id" not in found:
        missing.append("id or guid (so that a re-import finds the same episode)")
    if missing:
        raise ScheduleError(
            f"no column for {', '.join(missing)}; the header has: {', '.join(header)} "
            "(map a column with COLUMN=FIELD)",
            path=path,
        )
    return found


def _session(cells: dict[str, str], ctx: Context, fallback: tzinfo | None) -> Session | None:
    ident = cells.get("id") or cells.get("guid")
    label = session_label(cells.get("title"), ident)
    try:
        zone = time_zone(cells["time_zone"]) if cells.get("time_zone") else fallback
    except LookupError as exc:
        ctx.problem(label, "time zone", str(exc))
        return None
    try:
        start = _start(cells, zone)
    except FieldError as exc:
        ctx.problem(label, exc.field, str(exc))
        return None
    ctx.zone = start.tzinfo
    ctx.day_label = cells.get("day") or start.date().isoformat()
    speakers = _split(cells.get("speakers", ""))
    affiliations = _split(cells.get("affiliations", ""))
    event = {
        "id": cells.get("id"),
        "guid": cells.get("guid"),
        "title": cells.get("title"),
        "subtitle": cells.get("subtitle"),
        "date": start.isoformat(),
        "duration": cells.get("duration"),
        "end": cells.get("end"),
        "room": cells.get("room"),
        "track": cells.get("track"),
        "type": cells.get("type"),
        "language": cells.get("language"),
        "recording_license": cells.get("license"),
        "abstract": cells.get("abstract"),
        "description": cells.get("description"),
        "persons": [
            {"name": name, "affiliation": affiliations[i] if i < len(affiliations) else None}
            for i, name in enumerate(speakers)
        ],
        "links": cells.get("links", "").split(),
        "do_not_record": cells.get("do_not_record"),
        "do_not_stream": cells.get("do_not_stream"),
        "state": cells.get("state"),
        "slug": cells.get("slug"),
        "url": cells.get("url"),
    }
    if event["duration"] and event["duration"].isdigit():
        event["duration"] = f"{int(event['duration']) // 60}:{int(event['duration']) % 60:02d}"
    session = read_event(event, ctx)
    if session is not None:
        session.chair = [Person(name=" ".join(n.split())) for n in _split(cells.get("chair", ""))]
        keywords = re.split(r"[;,]", cells.get("keywords", ""))
        session.keywords = [k.strip() for k in keywords if k.strip()]
    return session


def _start(cells: dict[str, str], zone: tzinfo | None) -> datetime:
    value = cells.get("start", "")
    day = cells.get("date", "")
    if not value and not day:
        raise FieldError("start", "empty")
    if re.fullmatch(r"\d{1,2}[:.]\d{2}(:\d{2})?", value) or not value:
        if not day:
            raise FieldError("start", f"'{value}' is a time of day, and the row has no date")
        clock = time.fromisoformat(value.replace(".", ":").zfill(5)) if value else time(0)
        day_value = _date(day)
        if day_value is None:
            raise FieldError("date", f"not a date (YYYY-MM-DD or DD.MM.YYYY): '{day}'")
        value = datetime.combine(day_value, clock).isoformat()
    else:
        value = _german(value)
    try:
        return parse_datetime(value, zone)
    except ValueError as exc:
        message = str(exc).replace("the programme names no time zone", "no time zone is given")
        raise FieldError(
            "start", message + " (add a time zone column or give a default time zone)"
        ) from None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(_german(value.strip())[:10])
    except ValueError:
        return None


def _german(value: str) -> str:
    """``21.08.2019 11:00`` -> ``2019-08-21 11:00`` (day first, as spreadsheets write it)."""
    m = re.fullmatch(r"\s*(\d{1,2})\.(\d{1,2})\.(\d{4})(.*)", value)
    return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}{m[4]}" if m else value


def _split(value: str) -> list[str]:
    parts = re.split(r"[;\n]", value) if re.search(r"[;\n]", value) else value.split(",")
    return [p.strip() for p in parts if p.strip()]


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())
