"""The click group, its error handling and logging: the only place besides the command
modules of this package that imports click."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import __version__

if TYPE_CHECKING:
    from ..errors import Problem

#: command -> (the module of this package that defines it, the first paragraph of its
#: help): ``audiofeed --help`` lists the commands from here and imports none of them;
#: a command's module is imported when the command runs (tests check both agree)
COMMANDS = {
    "check": (
        "show",
        "Validate config.toml, every episode and every recording; list every problem.",
    ),
    "import": (
        "importing",
        "Bring in the conference programme (sessions -> episode files) and the recordings.",
    ),
    "init": ("show", "Create a new show in FOLDER: config.toml, cover, episodes/, recordings/."),
    "inspect": (
        "audio",
        "Show codec, duration, size, every tag, chapter and picture of audio FILEs.",
    ),
    "new": ("show", "Create an episode file in episodes/ (with a new guid)."),
    "publish": (
        "publishing",
        "Tag copies of the recordings, build the feed, publish what changed (feed last).\n"
        "s3:// credentials: the AWS standard chain only (environment, profile, role).",
    ),
    "serve": (
        "show",
        "Serve the published folder over HTTP (HEAD and byte ranges) for podcast apps.",
    ),
    "transcribe": (
        "transcribing",
        "Make WebVTT + SRT transcripts from the published recordings (speech recognition).",
    ),
    "tag": (
        "audio",
        "Tag copies of the recordings (in .audiofeed/build) without publishing them.",
    ),
}


def _rel(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def render_problem(p: Problem) -> str:
    """``path: field: message`` with the path relative to the working folder."""
    from ..errors import one_line

    parts = [one_line(x) for x in (_rel(p.path), p.field, p.message) if x]
    prefix = "warning: " if p.severity == "warning" else "error: "
    return prefix + ": ".join(parts)


class AudiofeedGroup(click.Group):
    """Turns AudiofeedError into one line per problem and a non-zero exit (traceback with -v).
    Commands are imported when used (``COMMANDS``), so start-up pays only for the one run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            importlib.import_module(f"{__package__}.{COMMANDS[cmd_name][0]}")  # registers it
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of --help, from ``COMMANDS`` for commands not imported yet."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            cmd = self.commands.get(name) or click.Command(name, help=COMMANDS[name][1])
            if not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit)))
        if rows:
            from gettext import gettext  # as click's own listing does

            with formatter.section(gettext("Commands")):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("error: interrupted; the previously published feed is unchanged", err=True)
            ctx.exit(130)
        except Exception as exc:
            from ..errors import AudiofeedError, Problem, ValidationError  # only when needed

            if not isinstance(exc, AudiofeedError):
                raise
            _maybe_traceback(ctx)
            if isinstance(exc, ValidationError):
                problems = exc.problems
            else:
                problems = [Problem(exc.path, exc.field, exc.message)]
            for p in problems:
                click.echo(render_problem(p), err=True)
            ctx.exit(1)


def _maybe_traceback(ctx: click.Context) -> None:
    if ctx.obj and ctx.obj.get("verbose"):
        import traceback

        traceback.print_exc()


class Live:
    """The live progress line while an upload runs on a terminal (log lines go above it)."""

    current = None


#: commands that set logging up themselves, once they know they need it (``setup_logging``):
#: ``publish`` answers a no-op without importing ``logging`` at all
LOGGING_LATER = {"publish"}


def setup_logging(ctx: click.Context) -> None:
    """Log lines of the "audiofeed" logger go to stderr, one per line, above the live
    progress line; the level follows -v / -q. (Imported here: a no-op needs none of it.)"""
    import logging
    from contextlib import nullcontext

    class LineHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            live = Live.current
            with live.above() if live else nullcontext():
                click.echo(self.format(record), err=True)

    verbose, quiet = ctx.obj["verbose"], ctx.obj["quiet"]
    handler = LineHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("audiofeed")
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
    ctx.obj["quiet"] = quiet
    ctx.obj["config_path"] = config_path
    if ctx.invoked_subcommand not in LOGGING_LATER:
        setup_logging(ctx)


def _config_path(ctx: click.Context) -> Path:
    from ..configpath import find  # light: config itself is imported when a command needs it

    given = ctx.obj.get("config_path")
    return given if given else find(Path.cwd())
