"""The command line (click lives in this package only): ``audiofeed`` and its commands."""

from __future__ import annotations

from .base import cli, render_problem  # the commands' modules are imported when used

__all__ = ["cli", "main", "render_problem"]


def main() -> None:
    """Console entry point."""
    cli(prog_name="audiofeed")
