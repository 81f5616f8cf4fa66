"""``audiofeed inspect``: technical facts, every tag, chapter and picture of a recording."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from .chapters import timestamp
from .formats import BY_NAME
from .master import loudness
from .probe import FORMATS, probe
from .tagger import read_file

WIDTH = 100


def report(path: Path) -> dict[str, Any]:
    """Everything known about one file, as JSON-ready data (raises MediaError if unreadable);
    its loudness measured as mastering measures it (ebur128, true peak, mono as dual-mono)."""
    if path.suffix.lower() not in FORMATS:  # a master mutagen does not read: ffmpeg's facts
        m = loudness(path)
        return {
            "file": str(path),
            "format": m["container"],
            "mime": None,
            "codec": m["codec"],
            "duration": m["duration"],
            "bitrate": None,
            "sample_rate": m["sample_rate"],
            "channels": m["channels"],
            "size": path.stat().st_size,
            "tag_format": "",
            "fields": {},
            "tags": [],
            "pictures": [],
            "chapters": [],
            "loudness": _loudness(m),
        }
    info = probe(path)
    tags = read_file(path, info)
    return {
        "file": str(path),
        "format": info.kind,
        "mime": info.mime,
        "codec": info.codec,
        "duration": round(info.duration, 3),
        "bitrate": info.bitrate,
        "sample_rate": info.sample_rate,
        "channels": info.channels,
        "size": info.size,
        "tag_format": tags.version,
        "fields": tags.fields,
        "tags": [{"key": k, "value": v} for k, v in tags.raw],
        "pictures": [p.summary() for p in tags.pictures],
        "chapters": [c.summary() for c in tags.chapters],
        "loudness": _loudness(loudness(path)),
    }


def _loudness(m: dict[str, Any]) -> dict[str, Any]:
    return {k: m[k] for k in ("integrated", "lra", "true_peak")}


def render(data: dict[str, Any]) -> str:
    """A readable table of one :func:`report`."""
    lines = [data["file"]]
    mime = data["mime"] or "not published as is"
    facts = [
        ("format", f"{data['format']} ({mime}), codec {data['codec']}"),
        ("duration", f"{timestamp(data['duration'])} ({data['duration']} s)"),
        ("bitrate", f"{data['bitrate'] // 1000} kb/s" if data["bitrate"] else "unknown"),
        ("sample rate", f"{data['sample_rate']} Hz" if data["sample_rate"] else "unknown"),
        ("channels", str(data["channels"] or "unknown")),
        ("size", f"{data['size']:,} bytes"),
        ("loudness", _describe(data)),
        ("tags", data["tag_format"] or "none"),
    ]
    lines += _table(facts)
    if data["fields"]:
        lines.append("fields:")
        rows = [(BY_NAME[k].label if k in BY_NAME else k, v) for k, v in data["fields"].items()]
        lines += _table(rows)
    lines.append(f"all tags ({len(data['tags'])}):")
    lines += _table([(t["key"], t["value"]) for t in data["tags"]]) or ["  (none)"]
    lines.append(f"pictures ({len(data['pictures'])}):")
    for p in data["pictures"]:
        size = f"{p['width']}x{p['height']}" if p["width"] else "unknown size"
        kind = "front cover" if p["type"] == 3 else f"type {p['type']}"
        lines.append(f"  {kind}: {p['mime']} {size}, {p['size']:,} bytes")
    lines.append(f"chapters ({len(data['chapters'])}):")
    for c in data["chapters"]:
        end = f" - {timestamp(c['end'])}" if "end" in c else ""
        extra = f"  <{c['url']}>" if c.get("url") else ""
        lines.append(f"  {timestamp(c['start'])}{end}  {c['title']}{extra}")
    return "\n".join(lines)


def _describe(data: dict[str, Any]) -> str:
    m = data["loudness"]
    mono = " (mono, measured as heard on two speakers)" if data["channels"] == 1 else ""
    return (
        f"{m['integrated']:.1f} LUFS integrated, range {m['lra']:.1f} LU, "
        f"true peak {m['true_peak']:.1f} dBTP{mono}"
    )


def _table(rows: list[tuple[str, str]]) -> list[str]:
    if not rows:
        return []
    width = min(max(len(k) for k, _ in rows), 32)
    out = []
    for key, value in rows:
        text = " ".join(str(value).split())
        wrapped = textwrap.wrap(text, WIDTH - width - 4) or [""]
        if len(wrapped) > 3:
            wrapped = [*wrapped[:3], f"… ({len(text):,} characters)"]
        out.append(f"  {key:<{width}}  {wrapped[0]}")
        out += [f"  {'':<{width}}  {more}" for more in wrapped[1:]]
    return out
