"""``audiofeed status``: where every session of the programme stands, per day and track.

A session is *published* (the live manifest has its recording), *ready* (it has a good
recording the next publish will put out), *waiting* (no recording yet), *broken* (its
episode file or recording has a problem) or *do-not-record*. Reads the show and the
destination's manifest; writes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..show import catalog as catalog_mod
from ..show import config as config_mod
from ..storage import RemoteSettings, open_backend
from .check import recording_problems
from .state import MANIFEST_KEY, Manifest

STATES = ("published", "ready", "waiting", "broken", "do-not-record")


@dataclass(frozen=True)
class Session:
    path: Path
    title: str
    day: str
    track: str
    state: str
    reason: str = ""


@dataclass
class Status:
    destination: str
    sessions: list[Session] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(s.state for s in self.sessions)

    def groups(self) -> dict[tuple[str, str], Counter[str]]:
        """(day, track) -> counts per state, in programme order."""
        out: dict[tuple[str, str], Counter[str]] = {}
        for s in self.sessions:
            out.setdefault((s.day, s.track), Counter())[s.state] += 1
        return out

    def next_action(self) -> str:
        counts = self.counts()
        if counts["broken"]:
            return "fix the broken sessions listed above ('audiofeed check' shows every problem)"
        if counts["ready"]:
            return f"run 'audiofeed publish' ({counts['ready']} ready to go out)"
        if counts["waiting"]:
            return "attach the next recordings: 'audiofeed import recordings DIR'"
        return "nothing to do: every recorded session is published"

    def to_json(self) -> dict[str, Any]:
        return {
            "destination": self.destination,
            "counts": {state: self.counts()[state] for state in STATES},
            "groups": [
                {"day": day, "track": track, **{s: c[s] for s in STATES}}
                for (day, track), c in self.groups().items()
            ],
            "sessions": [
                {
                    "file": str(s.path),
                    "title": s.title,
                    "day": s.day,
                    "track": s.track,
                    "state": s.state,
                    **({"reason": s.reason} if s.reason else {}),
                }
                for s in self.sessions
            ],
            "next": self.next_action(),
        }


def show_status(config_path: Path, destination: str | None = None) -> Status:
    """Every session's state (see the module docstring)."""
    config = config_mod.load(config_path)
    cat = catalog_mod.load(config, collect=True)
    dest = destination or config.publish.destination
    pub = config.publish
    backend = open_backend(
        dest,
        config.root,
        RemoteSettings(pub.endpoint_url, pub.region, pub.addressing_style, profile=pub.profile),
    )
    manifest = Manifest.from_bytes(backend.get(MANIFEST_KEY))
    errors: dict[Path, Problem] = {}
    for p in cat.warnings:
        if p.severity == "error" and p.path is not None:
            errors.setdefault(p.path, p)
    status = Status(destination=backend.describe())
    for e in cat.sessions:
        state, reason = _state(config, e, manifest, errors.get(e.path))
        status.sessions.append(Session(e.path, e.title, e.day or "", e.track or "", state, reason))
    for path, problem in errors.items():  # files too broken to be read as a session
        if all(s.path != path for s in status.sessions):
            status.sessions.append(Session(path, path.stem, "", "", "broken", problem.message))
    return status


def _state(
    config: config_mod.Config,
    episode: catalog_mod.Episode,
    manifest: Manifest,
    error: Problem | None,
) -> tuple[str, str]:
    if episode.do_not_record:
        return "do-not-record", ""
    if error is not None:
        return "broken", f"{error.field}: {error.message}" if error.field else error.message
    if episode.audio is None:
        return "waiting", ""
    found = recording_problems(config, episode)
    problems = found if isinstance(found, list) else found[1]
    bad = [p for p in problems if p.severity == "error"]
    if bad:
        return "broken", bad[0].message
    if episode.guid and episode.guid in manifest.media:
        return "published", ""
    return "ready", ""
