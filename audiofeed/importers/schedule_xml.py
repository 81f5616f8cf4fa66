"""frab / pretalx ``schedule.xml`` -> :class:`Programme` (each <event> is turned into the
schedule.json shape and read like one)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .model import Programme
from .schedule_json import read_conference


def read(path: Path, *, default_zone: str | None = None) -> Programme:
    """Every session of a schedule.xml; raises :class:`ScheduleError` naming each problem."""
    from .model import ScheduleError

    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        raise ScheduleError(
            f"not well-formed XML: line {line}, column {column + 1}: {reason}", path=path
        ) from None
    except OSError as exc:
        raise ScheduleError(f"cannot read: {exc.strerror}", path=path) from exc
    if root.tag != "schedule" or root.find("conference") is None:
        raise ScheduleError("no <schedule><conference>: not a frab/pretalx schedule.xml", path=path)
    conf = root.find("conference")
    assert conf is not None
    conference: dict[str, Any] = {child.tag: _text(child) for child in conf if len(child) == 0}
    conference["days"] = [_day(day) for day in root.findall("day")]
    generator = root.find("generator")
    schedule: dict[str, Any] = {"conference": conference, "base_url": conference.get("base_url")}
    if generator is not None and generator.get("name"):
        schedule["generator"] = {"name": generator.get("name")}
    return read_conference(path, schedule, conference, default_zone=default_zone)


def _day(day: ET.Element) -> dict[str, Any]:
    rooms: dict[str, list[dict[str, Any]]] = {}
    for room in day.findall("room"):
        rooms.setdefault(room.get("name") or "", []).extend(
            _event(event) for event in room.findall("event")
        )
    return {
        "index": day.get("index"),
        "date": day.get("date"),
        "day_start": day.get("start"),
        "rooms": rooms,
    }


def _event(event: ET.Element) -> dict[str, Any]:
    data: dict[str, Any] = {k: v for k, v in event.attrib.items() if k in ("id", "guid", "code")}
    for child in event:
        if child.tag == "persons":
            data["persons"] = [
                {"name": _text(p), "id": p.get("id"), "guid": p.get("guid")}
                for p in child.findall("person")
            ]
        elif child.tag in ("links", "attachments"):
            data[child.tag] = [{"url": item.get("href"), "title": _text(item)} for item in child]
        elif child.tag == "recording":
            data["recording"] = {c.tag: _text(c) for c in child}
        elif len(child) == 0:
            data[child.tag] = _text(child)
    return data


def _text(element: ET.Element) -> str | None:
    return element.text if element.text and element.text.strip() else None
