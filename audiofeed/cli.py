"""The command line. The only module that imports click."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import traceback
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import AudiofeedError, Problem, ValidationError, one_line

log = logging.getLogger("audiofeed")


def _rel(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def render_problem(p: Problem) -> str:
    """``path: field: message`` with the path relative to the working folder."""
    parts = [one_line(x) for x in (_rel(p.path), p.field, p.message) if x]
    prefix = "warning: " if p.severity == "warning" else "error: "
    return prefix + ": ".join(parts)


class AudiofeedGroup(click.Group):
    """Turns AudiofeedError into one line per problem and a non-zero exit (traceback with -v)."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            _maybe_traceback(ctx)
            for p in exc.problems:
                click.echo(render_problem(p), err=True)
            ctx.exit(1)
        except AudiofeedError as exc:
            _maybe_traceback(ctx)
            click.echo(render_problem(Problem(exc.path, exc.field, exc.message)), err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("error: interrupted; the previously published feed is unchanged", err=True)
            ctx.exit(130)


def _maybe_traceback(ctx: click.Context) -> None:
    if ctx.obj and ctx.obj.get("verbose"):
        traceback.print_exc()


#: the live progress line while an upload runs on a terminal (log lines go above it)
_live = None


class _LineHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        with _live.above() if _live else nullcontext():
            click.echo(self.format(record), err=True)


def _setup_logging(verbose: bool, quiet: bool) -> None:
    handler = _LineHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO))
    log.propagate = False


