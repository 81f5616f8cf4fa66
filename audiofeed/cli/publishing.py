"""The publish command."""

from __future__ import annotations

import sys
from typing import Any

import click

from .base import Live, _config_path, _rel, render_problem


@click.command("publish")
@click.option("-n", "--dry-run", is_flag=True, help="Build and print the plan; upload nothing.")
@click.option("--prune", is_flag=True, help="Delete what nothing refers to, after the new feed.")
@click.option("--retag", is_flag=True, help="Tag every recording again (new media URLs).")
@click.option("--base-url", help="Override publish.base_url from config.toml.")
@click.option("--to", "destination", help="Override publish.destination: DIR or s3://BUCKET/PATH.")
@click.option("--profile", help="AWS profile for s3:// (else AWS_PROFILE, env vars, a role).")
@click.option(
    "--skip-broken",
    is_flag=True,
    help="Publish every good episode when some recordings are broken; list those and exit 1.",
)
@click.option(
    "--allow-removal",
    metavar="GUID",
    multiple=True,
    help="Drop this live episode (guid or slug; repeatable) though this folder never "
    "published it: without it, a folder that lacks live episodes stops (a stale clone).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout (for CI).")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Recordings mastered at once (default: the cores).",
)
@click.option(
    "--cluster",
    metavar="tcp://HOST:8786",
    help="Master on this Dask scheduler's workers (else [cluster] address; docs/cluster.md).",
)
@click.pass_context
def publish(ctx: click.Context, as_json: bool, **options: Any) -> None:
    """Tag copies of the recordings, build the feed, publish what changed (feed last).
    s3:// credentials: the AWS standard chain only (environment, profile, role).

    The manifest is written with a conditional write: if another publish got there
    first, this one stops and nothing of it goes live (pull, then publish again)."""
    from ..publish.unchanged import quick_lines

    if (lines := quick_lines(_config_path(ctx), as_json, options)) is not None:
        return click.echo("\n".join(lines))  # inputs and published manifest as recorded
    import json

    from ..errors import AudiofeedError
    from ..publish.pipeline import Options, error_report
    from ..publish.pipeline import publish as run

    live = None
    if sys.stderr.isatty() and not options["dry_run"]:
        from .progress import RichProgress  # rich: only for a terminal

        live = RichProgress(sys.stderr)
    Live.current = live
    try:
        report = run(_config_path(ctx), Options(**options), progress=live)
    except AudiofeedError as exc:
        if as_json:
            click.echo(json.dumps(error_report(exc), indent=1))
        raise
    finally:
        Live.current = None
    for w in report.warnings:
        click.echo(render_problem(w), err=True)
    for b in report.broken:
        click.echo(render_problem(b), err=True)
    verb = "would assign" if options["dry_run"] else "assigned"
    for path in report.assigned_guids:
        click.echo(f"{verb} a new guid in {_rel(path)}", err=True)
    for line in report.lines():
        click.echo(line, err=as_json)
    if ctx.obj.get("verbose"):
        for path in report.waiting:
            click.echo(f"  waiting: {_rel(path)}", err=True)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=1))
    if report.broken:
        ctx.exit(1)
