"""The show's ``episodes/`` folder as the importers see it: existing files found by
guid (or by the programme's session id), and atomic writes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..common import files
from ..errors import AudiofeedError, Problem
from ..show import frontmatter
from .model import ScheduleError

EPISODES = "episodes"


@dataclass
class EpisodeFile:
    """One existing episode file: where it is, its text and its parsed content."""

    path: Path
    text: str
    meta: dict[str, Any]
    body: str

    @property
    def guid(self) -> str | None:
        value = self.meta.get("guid")
        return str(value) if value else None

    def source_key(self) -> tuple[str, str] | None:
        source = self.meta.get("source")
        if isinstance(source, dict) and source.get("system") and source.get("id"):
            return (str(source["system"]), str(source["id"]))
        return None


class Folder:
    """Every ``episodes/*.md`` of a show, indexed by guid and by programme session id."""

    def __init__(self, show_dir: Path):
        self.show_dir = show_dir
        self.dir = show_dir / EPISODES
        self.files: list[EpisodeFile] = []
        problems: list[Problem] = []
        for path in sorted(self.dir.glob("*.md")) if self.dir.is_dir() else []:
            try:
                text = path.read_text(encoding="utf-8")
                doc = frontmatter.parse(text, path)
            except AudiofeedError as exc:
                problems.append(Problem(exc.path or path, exc.field, exc.message))
                continue
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(path, None, f"cannot read: {exc}"))
                continue
            self.files.append(EpisodeFile(path, text, doc.meta, doc.body))
        self.by_guid: dict[str, EpisodeFile] = {}
        self.by_source: dict[tuple[str, str], EpisodeFile] = {}
        for episode in self.files:
            if episode.guid:
                other = self.by_guid.setdefault(episode.guid.lower(), episode)
                if other is not episode:
                    problems.append(
                        Problem(episode.path, "guid", f"'{episode.guid}' is also in {other.path}")
                    )
            key = episode.source_key()
            if key:
                self.by_source.setdefault(key, episode)
        if problems:
            problems.append(
                Problem(
                    self.dir,
                    None,
                    "fix these episode files first: importing now could "
                    "create duplicates or overwrite edits",
                )
            )
            raise ScheduleError.collect(problems)
        self.names = {episode.path.stem for episode in self.files}

    def find(self, guid: str | None, source: tuple[str, str] | None) -> EpisodeFile | None:
        """The existing file for a session: by guid, else by programme id."""
        if guid and guid.lower() in self.by_guid:
            return self.by_guid[guid.lower()]
        if source and source in self.by_source:
            found = self.by_source[source]
            if not guid or not found.guid:
                return found
        return None

    def free_name(self, slug: str, ident: str | None) -> str:
        """``slug``, or ``slug-ID`` / ``slug-2`` … if another episode already has that name."""
        candidates = [slug]
        ident = re.sub(r"[^a-z0-9]+", "-", (ident or "").lower()).strip("-")[:9]
        if ident and not re.search(rf"(^|-){re.escape(ident)}($|-)", slug):
            candidates.append(f"{slug}-{ident}")
        candidates += [f"{slug}-{n}" for n in range(2, 1000)]
        for name in candidates:
            if name not in self.names:
                self.names.add(name)
                return name
        raise ScheduleError(f"no free file name for '{slug}'", path=self.dir)

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.show_dir).as_posix()
        except ValueError:
            return str(path)


def write_atomic(path: Path, content: str) -> None:
    """Write the text ``content`` to ``path`` whole or not at all (UTF-8, ``\n`` lines)."""
    files.write_atomic(path, content.encode("utf-8"))
