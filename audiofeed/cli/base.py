"""The click group, its error handling and logging: the only place besides the command
modules of this package that imports click."""

from __future__ import annotations

import logging
import os
import traceback
from contextlib import nullcontext
from pathlib import Path

import click

from .. import __version__
from ..errors import AudiofeedError, Problem, ValidationError, one_line

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


class Live:
    """The live progress line while an upload runs on a terminal (log lines go above it)."""

    current = None


class _LineHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        live = Live.current
        with live.above() if live else nullcontext():
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
    from ..config import find

    given = ctx.obj.get("config_path")
    return given if given else find(Path.cwd())
