"""The parts of an episode that have their own tables: people, links, chapters, and
their readers (a mixin of the catalog's episode reader, which collects every problem)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PERSON_KEYS = {"name", "affiliation", "role", "url", "bio", "image"}
CHAPTER_KEYS = {"start", "title", "url", "image", "toc"}
LINK_KEYS = {"title", "url"}


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


class PartsReader:
    """Readers for people, links and chapters; the host class provides ``problem`` and
    ``text``."""

    def problem(self, key: str, message: str, severity: str = "error") -> None:
        raise NotImplementedError

    def text(self, m: dict[str, Any], key: str, *, required: bool = False) -> str | None:
        raise NotImplementedError

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
