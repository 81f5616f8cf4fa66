"""``audiofeed transcribe``: transcripts recognised from the published recordings."""

from __future__ import annotations

import click

from .base import _config_path, _rel


@click.command("transcribe")
@click.argument("episodes", nargs=-1)
@click.option("-n", "--dry-run", is_flag=True, help="Write nothing; say what would be done.")
@click.pass_context
def transcribe(ctx: click.Context, episodes: tuple[str, ...], dry_run: bool) -> None:
    """Make WebVTT + SRT transcripts from the published recordings (speech recognition).

    EPISODE: a slug or an episode file name (default: every episode). Writes
    transcripts/SLUG.vtt and .srt for each episode without a hand-made transcript; an
    edited transcript is never overwritten. Needs: pip install 'audiofeed[transcribe]';
    settings in [transcripts] (docs/transcripts.md).
    """
    from ..transcribe import run

    outcomes = run.transcribe_show(_config_path(ctx), episodes, dry_run=dry_run)
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.action] = counts.get(o.action, 0) + 1
        files = ", ".join(_rel(p) for p in o.files)
        if o.action in (run.TRANSCRIBED, run.FROM_CACHE):
            speed = f"; {o.audio_seconds / o.seconds:.1f}x realtime" if o.seconds else ""
            click.echo(f"{o.action} {_rel(o.episode)} -> {files} ({o.audio_seconds:.0f} s{speed})")
        elif o.action == run.HAND_MADE:
            click.echo(f"kept {_rel(o.episode)}: hand-made transcript {files}")
        elif o.action == run.EDITED:
            click.echo(f"kept {_rel(o.episode)}: {files} edited since generated (delete to redo)")
        elif o.action == run.FOREIGN:
            click.echo(f"kept {_rel(o.episode)}: {files} not made by audiofeed")
        elif o.action == run.SILENT:
            click.echo(f"no speech recognised in {_rel(o.episode)}: no transcript written")
        else:
            click.echo(f"{o.action} {_rel(o.episode)}: {files}")
    summary = ", ".join(f"{n} {action}" for action, n in counts.items()) or "no episodes"
    click.echo(("dry run: " if dry_run else "") + summary)
