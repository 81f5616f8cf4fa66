"""The [podcast] table of config.toml, updated from an imported feed with tomlkit, so the
organiser's comments and layout stay. ``[imported]`` remembers a short hash of each value
as last imported; a value changed by hand since then is kept (the episode rule)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from .merge import fingerprint, merge_values


@dataclass
class ConfigUpdate:
    path: Path
    old: str
    new: str
    kept: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.old != self.new


def update(path: Path, values: dict[str, Any], managed: tuple[str, ...], feed: str) -> ConfigUpdate:
    """The new text of config.toml with the feed's ``values`` merged into [podcast]. On the
    first import (no ``[imported]`` table) every value the feed states is taken. A value the
    feed does not state leaves the table's own (config.toml needs title, website …)."""
    managed = tuple(k for k in managed if k in values)
    old = path.read_text(encoding="utf-8")
    data = tomllib.loads(old)
    podcast = data.get("podcast") if isinstance(data.get("podcast"), dict) else {}
    imported = data.get("imported") if isinstance(data.get("imported"), dict) else None
    if imported is None:  # first import: the feed replaces init's placeholders
        imported = {"fields": {k: fingerprint(podcast[k]) for k in managed if k in podcast}}
    merged = merge_values(
        {**podcast, "imported": imported}, None, values, None, managed, source="feed"
    )
    doc = tomlkit.parse(old)
    table = doc.get("podcast")
    if table is None:
        table = tomlkit.table()
        doc["podcast"] = table
    for key in managed:
        new = merged.meta.get(key)
        if fingerprint(new) == fingerprint(podcast.get(key)):
            continue
        if new is None:
            table.pop(key, None)
        else:
            table[key] = _item(new)
    record = tomlkit.table()
    record["feed"] = feed
    fields = tomlkit.inline_table()
    fields.update(dict(sorted(merged.meta["imported"]["fields"].items())))
    record["fields"] = fields
    doc["imported"] = record
    return ConfigUpdate(path, old, tomlkit.dumps(doc), kept=merged.kept)


def _item(value: Any) -> Any:
    """Tables inside [podcast] as inline tables (``owner = { … }``), lists of tables as
    arrays of inline tables, like the rest of the documented config."""
    if isinstance(value, dict):
        inline = tomlkit.inline_table()
        inline.update(value)
        return inline
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        array = tomlkit.array()
        for v in value:
            array.append(_item(v))
        return array
    return value
