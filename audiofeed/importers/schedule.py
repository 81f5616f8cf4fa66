"""``import schedule``: a programme file -> created / updated episode files + a report."""

from __future__ import annotations

import difflib
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..show import frontmatter
from . import csv_table, schedule_json, schedule_xml
from .episodes import EpisodeFile, Folder, write_atomic
from .merge import BODY, Merged, fingerprint, merge, new_episode
from .model import Programme, ScheduleError, Session, slugify

FORMATS = {".json": "json", ".xml": "xml", ".csv": "csv", ".tsv": "csv", ".txt": "csv"}


def load_programme(
    source: Path, *, csv_mapping: dict[str, str] | None = None, time_zone: str | None = None
) -> Programme:
    """Read a schedule.json, schedule.xml or CSV (by extension, else by its first byte)."""
    if not source.is_file():
        raise ScheduleError("no such file", path=source)
    kind = FORMATS.get(source.suffix.lower())
    if kind is None:
        head = source.read_bytes()[:512].decode("utf-8", "replace").lstrip("\ufeff \r\n\t")
        kind = "json" if head.startswith("{") else "xml" if head.startswith("<") else "csv"
    if csv_mapping and kind != "csv":
        raise ScheduleError("a column mapping applies to CSV files only", path=source)
    if kind == "json":
        return schedule_json.read(source, default_zone=time_zone)
    if kind == "xml":
        return schedule_xml.read(source, default_zone=time_zone)
    return csv_table.read(source, mapping=csv_mapping, default_zone=time_zone)


@dataclass
class Change:
    """One episode file the import creates or updates."""

    path: str  # relative to the show folder
    action: str  # "create" | "update"
    title: str
    old: str | None
    new: str
    kept: list[str] = field(default_factory=list)

    def diff(self) -> list[str]:
        """A unified diff of the file; the ``imported`` bookkeeping table is left out."""
        old = _without_bookkeeping(self.old or "").splitlines(keepends=True)
        lines = difflib.unified_diff(
            old,
            _without_bookkeeping(self.new).splitlines(keepends=True),
            fromfile=f"a/{self.path}" if self.old is not None else "/dev/null",
            tofile=f"b/{self.path}",
            n=1,
        )
        return [line.rstrip("\n") for line in lines]


def _without_bookkeeping(text: str) -> str:
    return re.sub(r"(?ms)^\[imported(?:\.fields)?\]\n.*?(?=^\+\+\+$)", "", text, count=1)


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    source: Path
    system: str
    sessions: int
    dry_run: bool
    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def created(self) -> list[Change]:
        return [c for c in self.changes if c.action == "create"]

    @property
    def updated(self) -> list[Change]:
        return [c for c in self.changes if c.action == "update"]

    def lines(self, *, diff: bool = True, new_files: bool = False) -> list[str]:
        """The report as text: warnings, one line per file (with a diff of each update;
        of each new file too with ``new_files``), skipped sessions, then a summary."""
        out = [f"warning: {w}" for w in self.warnings]
        for change in self.changes:
            out.append(f"{change.action} {change.path}: {change.title}")
            if diff and (change.action == "update" or new_files):
                out.extend(change.diff())
        out.extend(f"keep {line}" for line in self.kept)
        out.extend(f"skip {line}" for line in self.skipped)
        out.extend(f"skip {line}" for line in self.cancelled)
        out.extend(f"note: {line}" for line in self.gone)
        summary = (
            f"{self.source.name} ({self.system}): {self.sessions} sessions: "
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.kept)} hand edits kept, "
            f"{len(self.skipped)} not to be recorded, {len(self.cancelled)} cancelled"
        )
        out.append(summary + (" (dry run: nothing written)" if self.dry_run else ""))
        return out


def import_schedule(
    show_dir: Path,
    source: Path,
    *,
    dry_run: bool = False,
    csv_mapping: dict[str, str] | None = None,
    skip_flags: tuple[str, ...] = ("do_not_record",),
    time_zone: str | None = None,
) -> ImportReport:
    """Create or update ``episodes/<slug>.md`` for every session of ``source``.

    Sessions with a flag from ``skip_flags`` and cancelled sessions get no episode (an
    existing one is marked ``do_not_record = true`` / reported). Hand edits are kept
    (see ``merge``). ``time_zone`` is used when the programme names none (CSV).
    Raises :class:`ScheduleError` (every problem, each naming file and session)
    before anything is written."""
    show_dir = Path(show_dir)
    skip_flags = ("do_not_record", *(f for f in skip_flags if f != "do_not_record"))
    if not show_dir.is_dir():
        raise ScheduleError("not a folder", path=show_dir)
    programme = load_programme(Path(source), csv_mapping=csv_mapping, time_zone=time_zone)
    folder = Folder(show_dir)
    report = ImportReport(
        source=programme.path,
        system=programme.system,
        sessions=len(programme.sessions),
        dry_run=dry_run,
        warnings=list(programme.warnings),
    )
    seen: set[int] = set()
    for session in programme.sessions:
        source_key = (session.system, session.source_id) if session.source_id else None
        existing = folder.find(session.guid, source_key)
        if existing is not None:
            seen.add(id(existing))
        flagged = [flag for flag in skip_flags if flag in session.flags]
        if session.cancelled:
            where = ""
            if existing is not None:
                where = f" (its episode file {folder.relative(existing.path)} is left as is)"
            report.cancelled.append(f"{session.label()}: cancelled{where}")
            continue
        if flagged:
            report.skipped.append(f"{session.label()}: {', '.join(flagged)}")
            if existing is None:
                continue
            session.flags = session.flags | {"do_not_record"}
        if existing is not None:
            _update(report, folder, existing, session)
        else:
            _create(report, folder, session)
    for episode in folder.files:
        if id(episode) not in seen and "imported" in episode.meta:
            report.gone.append(
                f"{folder.relative(episode.path)}: its session is not in this programme "
                "(file left as is)"
            )
    if not dry_run:
        for change in report.changes:
            write_atomic(show_dir / change.path, change.new)
    return report


def _create(report: ImportReport, folder: Folder, session: Session) -> None:
    base = slugify(session.slug or "", max_length=70) or slugify(session.title, max_length=70)
    base = base or f"session-{slugify(session.source_id or '', max_length=60) or 'x'}"
    name = folder.free_name(base, session.source_id)
    guid = session.guid or str(uuid.uuid4())
    merged = new_episode(session, guid, name)
    text = frontmatter.render(merged.meta, merged.body)
    path = f"{folder.dir.name}/{name}.md"
    report.changes.append(Change(path, "create", _summary(session), None, text))


def _update(report: ImportReport, folder: Folder, existing: EpisodeFile, session: Session) -> None:
    merged = merge(existing.meta, existing.body, session)
    path = folder.relative(existing.path)
    report.kept.extend(f"{path}: {line}" for line in merged.kept)
    if not _changed(existing, merged):
        report.unchanged.append(path)
        return
    text = frontmatter.update(existing.text, existing.path, merged.meta, merged.body)
    report.changes.append(Change(path, "update", _summary(session), existing.text, text))


def _changed(existing: EpisodeFile, merged: Merged) -> bool:
    return fingerprint(existing.meta) != fingerprint(merged.meta) or fingerprint(
        {BODY: existing.body.strip()}
    ) != fingerprint({BODY: merged.body.strip()})


def _summary(session: Session) -> str:
    where = ", ".join(x for x in (session.day, session.start.strftime("%H:%M"), session.room) if x)
    return f"'{session.title}' ({where})"
