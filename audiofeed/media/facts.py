"""What a recording's tags say about its episode, in episode-file terms (``new --from-audio``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .chapters import timestamp
from .probe import probe
from .tagger import read_file


def episode_facts(path: Path) -> dict[str, Any]:
    """duration, and where tagged: title, speakers, date (tag text), day, track, episode,
    keywords, description, language, license and chapters."""
    info = probe(path)
    tags = read_file(path, info)
    f = tags.fields
    out: dict[str, Any] = {"duration": info.duration}
    for field, key in (("title", "title"), ("date", "date"), ("language", "language")):
        if f.get(field):
            out[key] = f[field]
    if f.get("copyright"):
        out["license"] = f["copyright"]
    if f.get("artist") and f["artist"] != f.get("album_artist"):  # not the organiser fallback
        names = (s.strip() for s in f["artist"].replace(";", ",").split(","))
        out["speakers"] = [n for n in names if n]
    if f.get("grouping"):
        day, _, track = (x.strip() for x in f["grouping"].partition(" / "))
        out.update({k: v for k, v in (("day", day), ("track", track)) if v})
    number = f.get("track", "").split("/")[0]
    if number.isdigit() and int(number) > 0:
        out["episode"] = int(number)
    if f.get("keywords"):
        out["keywords"] = [k.strip() for k in f["keywords"].split(",") if k.strip()]
    text = f.get("long_description") or f.get("comment")
    if text:
        out["description"] = text
    if tags.chapters:
        out["chapters"] = [
            {"start": timestamp(c.start), "title": c.title or f"Chapter {n}"}
            | ({"url": c.url} if c.url else {})
            for n, c in enumerate(tags.chapters, 1)
        ]
    return out
