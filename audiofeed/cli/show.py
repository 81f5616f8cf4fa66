"""Commands for the show folder: init, new, check, serve."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..errors import AudiofeedError
from .base import _config_path, _rel, render_problem


@click.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="My Conference", show_default=True, help="Podcast title.")
@click.option(
    "--author", default="The Organisers", show_default=True, help="Podcast author (organiser)."
)
def init(folder: Path, title: str, author: str) -> None:
    """Create a new show in FOLDER: config.toml, cover, episodes/, recordings/."""
    from ..show.scaffold import init_show

    for path in init_show(folder, title, author):
        click.echo(f"created {_rel(path)}")
    click.echo(f"next: edit {_rel(folder / 'config.toml')}, then 'audiofeed new --help'")


@click.command("new")
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
    from ..media.facts import episode_facts
    from ..show.config import load
    from ..show.scaffold import new_episode, parse_person, parse_start

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


@click.command("check")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--remote", is_flag=True, help="Check the published feeds and enclosures instead.")
@click.option("--base-url", help="With --remote: where to look (default: publish.base_url).")
@click.pass_context
def check(ctx: click.Context, strict: bool, remote: bool, base_url: str | None) -> None:
    """Validate config.toml, every episode and every recording; list every problem."""
    if remote:
        from ..publish.remote_check import check_published

        problems, ok_line = check_published(_config_path(ctx), base_url)
    else:
        from ..publish.check import check_show

        checked = check_show(_config_path(ctx))
        problems = checked.problems
        warnings = len(problems)
        ok_line = "ok: no errors" + (f", {warnings} warning(s)" if warnings else "")
        for line in checked.summary():
            click.echo(line, err=True)
        if ctx.obj.get("verbose"):
            for e in checked.waiting:
                click.echo(f"  waiting: {_rel(e.path)} ({e.title})", err=True)
    for p in problems:
        click.echo(render_problem(p), err=True)
    errors = [p for p in problems if p.severity == "error" or strict]
    if errors:
        click.echo(f"{len(errors)} problem(s) found", err=True)
        ctx.exit(1)
    click.echo(ok_line)


@click.command("serve")
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

    from ..show.config import load
    from ..storage.serve import make_server, served_folder

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


@click.command("status")
@click.option("--to", "destination", help="Ask this destination instead: DIR or s3://BUCKET/PATH.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")
@click.pass_context
def status(ctx: click.Context, destination: str | None, as_json: bool) -> None:
    """Where every session stands, per day and track: published, ready, waiting, broken."""
    import json

    from ..publish.status import STATES, show_status

    found = show_status(_config_path(ctx), destination)
    if as_json:
        click.echo(json.dumps(found.to_json(), indent=1))
        return
    click.echo(f"status of {found.destination}")
    rows = [
        (" / ".join(x for x in (day, track) if x) or "(no day)", counts)
        for (day, track), counts in found.groups().items()
    ]
    rows.append(("all", found.counts()))
    width = max(len(label) for label, _ in [*rows, ("day / track", None)])
    click.echo(f"  {'day / track':<{width}}  " + "  ".join(STATES))
    for label, counts in rows:
        cells = "  ".join(f"{counts[s]:>{len(s)}}" for s in STATES)
        click.echo(f"  {label:<{width}}  {cells}")
    for s in found.sessions:
        if s.state == "broken":
            click.echo(f"broken: {_rel(s.path)}: {s.reason}")
        elif s.state == "waiting" and ctx.obj.get("verbose"):
            click.echo(f"waiting: {_rel(s.path)} ({s.title})")
    click.echo(f"next: {found.next_action()}")
