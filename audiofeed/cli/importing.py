"""The import commands: schedule, recordings."""

from __future__ import annotations

from pathlib import Path

import click

from .base import _config_path, _maybe_traceback, render_problem


@click.group("import")
def import_group() -> None:
    """Bring in the conference programme (sessions -> episode files) and the recordings.

    See docs/import.md: what is read, how re-import keeps hand edits, the matching rule.
    """


def _csv_mapping(values: tuple[str, ...]) -> dict[str, str] | None:
    mapping = {}
    for value in values:
        column, sep, field = value.partition("=")
        if not sep or not column.strip() or not field.strip():
            raise click.BadParameter(f"{value!r} is not COLUMN=FIELD", param_hint="--csv-map")
        mapping[column.strip()] = field.strip()
    return mapping or None


def _echo_report(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=line.startswith("warning: "))


def _run_import(ctx: click.Context, function, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Call an importer; a ScheduleError prints every problem it carries, then exits 1."""
    from ..importers import ScheduleError

    try:
        return function(*args, **kwargs)
    except ScheduleError as exc:
        _maybe_traceback(ctx)
        for p in exc.problems:
            click.echo(render_problem(p), err=True)
        ctx.exit(1)


@import_group.command("schedule")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-n", "--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option(
    "--csv-map",
    "csv_map",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="CSV only: read COLUMN as FIELD (title, start, room, speakers …); repeatable.",
)
@click.option("--time-zone", help="For a programme that names none (CSV), e.g. Europe/Berlin.")
@click.option(
    "--skip-flag",
    "skip_flags",
    multiple=True,
    type=click.Choice(["do_not_stream"]),
    help="Also give no episode to sessions with this flag (do_not_record never gets one).",
)
@click.pass_context
def import_schedule_command(
    ctx: click.Context,
    source: Path,
    dry_run: bool,
    csv_map: tuple[str, ...],
    time_zone: str | None,
    skip_flags: tuple[str, ...],
) -> None:
    """Create or update one episode file per session of SOURCE.

    SOURCE is a frab / pretalx schedule.json or schedule.xml, or a CSV export with a
    header row. Fields edited by hand are kept; guids never change; a diff of every
    changed file is printed.
    """
    from ..importers import import_schedule

    show_dir = _config_path(ctx).parent
    report = _run_import(
        ctx,
        import_schedule,
        show_dir,
        source,
        dry_run=dry_run,
        csv_mapping=_csv_mapping(csv_map),
        skip_flags=("do_not_record", *skip_flags),
        time_zone=time_zone,
    )
    _echo_report(report.lines())


@import_group.command("recordings")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-n", "--dry-run", is_flag=True, help="Print the matches; write nothing.")
@click.pass_context
def import_recordings_command(ctx: click.Context, folder: Path, dry_run: bool) -> None:
    """Attach the audio files under FOLDER to their episodes (audio = "…").

    A file matches by the session's guid, slug or id in its name, else by room and
    start time (Room_A-2019-08-21_1100.mp3). Ambiguous matches are listed, never guessed.
    """
    from ..importers import import_recordings

    show_dir = _config_path(ctx).parent
    report = _run_import(ctx, import_recordings, show_dir, folder, dry_run=dry_run)
    _echo_report(report.lines())