@click.group(cls=AudiofeedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="The show's config.toml (default: found in this folder or a parent).",
)
@click.option("-v", "--verbose", is_flag=True, help="More detail; tracebacks on errors.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.version_option(__version__, prog_name="audiofeed")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: bool, quiet: bool) -> None:
    """Publish conference session recordings as a podcast feed and audio archive.

    Run the commands inside a show folder (config.toml + episodes/). Start with
    'audiofeed init DIR', add sessions with 'audiofeed new', then 'audiofeed check'
    and 'audiofeed publish'.
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    ctx.obj["config_path"] = config_path
    _setup_logging(verbose, quiet)


def _config_path(ctx: click.Context) -> Path:
    from .config import find

    given = ctx.obj.get("config_path")
    return given if given else find(Path.cwd())


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="My Conference", show_default=True, help="Podcast title.")
@click.option(
    "--author", default="The Organisers", show_default=True, help="Podcast author (organiser)."
)
def init(folder: Path, title: str, author: str) -> None:
    """Create a new show in FOLDER: config.toml, cover, episodes/, recordings/."""
    from .scaffold import init_show

    for path in init_show(folder, title, author):
        click.echo(f"created {_rel(path)}")
    click.echo(f"next: edit {_rel(folder / 'config.toml')}, then 'audiofeed new --help'")


@cli.command()
@click.option("--title", help="Session title (default: the title tag of --from-audio).")
@click.option("--start", help="Session start with offset, e.g. 2022-09-08T09:30+01:00.")
@click.option(
    "--audio",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The recording (inside the show folder).",
)
@click.option(
    "--from-audio",
    "from_audio",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Use this recording and pre-fill title, speakers, date and duration from its tags.",
)
@click.option("--speaker", "speakers", multiple=True, help='"Name (Affiliation)"; repeatable.')
@click.option("--chair", help='"Name (Affiliation)".')
@click.option("--day", help='e.g. "Day 1".')
@click.option("--track", help='e.g. "Roundtable A".')
@click.option("--episode", type=click.IntRange(min=1), help="Episode number.")
@click.option("--season", type=click.IntRange(min=1), help="Season number.")
@click.option("--keyword", "keywords", multiple=True, help="Repeatable.")
@click.option("--slug", help="File and URL name (default: from the title).")
@click.option("--description", default="", help="Markdown description (else a placeholder).")
@click.pass_context
def new(
    ctx: click.Context,
    title: str | None,
    start: str | None,
    audio: Path | None,
    from_audio: Path | None,
    speakers: tuple[str, ...],
    chair: str | None,
    day: str | None,
    track: str | None,
    episode: int | None,
    season: int | None,
    keywords: tuple[str, ...],
    slug: str | None,
    description: str,
) -> None:
    """Create an episode file in episodes/ (with a new guid)."""
    from .config import load
    from .media.facts import episode_facts
    from .scaffold import new_episode, parse_person, parse_start

    config = load(_config_path(ctx))
    recording = from_audio or audio
    meta: dict = {}
    duration, extra = None, {}
    if from_audio:
        f = episode_facts(from_audio)
        duration = f["duration"]
        title = title or f.get("title")
        speakers = speakers or tuple(f.get("speakers", ()))
        start = start or _start_from_tag(f.get("date", ""))
        day, track = day or f.get("day"), track or f.get("track")
        episode = episode or f.get("episode")
        keywords = keywords or tuple(f.get("keywords", ()))
        description = description or f.get("description", "")
        extra = {k: f[k] for k in ("language", "license", "chapters") if k in f}
    if not title:
        raise AudiofeedError(
            "missing; pass --title (or --from-audio with a title tag)", field="--title"
        )
    if not start:
        raise AudiofeedError("missing; pass --start 2022-09-08T09:30+01:00", field="--start")
    meta["title"] = title
    meta["start"] = parse_start(start)
    if recording:
        root = config.root.resolve()
        resolved = recording.resolve()
        if not resolved.is_relative_to(root):
            raise AudiofeedError(
                f"must be inside the show folder {root}; copy it into recordings/ first",
                path=recording,
                field="--audio",
            )
        meta["audio"] = resolved.relative_to(root).as_posix()
    meta.update(
        slug=slug, day=day, track=track, episode=episode, season=season, keywords=list(keywords)
    )
    if duration:
        meta["duration"] = str(dt.timedelta(seconds=round(duration)))
    meta.update(extra)  # language, license, chapters
    if chair:
        meta["chair"] = parse_person(chair)
    if speakers:
        meta["speakers"] = [parse_person(s) for s in speakers if s]
    path = new_episode(config.episodes_dir, meta, description)
    click.echo(f"created {_rel(path)}")


def _start_from_tag(date: str) -> str | None:
    try:
        value = dt.datetime.fromisoformat(date.strip())
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.astimezone()  # the machine's offset; the file says so and can be edited
    return value.isoformat()


@cli.command("inspect")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.pass_context
def inspect_cmd(ctx: click.Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Show codec, duration, size, every tag, chapter and picture of audio FILEs."""
    import json

    from .media.inspect import render, report

    reports, problems = [], []
    for path in files:
        try:
            reports.append(report(path))
        except AudiofeedError as exc:
            problems.append(Problem(exc.path, exc.field, exc.message))
    if as_json:
        click.echo(json.dumps(reports, indent=2, ensure_ascii=False))
    else:
        click.echo("\n\n".join(render(r) for r in reports), nl=bool(reports))
    for p in problems:
        click.echo(render_problem(p), err=True)
    if problems:
        ctx.exit(1)


@cli.command()
@click.option("-n", "--dry-run", is_flag=True, help="Write nothing; show each file's tag diff.")
@click.pass_context
def tag(ctx: click.Context, dry_run: bool) -> None:
    """Tag copies of the recordings (in .audiofeed/build) without publishing them."""
    from .publish import tag_show

    results = tag_show(_config_path(ctx), dry_run=dry_run)
    for r in results:
        if dry_run:
            click.echo(f"{_rel(r.source)} (compared with {_rel(r.copy)}):")
            for line in r.changes or ["no changes"]:
                click.echo(f"  {line}")
        else:
            click.echo(f"tagged {_rel(r.source)} -> {_rel(r.copy)}")
    verb = "would tag" if dry_run else "tagged"
    changed = sum(1 for r in results if r.changes)
    click.echo(f"{verb} {len(results)} recording(s), {changed} with tag changes")


@cli.command()
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--remote", is_flag=True, help="Check the published feeds and enclosures instead.")
@click.option("--base-url", help="With --remote: where to look (default: publish.base_url).")
@click.pass_context
def check(ctx: click.Context, strict: bool, remote: bool, base_url: str | None) -> None:
    """Validate config.toml, every episode and every recording; list every problem."""
    if remote:
        from .remote_check import check_published

        problems, ok_line = check_published(_config_path(ctx), base_url)
    else:
        from .check import check_show

        problems = check_show(_config_path(ctx))
        warnings = len(problems)
        ok_line = "ok: no errors" + (f", {warnings} warning(s)" if warnings else "")
    for p in problems:
        click.echo(render_problem(p), err=True)
    errors = [p for p in problems if p.severity == "error" or strict]
    if errors:
        click.echo(f"{len(errors)} problem(s) found", err=True)
        ctx.exit(1)
    click.echo(ok_line)


@cli.command()
@click.option("-n", "--dry-run", is_flag=True, help="Build and print the plan; upload nothing.")
@click.option("--prune", is_flag=True, help="Delete what nothing refers to, after the new feed.")
@click.option("--retag", is_flag=True, help="Tag every recording again (new media URLs).")
@click.option("--base-url", help="Override publish.base_url from config.toml.")
@click.option("--to", "destination", help="Override publish.destination: DIR or s3://BUCKET/PATH.")
@click.option("--profile", help="AWS profile for s3:// (else AWS_PROFILE, env vars, a role).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout (for CI).")
@click.pass_context
def publish(ctx: click.Context, as_json: bool, **options: Any) -> None:
    """Tag copies of the recordings, build the feed, publish what changed (feed last).
    s3:// credentials: the AWS standard chain only (environment, profile, role)."""
    from .progress import LiveProgress
    from .publish import Options, error_report
    from .publish import publish as run

    global _live
    dry_run = options["dry_run"]
    _live = LiveProgress(sys.stderr) if sys.stderr.isatty() and not dry_run else None
    try:
        report = run(_config_path(ctx), Options(**options), progress=_live)
    except AudiofeedError as exc:
        if as_json:
            click.echo(json.dumps(error_report(exc), indent=1))
        raise
    finally:
        _live = None
    for w in report.warnings:
        click.echo(render_problem(w), err=True)
    verb = "would assign" if dry_run else "assigned"
    for path in report.assigned_guids:
        click.echo(f"{verb} a new guid in {_rel(path)}", err=True)
    for line in report.lines():
        click.echo(line, err=as_json)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=1))


