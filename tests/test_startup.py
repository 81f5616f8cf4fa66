"""The command line is click's: commands are loaded lazily (click's documented lazy group),
and every command has help (tests/test_architecture.py: what each imports)."""

from __future__ import annotations

from pathlib import Path

import click

from audiofeed.cli import cli
from audiofeed.cli.base import COMMANDS
from tests.support.cli import run


def test_every_lazy_command_resolves_and_has_help() -> None:
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name
        assert command.get_short_help_str().strip(), name


def test_help_lists_every_command() -> None:
    proc = run("--help", cwd=Path.cwd(), check=True)
    for name in COMMANDS:
        assert f"\n  {name} " in proc.stdout, name


def test_no_config_is_reported_by_click(tmp_path: Path) -> None:
    proc = run("publish", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and "no config.toml here" in proc.stderr
