"""What audiofeed remembers between runs: the published manifest and the local probe cache."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..common.files import write_atomic

STATE_DIR = ".audiofeed"  # audiofeed's own files, in the show folder and the destination
FEED_KEY = "feed.xml"  # the main feed
MANIFEST_KEY = ".audiofeed/manifest.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class MediaRecord:
    """A published recording: which source and tags made it, and what was uploaded."""

    fingerprint: str
    key: str
    size: int
    sha256: str
    mime: str
    duration: float


@dataclass
class Manifest:
    """Kept at the destination, written last: what the live feed refers to."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> {size, sha256}
    media: dict[str, MediaRecord] = field(default_factory=dict)  # episode guid -> record
    feeds: dict[str, str] = field(default_factory=dict)  # feed key -> podcast:guid (kept)
    #: who committed it: host, user, time, folder (never a secret); see commit.py
    published: dict[str, Any] = field(default_factory=dict)
    #: set while its publisher writes pages and feeds in place: owner, until (epoch s)
    lease: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_bytes(cls, data: bytes | None) -> Manifest:
        """Parse a manifest; a missing or unreadable one is an empty one (full re-check)."""
        if not data:
            return cls()
        try:
            raw = json.loads(data)
            if raw.get("version") != MANIFEST_VERSION:
                return cls()
            media = {guid: MediaRecord(**rec) for guid, rec in raw.get("media", {}).items()}
            feeds = {str(k): str(v) for k, v in raw.get("feeds", {}).items()}
            published = raw.get("published") if isinstance(raw.get("published"), dict) else {}
            lease = raw.get("lease") if isinstance(raw.get("lease"), dict) else {}
            return cls(
                objects=dict(raw.get("objects", {})),
                media=media,
                feeds=feeds,
                published=published,
                lease=lease,
            )
        except (ValueError, TypeError, AttributeError):
            return cls()

    def to_bytes(self) -> bytes:
        """Deterministic JSON: same content, same bytes."""
        raw = {
            "version": MANIFEST_VERSION,
            "objects": self.objects,
            "media": {guid: dict(vars(rec)) for guid, rec in self.media.items()},
        }
        if self.feeds:
            raw["feeds"] = self.feeds
        if self.published:
            raw["published"] = self.published
        if self.lease:
            raw["lease"] = self.lease
        # compact: json's C encoder (an indent means its pure-Python one, ~8x slower)
        text = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return (text + "\n").encode()


class ProbeCache:
    """Source facts (sha256, duration …) keyed by path, size and mtime, so unchanged
    recordings are not read again. Lives in ``.audiofeed/cache.json`` in the show folder."""

    def __init__(self, path: Path):
        self.path = path
        self.dirty = False
        try:
            self.entries: dict[str, dict[str, Any]] = json.loads(path.read_text())
        except (OSError, ValueError):
            self.entries = {}

    @staticmethod
    def _stamp(source: Path) -> list[int]:
        st = source.stat()
        return [st.st_size, st.st_mtime_ns]

    def get(self, source: Path) -> dict[str, Any] | None:
        entry = self.entries.get(str(source))
        if entry and entry.get("stamp") == self._stamp(source):
            return entry["facts"]
        return None

    def put(self, source: Path, facts: dict[str, Any]) -> None:
        self.entries[str(source)] = {"stamp": self._stamp(source), "facts": facts}
        self.dirty = True

    def save(self) -> None:
        if self.dirty:
            write_atomic(self.path, json.dumps(self.entries, sort_keys=True).encode())
            self.dirty = False


class TaggedIndex:
    """Tagged copies in the build folder by fingerprint (source + tags), so publishing to
    a new destination after a local build or preview reuses them instead of tagging every
    recording again. An entry counts only while its file still has the size and mtime it
    had when it was made. Lives in ``.audiofeed/tagged.json``."""

    def __init__(self, path: Path, build_dir: Path):
        self.path = path
        self.build_dir = build_dir
        self.dirty = False
        try:
            self.entries: dict[str, dict[str, Any]] = json.loads(path.read_text())
        except (OSError, ValueError):
            self.entries = {}

    def _stamp(self, key: str) -> list[int] | None:
        try:
            st = (self.build_dir / key).stat()
        except OSError:
            return None
        return [st.st_size, st.st_mtime_ns]

    def get(self, fingerprint: str) -> MediaRecord | None:
        entry = self.entries.get(fingerprint)
        if not isinstance(entry, dict):
            return None
        try:
            record = MediaRecord(**entry["record"])
        except (KeyError, TypeError):
            return None
        stamp = self._stamp(record.key)
        if stamp is None or stamp != entry.get("stamp") or stamp[0] != record.size:
            return None
        return record

    def put(self, record: MediaRecord) -> None:
        self.entries[record.fingerprint] = {
            "record": asdict(record),
            "stamp": self._stamp(record.key),
        }
        self.dirty = True

    def save(self) -> None:
        if self.dirty:
            live = {
                fp: e
                for fp, e in self.entries.items()
                if isinstance(e, dict)
                and self._stamp(e.get("record", {}).get("key", "")) is not None
            }
            write_atomic(self.path, json.dumps(live, sort_keys=True).encode())
            self.dirty = False


class Memo:
    """A JSON map kept between runs in ``.audiofeed/`` (show notes, pages, checked feed
    items …): results keyed by what they were made from, ignored as a whole when
    ``version`` (the code, libraries and rules that made them) differs."""

    def __init__(self, path: Path, version: str):
        self.path = path
        self.version = version
        self.loaded: dict[str, Any] = {}

    def load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
            if data.get("version") == self.version and isinstance(data["entries"], dict):
                self.loaded = data["entries"]
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            self.loaded = {}
        return self.loaded

    def save(self, entries: dict[str, Any]) -> None:
        """Write ``entries`` (all that is worth keeping) if they differ from the loaded ones."""
        if entries != self.loaded:
            blob = {"version": self.version, "entries": entries}
            write_atomic(self.path, json.dumps(blob).encode())
            self.loaded = dict(entries)
