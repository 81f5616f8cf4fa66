"""frab / pretalx ``schedule.json`` (the c3voc schedule format) -> :class:`Programme`."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import Problem
from .convert import Context, finish, read_event
from .model import Programme, ScheduleError, Session, time_zone


def read(path: Path, *, default_zone: str | None = None) -> Programme:
    """Every session of a schedule.json; raises :class:`ScheduleError` naming each problem."""
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScheduleError(f"cannot read: {exc}", path=path) from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ScheduleError(
            f"not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}", path=path
        ) from exc
    schedule = data.get("schedule") if isinstance(data, dict) else None
    conference = schedule.get("conference") if isinstance(schedule, dict) else None
    if not isinstance(conference, dict):
        raise ScheduleError(
            "no schedule.conference object: not a frab/pretalx schedule.json", path=path
        )
    return read_conference(path, schedule, conference, default_zone=default_zone)


def read_conference(
    path: Path, schedule: dict[str, Any], conference: dict[str, Any], *, default_zone: str | None
) -> Programme:
    zone_name = _text(conference.get("time_zone_name")) or default_zone
    ctx = Context(path=path, system=_system(schedule), zone=None)
    if zone_name:
        try:
            ctx.zone = time_zone(zone_name)
        except LookupError as exc:
            raise ScheduleError(str(exc), path=path, field="conference: time_zone_name") from None
    ctx.base_url = _text(schedule.get("base_url")) or _text(conference.get("base_url"))
    days = conference.get("days")
    if not isinstance(days, list):
        raise ScheduleError("missing or not a list", path=path, field="conference: days")
    sessions: list[Session] = []
    for position, day in enumerate(days, start=1):
        if not isinstance(day, dict):
            ctx.problems.append(Problem(path, f"day {position}", "not an object"))
            continue
        index = day.get("index", position)
        ctx.day_label = f"Day {index}"
        ctx.day_date = _date(day.get("date"))
        ctx.day_start = _datetime(day.get("day_start"))
        rooms = day.get("rooms") or {}
        if not isinstance(rooms, dict):
            ctx.problems.append(Problem(path, f"day {index}: rooms", "not an object"))
            continue
        for room, events in rooms.items():
            ctx.room = room
            for event in events if isinstance(events, list) else []:
                session = read_event(event, ctx)
                if session is not None:
                    sessions.append(session)
    ordered = finish(ctx, sessions, zone_name=zone_name)
    return Programme(
        path=path,
        system=ctx.system,
        sessions=ordered,
        time_zone=zone_name,
        title=_text(conference.get("title")),
        warnings=ctx.warnings,
    )


def _system(schedule: dict[str, Any]) -> str:
    """pretalx or frab (or whatever the generator says), for the episode's ``source``."""
    generator = schedule.get("generator")
    if isinstance(generator, dict) and _text(generator.get("name")):
        return str(generator["name"]).lower()
    dump = json.dumps(schedule.get("conference", {}).get("days", [])[:1])
    return "pretalx" if '"code"' in dump or "/talk/" in dump else "frab"


def _text(value: Any) -> str | None:
    return str(value).strip() or None if isinstance(value, str | int) else None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
