"""What a publish did (or would do): the summary lines and the ``--json`` report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AudiofeedError, Problem, ValidationError
from ..storage import Action, Plan
from ..storage.plan import STAGE_NAMES
from .deploy import Applied


@dataclass
class Report:
    """What a publish did (or, with --dry-run, would do)."""

    destination: str
    feed_url: str
    plan: Plan
    dry_run: bool
    episodes: int
    archive_url: str = ""
    assigned_guids: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    applied: Applied | None = None
    foreign: int = 0  # with --prune: objects audiofeed did not publish (left alone)
    waiting: list[Path] = field(default_factory=list)  # episode files without a recording
    held: int = 0  # sessions marked do_not_record
    #: with --skip-broken: recordings left out (or kept at their published version)
    broken: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The machine-readable report (``publish --json``)."""
        p = self.plan

        def entry(a: Action) -> dict[str, Any]:
            stage = STAGE_NAMES[a.artifact.stage] if a.artifact else None
            return {"key": a.key, "size": a.size, "reason": a.reason, "stage": stage}

        applied = None
        if self.applied:
            seconds = round(self.applied.seconds, 3)
            applied = {
                "uploaded_objects": len(self.applied.uploaded),
                "uploaded_bytes": self.applied.uploaded_bytes,
                "deleted_objects": len(self.applied.deleted),
                "seconds": seconds,
                "bytes_per_second": int(self.applied.uploaded_bytes / seconds) if seconds else 0,
            }
        return {
            "ok": not self.broken,
            "destination": self.destination,
            "feed_url": self.feed_url,
            "archive_url": self.archive_url,
            "dry_run": self.dry_run,
            "episodes": self.episodes,
            "upload": [entry(a) for a in p.uploads],
            "skip": [a.key for a in p.of("skip")],
            "delete": [entry(a) for a in p.deletions],
            "totals": {
                "upload_objects": len(p.uploads),
                "upload_bytes": p.upload_bytes,
                "skip_objects": len(p.of("skip")),
                "delete_objects": len(p.deletions),
                "foreign_objects": self.foreign,
            },
            "applied": applied,
            "assigned_guids": [str(x) for x in self.assigned_guids],
            "warnings": [w.line() for w in self.warnings],
            "waiting": [str(x) for x in self.waiting],
            "do_not_record": self.held,
            "broken": [b.line() for b in self.broken],
        }

    def lines(self) -> list[str]:
        """What the CLI prints: the plan (with --dry-run), the summary, the feed URL."""
        plan_lines = self.plan.lines() if self.dry_run else []
        archive = [f"archive: {self.archive_url}"] if self.archive_url else []
        return [
            *plan_lines,
            self.summary(),
            *self.sessions_left_out(),
            f"feed: {self.feed_url}",
            *archive,
        ]

    def sessions_left_out(self) -> list[str]:
        """One line each for the sessions this publish did not put in the feeds."""
        lines = []
        if self.waiting:
            n = len(self.waiting)
            lines.append(f"{n} session{'s' if n != 1 else ''} waiting for a recording")
        if self.broken:
            n = len({b.path for b in self.broken})
            lines.append(
                f"{n} broken recording{'s' if n != 1 else ''} (listed above): left out, or "
                "kept at the version published before"
            )
        return lines

    def summary(self) -> str:
        p = self.plan
        if not p.changes:
            return (
                f"nothing changed: {len(p.of('skip'))} objects already up to date at "
                f"{self.destination}"
            )
        verb = "would upload" if self.dry_run else "uploaded"
        deleted = (
            f", {'would delete' if self.dry_run else 'deleted'} {len(p.deletions)}"
            if p.deletions
            else ""
        )
        timing = ""
        if self.applied and self.applied.uploaded_bytes and self.applied.seconds > 0:
            rate = self.applied.uploaded_bytes / self.applied.seconds / 1e6
            timing = f" in {self.applied.seconds:.1f} s ({rate:.1f} MB/s), all verified"
        return (
            f"{verb} {len(p.uploads)} objects ({p.upload_bytes:,} bytes){deleted}, "
            f"{len(p.of('skip'))} unchanged, to {self.destination}{timing}"
        )


def error_report(exc: AudiofeedError) -> dict[str, Any]:
    """The ``--json`` report of a failed publish."""
    lines = exc.lines() if isinstance(exc, ValidationError) else [exc.line()]
    return {"ok": False, "errors": lines}
