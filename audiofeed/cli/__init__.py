"""The command line (click lives in this package only): ``audiofeed`` and its commands."""

from __future__ import annotations

from . import audio, importing, publishing, show  # noqa: F401 - they register the commands
from .base import cli, render_problem

__all__ = ["cli", "main", "render_problem"]


def main() -> None:
    """Console entry point."""
    cli(prog_name="audiofeed")
