"""``import recordings``: attach audio files to episode files by a documented rule.

A file matches an episode when its name contains
1. the episode's guid, its slug or the programme's slug (as whole words), or the
   programme's session id / code as a whole token (dates and times in the name are not
   tokens), else
2. a room and start time: ``<room>-YYYY-MM-DD_HHMM`` (separators ``-``, ``_``, space,
   ``T``; ``HH:MM``, ``HH.MM``, ``HHhMM`` also work), compared with the episode's
   ``room`` and the wall-clock ``start``; with no room in the name, only when a single
   episode starts at that time.

Nothing is guessed: a file matching several episodes, or an episode matched by several
files, is listed as ambiguous and left alone; an episode that already has another
``audio`` keeps it. Only ``audio = "…"`` is added to a file; nothing else changes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..show import frontmatter
from ..show.masterconfig import RECORDING_EXTENSIONS
from .episodes import EpisodeFile, Folder, write_atomic
from .model import ScheduleError, slugify

AUDIO = frozenset(RECORDING_EXTENSIONS)  # audio and video masters (docs/mastering.md)
_STAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[ _T.-]?(?P<h>\d{2})[:.hH_-]?(?P<m>\d{2})(?![0-9])"
)


@dataclass
class MatchReport:
    """What ``import recordings`` attached (or, with ``dry_run``, would attach)."""

    dry_run: bool
    attached: list[str] = field(default_factory=list)  # "episodes/x.md <- rec/a.mp3 (rule)"
    already: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    without_recording: list[str] = field(default_factory=list)
    not_recorded: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"warning: {w}" for w in self.warnings]
        out += [f"attach {line}" for line in self.attached]
        out += [f"ambiguous: {line}" for line in self.ambiguous]
        out += [f"conflict: {line}" for line in self.conflicts]
        out += [f"unmatched file: {line}" for line in self.unmatched]
        out += [f"no recording: {line}" for line in self.without_recording]
        out.append(
            f"{len(self.attached)} attached, {len(self.already)} already attached, "
            f"{len(self.ambiguous)} ambiguous, {len(self.conflicts)} conflicts, "
            f"{len(self.unmatched)} unmatched files, {len(self.without_recording)} episodes "
            f"without recording, {len(self.ignored)} other files ignored"
            + (" (dry run: nothing written)" if self.dry_run else "")
        )
        return out


def import_recordings(
    show_dir: Path, recordings_dir: Path, *, dry_run: bool = False
) -> MatchReport:
    """Match audio files under ``recordings_dir`` to ``show_dir/episodes/*.md`` and write
    ``audio`` (relative to the show folder, or absolute for a folder outside it) into each
    episode matched once."""
    show_dir, recordings_dir = Path(show_dir), Path(recordings_dir)
    if not recordings_dir.is_dir():
        raise ScheduleError("not a folder", path=recordings_dir)
    folder = Folder(show_dir)
    report = MatchReport(dry_run=dry_run)
    episodes = []
    for episode in folder.files:
        if episode.meta.get("do_not_record") is True:
            report.not_recorded.append(folder.relative(episode.path))
        else:
            episodes.append(episode)
    files, report.ignored = _audio_files(recordings_dir)
    matches: dict[int, list[tuple[Path, str]]] = {}
    for path in files:
        found, rule = _match(path.stem, episodes)
        name = _rel(path, show_dir)
        if len(found) == 1:
            matches.setdefault(id(found[0]), []).append((path, rule))
        elif found:
            names = ", ".join(folder.relative(e.path) for e in found)
            report.ambiguous.append(f"{name} matches {len(found)} episodes by {rule}: {names}")
        else:
            report.unmatched.append(name + (f" ({rule})" if rule else ""))
    for episode in episodes:
        where = folder.relative(episode.path)
        hits = matches.get(id(episode), [])
        current = episode.meta.get("audio")
        if len(hits) > 1:
            names = ", ".join(_rel(p, show_dir) for p, _ in hits)
            report.ambiguous.append(f"{where} is matched by {len(hits)} files: {names}")
        elif hits:
            path, rule = hits[0]
            audio = _audio_value(path, show_dir)
            if current == audio:
                report.already.append(where)
            elif current:
                report.conflicts.append(f"{where} keeps audio '{current}'; {audio} matches too")
            else:
                report.attached.append(f"{where} <- {audio} (by {rule})")
                if not dry_run:
                    write_atomic(episode.path, frontmatter.with_field(episode.text, "audio", audio))
            continue
        if not current:
            report.without_recording.append(f"{where}: {episode.meta.get('title', '')}")
    return report


def _audio_files(root: Path) -> tuple[list[Path], list[str]]:
    audio, other = [], []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        (audio if path.suffix.lower() in AUDIO else other).append(path)
    return audio, [str(p) for p in other]


def _match(stem: str, episodes: list[EpisodeFile]) -> tuple[list[EpisodeFile], str]:
    """The episodes a file name points at and the rule that found them."""
    lowered = stem.lower()
    words = f"-{slugify(stem, max_length=400)}-"
    tokens = set(re.split(r"[^a-z0-9]+", _STAMP.sub(" ", lowered)))
    found = [e for e in episodes if _names(e, lowered, words, tokens)]
    if found:
        return found, "guid, slug or session id"
    stamp = _STAMP.search(stem)
    if not stamp:
        return [], "no session id, slug, guid or date and time in the name"
    try:
        when = datetime.fromisoformat(f"{stamp['date']}T{stamp['h']}:{stamp['m']}")
    except ValueError:
        return [], f"'{stamp.group(0)}' is not a date and time"
    room = slugify(stem[: stamp.start()])
    at_time = [e for e in episodes if _wall_clock(e) == when]
    if not room:
        return at_time, f"start {when:%Y-%m-%d %H:%M}, no room in the name"
    in_room = [e for e in at_time if slugify(str(e.meta.get("room", ""))) == room]
    return in_room, f"room '{room}' and start {when:%Y-%m-%d %H:%M}"


def _names(episode: EpisodeFile, lowered: str, words: str, tokens: set[str]) -> bool:
    meta = episode.meta
    source = meta.get("source") if isinstance(meta.get("source"), dict) else {}
    guid = str(meta.get("guid") or "").lower()
    if len(guid) >= 8 and guid in lowered:
        return True
    for slug in (meta.get("slug"), source.get("slug")):
        slug = slugify(str(slug or ""))
        if len(slug) >= 4 and f"-{slug}-" in words:
            return True
    for ident in (source.get("id"), source.get("code")):
        if ident and str(ident).lower() in tokens:
            return True
    return False


def _wall_clock(episode: EpisodeFile) -> datetime | None:
    start = episode.meta.get("start")
    return start.replace(tzinfo=None, second=0) if isinstance(start, datetime) else None


def _audio_value(path: Path, show_dir: Path) -> str:
    """What ``audio`` says: a path relative to the show folder for a file inside it, else
    the file's absolute path (an external disk, a NAS mount: publish reads it there)."""
    rel = _rel(path, show_dir)
    return str(path.resolve()) if rel.startswith("../") else rel


def _rel(path: Path, show_dir: Path) -> str:
    return Path(os.path.relpath(path.resolve(), show_dir.resolve())).as_posix()