@cli.command()
@click.option(
    "-p",
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0 = any free port).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; loopback unless you mean to share it.",
)
@click.pass_context
def serve(ctx: click.Context, port: int, host: str) -> None:
    """Serve the published folder over HTTP (HEAD and byte ranges) for podcast apps."""
    from urllib.parse import urlsplit

    from .config import load
    from .serve import make_server, served_folder

    config = load(_config_path(ctx))
    folder = served_folder(config.path, config.publish.destination, config.publish.base_url)
    server = make_server(folder, host, port, verbose=ctx.obj["verbose"])
    actual = server.server_port
    base = f"http://{host}:{actual}/"
    click.echo(f"serving {_rel(folder)} at {base}")
    click.echo(f"feed: {base}feed.xml")
    click.echo(f"archive: {base}index.html")
    configured = urlsplit(config.publish.base_url)
    if configured.port not in (actual, None) or configured.hostname not in (host, "localhost"):
        click.echo(
            f"warning: config.toml publish.base_url is {config.publish.base_url}; the "
            f"feed's links point there, not here (publish --base-url {base})",
            err=True,
        )
    click.echo("press Ctrl+C to stop", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@cli.group("import")
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
    from .importers import ScheduleError

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
    from .importers import import_schedule

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
    from .importers import import_recordings

    show_dir = _config_path(ctx).parent
    report = _run_import(ctx, import_recordings, show_dir, folder, dry_run=dry_run)
    _echo_report(report.lines())


def main() -> None:
    """Console entry point."""
    cli(prog_name="audiofeed")


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(0)
