"""The sync plan: a pure value computed from what is built and what is published."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .base import RemoteObject

#: Upload order: media and art first, then pages and other assets, the feed, the manifest.
STAGE_MEDIA, STAGE_ASSET, STAGE_PAGE, STAGE_FEED, STAGE_MANIFEST = range(5)
STAGE_NAMES = ("media", "asset", "page", "feed", "manifest")


@dataclass(frozen=True)
class Artifact:
    """An object the published show consists of."""

    key: str
    size: int
    sha256: str
    content_type: str
    cache_control: str
    stage: int
    path: Path | None = None  # None: already published, nothing local to upload


@dataclass(frozen=True)
class Action:
    kind: str  # "upload" | "skip" | "delete"
    key: str
    size: int
    artifact: Artifact | None = None
    reason: str = ""


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]

    def of(self, kind: str) -> list[Action]:
        return [a for a in self.actions if a.kind == kind]

    @property
    def uploads(self) -> list[Action]:
        return self.of("upload")

    @property
    def deletions(self) -> list[Action]:
        return self.of("delete")

    @property
    def upload_bytes(self) -> int:
        return sum(a.size for a in self.uploads)

    @property
    def changes(self) -> bool:
        return bool(self.uploads or self.deletions)

    def lines(self) -> list[str]:
        """One line per upload/delete, then a total (what --dry-run prints)."""
        out = [
            f"{a.kind:<7} {a.key}  ({a.size:,} bytes{', ' + a.reason if a.reason else ''})"
            for a in self.actions
            if a.kind != "skip"
        ]
        out.append(
            f"total: {len(self.uploads)} to upload ({self.upload_bytes:,} bytes), "
            f"{len(self.of('skip'))} unchanged, {len(self.deletions)} to delete"
        )
        return out


def plan(desired: list[Artifact], remote: dict[str, RemoteObject], *, prune: bool) -> Plan:
    """Upload what is missing or differs, skip what matches, delete (with prune) what is stale.

    Uploads are ordered by stage, so nothing is referenced before it exists; deletions come
    last, after the new feed is live.
    """
    actions: list[Action] = []
    for art in sorted(desired, key=lambda a: (a.stage, a.key)):
        have = remote.get(art.key)
        if have is None:
            actions.append(Action("upload", art.key, art.size, art, "new"))
        elif have.size != art.size or (have.sha256 is not None and have.sha256 != art.sha256):
            actions.append(Action("upload", art.key, art.size, art, "changed"))
        elif have.sha256 is None:
            actions.append(Action("upload", art.key, art.size, art, "unverified"))
        else:
            actions.append(Action("skip", art.key, art.size, art))
    if prune:
        wanted = {a.key for a in desired}
        actions.extend(
            Action("delete", key, obj.size, None, "no longer referenced")
            for key, obj in sorted(remote.items())
            if key not in wanted
        )
    return Plan(tuple(actions))
