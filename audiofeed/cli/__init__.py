"""The command line (click lives in this package only): ``audiofeed`` and its commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import cli, render_problem

__all__ = ["cli", "main", "render_problem"]


def __getattr__(name: str) -> Any:
    """``cli`` and ``render_problem`` from ``.base``, imported (with click) when asked for."""
    if name in ("cli", "render_problem"):
        from . import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console entry point."""
    from .base import cli

    cli(prog_name="audiofeed")
