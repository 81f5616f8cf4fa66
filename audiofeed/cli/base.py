"""The click group (commands loaded lazily), its error handling and logging."""

from __future__ import annotations

import importlib
import logging
import os
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import __version__

if TYPE_CHECKING:
    from ..errors import Problem

#: command -> where it is defined (``module.attribute`` of this package); a command's
#: module is imported when the command runs or its help is shown (click's lazy loading)
COMMANDS = {
    "check": "show.check",
    "import": "importing.import_group",
    "init": "show.init",
    "inspect": "audio.inspect_cmd",
    "new": "show.new",
    "publish": "publishing.publish",
    "serve": "show.serve",
    "status": "show.status",
    "tag": "audio.tag",
    "transcribe": "transcribing.transcribe",
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
    """Loads each command when it is used (``COMMANDS``, the lazy group of click's docs) and
    turns AudiofeedError into one line per problem and a non-zero exit (traceback with -v)."""

    def __init__(self, *args: Any, lazy_subcommands: dict[str, str] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.lazy_subcommands = lazy_subcommands or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands:
            module, _, name = self.lazy_subcommands[cmd_name].rpartition(".")
            command = getattr(importlib.import_module(f"{__package__}.{module}"), name)
            if not isinstance(command, click.Command):  # pragma: no cover - a wrong table
                raise TypeError(f"{self.lazy_subcommands[cmd_name]} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)

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


def setup_logging(ctx: click.Context) -> None:
    """Log lines of the "audiofeed" logger go to stderr, one per line, above the live
    progress line; the level follows -v / -q."""

    class LineHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            live = Live.current
            if live is not None and hasattr(live, "print_line"):  # rich: above its bars
                return live.print_line(self.format(record))
            with live.above() if live else nullcontext():
                click.echo(self.format(record), err=True)

    verbose, quiet = ctx.obj["verbose"], ctx.obj["quiet"]
    handler = LineHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("audiofeed")
    log.handlers[:] = [handler]
    log.setLevel(logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO))
    log.propagate = False


@click.group(
    cls=AudiofeedGroup,
    lazy_subcommands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
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
    setup_logging(ctx)


def _config_path(ctx: click.Context) -> Path:
    from ..show.configpath import find

    given = ctx.obj.get("config_path")
    return given if given else find(Path.cwd())
