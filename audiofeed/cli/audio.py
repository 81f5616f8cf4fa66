"""Commands for recordings: inspect, tag."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import AudiofeedError, Problem
from .base import _config_path, _rel, render_problem


@click.command("inspect")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.pass_context
def inspect_cmd(ctx: click.Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Show codec, duration, size, every tag, chapter and picture of audio FILEs."""

    import json

    from ..media.inspect import render, report

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


@click.command("tag")
@click.option("-n", "--dry-run", is_flag=True, help="Write nothing; show each file's tag diff.")
@click.pass_context
def tag(ctx: click.Context, dry_run: bool) -> None:
    """Tag copies of the recordings (in .audiofeed/build) without publishing them."""
    from ..publish.pipeline import tag_show

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
