"""The publish command."""

from __future__ import annotations

import sys
from typing import Any

import click

from .base import Live, _config_path, _rel, cli, render_problem, setup_logging


@cli.command()
@click.option("-n", "--dry-run", is_flag=True, help="Build and print the plan; upload nothing.")
@click.option("--prune", is_flag=True, help="Delete what nothing refers to, after the new feed.")
@click.option("--retag", is_flag=True, help="Tag every recording again (new media URLs).")
@click.option("--base-url", help="Override publish.base_url from config.toml.")
@click.option("--to", "destination", help="Override publish.destination: DIR or s3://BUCKET/PATH.")
@click.option("--profile", help="AWS profile for s3:// (else AWS_PROFILE, env vars, a role).")
@click.option(
    "--allow-removal",
    metavar="GUID",
    multiple=True,
    help="Drop this live episode (guid or slug; repeatable) though this folder never "
    "published it: without it, a folder that lacks live episodes stops (a stale clone).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout (for CI).")
@click.pass_context
def publish(ctx: click.Context, as_json: bool, **options: Any) -> None:
    """Tag copies of the recordings, build the feed, publish what changed (feed last).
    s3:// credentials: the AWS standard chain only (environment, profile, role).

    The manifest is written with a conditional write: if another publish got there
    first, this one stops and nothing of it goes live (pull, then publish again)."""
    from ..unchanged import quick_lines  # light: decides a no-op publish without the build

    if (lines := quick_lines(_config_path(ctx), as_json, options)) is not None:
        return click.echo("\n".join(lines))  # inputs and published manifest as recorded
    setup_logging(ctx)
    import json

    from ..errors import AudiofeedError
    from ..progress import LiveProgress
    from ..publish import Options, error_report
    from ..publish import publish as run

    live = LiveProgress(sys.stderr) if sys.stderr.isatty() and not options["dry_run"] else None
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
    verb = "would assign" if options["dry_run"] else "assigned"
    for path in report.assigned_guids:
        click.echo(f"{verb} a new guid in {_rel(path)}", err=True)
    for line in report.lines():
        click.echo(line, err=as_json)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=1))
