"""Programme session -> episode front matter, and the safe re-import merge.

Each field the import writes is *managed*: ``imported.fields`` keeps a short hash of the
value as last imported. On re-import a managed field is updated from the programme only
while the file still holds that value; a field the organiser changed (or removed) is
kept and reported. ``guid`` and ``slug`` are written once and never changed. Fields the
import never writes (``audio``, ``episode``, ``explicit`` …) are never touched.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from . import text
from .model import Session

MANAGED = (
    "title",
    "subtitle",
    "start",
    "day",
    "track",
    "room",
    "language",
    "license",
    "duration",
    "keywords",
    "links",
    "do_not_record",
    "speakers",
    "chair",
    "source",
)
BODY = "body"  # the Markdown description, tracked like a field
FORCED = ("do_not_record",)  # set even over a hand edit: a speaker's refusal wins


def programme_fields(session: Session) -> dict[str, Any]:
    """The managed front matter values for ``session``; absent values are left out."""
    chair = [p.table() for p in session.chair]
    source = {
        "system": session.system,
        "id": session.source_id,
        "code": session.code,
        "slug": session.slug,
        "url": session.url,
    }
    values: dict[str, Any] = {
        "title": session.title,
        "subtitle": session.subtitle,
        "start": session.start,
        "day": session.day,
        "track": session.track,
        "room": session.room,
        "language": session.language,
        "license": session.license,
        "duration": session.duration,
        "keywords": list(session.keywords),
        "links": [{"title": link.title, "url": link.url} for link in session.links],
        "do_not_record": True if "do_not_record" in session.flags else None,
        "speakers": [p.table() for p in session.speakers],
        "chair": chair[0] if len(chair) == 1 else chair,
        "source": {k: v for k, v in source.items() if v},
    }
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}


def programme_body(session: Session) -> str:
    return text.body(session.abstract, session.description)


def fingerprint(value: Any) -> str:
    """A short, stable hash of a front matter value (``None`` = absent)."""
    canonical = json.dumps(_plain(value), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


@dataclass
class Merged:
    """The result of merging one session into one episode file."""

    meta: dict[str, Any]
    body: str
    kept: list[str] = field(default_factory=list)  # "title: edited by hand (programme: …)"


def new_episode(session: Session, guid: str, slug: str) -> Merged:
    """Front matter and body for a session that has no episode file yet."""
    return new_from_values(programme_fields(session), programme_body(session), guid, slug)


def new_from_values(
    values: dict[str, Any], body: str, guid: str, slug: str, managed: tuple[str, ...] = MANAGED
) -> Merged:
    """Front matter and body for a new episode from managed ``values`` (any importer)."""
    meta: dict[str, Any] = {}
    for key in ("title", "subtitle", "start"):
        if key in values:
            meta[key] = values[key]
    meta["guid"] = guid
    meta["slug"] = slug
    meta.update({k: v for k, v in values.items() if k not in meta})
    hashes: dict[str, str] = {}
    for key in managed:
        _record(hashes, key, values.get(key))
    _record(hashes, BODY, _body_key(body))
    meta["imported"] = {"fields": hashes}
    return Merged(meta=meta, body=body)


def merge(meta: dict[str, Any], body: str, session: Session) -> Merged:
    """Update an existing episode from ``session``, keeping the organiser's edits."""
    return merge_values(meta, body, programme_fields(session), programme_body(session))


def merge_values(
    meta: dict[str, Any],
    body: str | None,
    values: dict[str, Any],
    new_body: str | None,
    managed: tuple[str, ...] = MANAGED,
    source: str = "programme",
) -> Merged:
    """Update ``meta`` (and ``body``; None = no body is managed) from managed ``values``,
    keeping every field changed by hand since the last import."""
    imported = meta.get("imported")
    old_hashes = imported.get("fields") if isinstance(imported, dict) else None
    old_hashes = old_hashes if isinstance(old_hashes, dict) else {}
    hashes = dict(old_hashes)
    result = dict(meta)
    kept: list[str] = []
    keys = (*managed, BODY) if new_body is not None and body is not None else managed
    for key in keys:
        new = _body_key(new_body or "") if key == BODY else values.get(key)
        current = _body_key(body or "") if key == BODY else meta.get(key)
        last = old_hashes.get(key)
        if _same(current, new):
            _record(hashes, key, new)
            continue
        untouched = current is None if last is None else fingerprint(current) == last
        if untouched or (key in FORCED and new is not None):
            if key == BODY:
                body = new_body
            elif new is None:
                result.pop(key, None)
            else:
                result[key] = new
            _record(hashes, key, new)
        else:
            kept.append(f"{key}: edited by hand, kept ({source}: {_show(key, new)})")
    imported_table = dict(imported) if isinstance(imported, dict) else {}
    imported_table["fields"] = hashes
    result.pop("imported", None)
    result["imported"] = imported_table
    return Merged(meta=result, body=body or "", kept=kept)


def _record(hashes: dict[str, str], key: str, value: Any) -> None:
    """Remember what was imported; an absent value is remembered by having no hash."""
    if _plain(value) is None:
        hashes.pop(key, None)
    else:
        hashes[key] = fingerprint(value)


def _body_key(body: str) -> str | None:
    return text.normalize(body) or None


def _same(a: Any, b: Any) -> bool:
    return fingerprint(a) == fingerprint(b)


def _plain(value: Any) -> Any:
    if value in ("", [], {}):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _show(key: str, value: Any) -> str:
    if value is None:
        return "(none)"
    if key == BODY:
        return "a changed description"
    shown = json.dumps(_plain(value), ensure_ascii=False)
    return shown if len(shown) <= 60 else shown[:57] + "…"
