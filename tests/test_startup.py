"""Start-up: a no-op ``audiofeed publish`` is answered before click is imported, and only
for command lines whose meaning is certain; everything else goes to click unchanged."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from audiofeed.cli import cli
from audiofeed.cli.quick import (
    FULL_RUN,
    GLOBAL_FLAGS,
    GLOBAL_VALUES,
    PUBLISH_FLAGS,
    PUBLISH_VALUES,
    parse,
)
from tests.support.cli import run

DEFAULTS = {
    "dry_run": False,
    "prune": False,
    "retag": False,
    "base_url": None,
    "destination": None,
    "profile": None,
}


@pytest.mark.parametrize(
    ("argv", "config", "options"),
    [
        (["publish"], None, {}),
        (["-q", "publish"], None, {}),
        (["--verbose", "-c", "show/config.toml", "publish"], "show/config.toml", {}),
        (["--config=a b.toml", "publish", "--prune"], "a b.toml", {"prune": True}),
        (
            ["publish", "--to", "s3://b/p", "--base-url=https://x/"],
            None,
            {"destination": "s3://b/p", "base_url": "https://x/"},
        ),
        (["publish", "--profile", "p1", "--profile", "p2"], None, {"profile": "p2"}),
    ],
)
def test_plain_publish_command_lines_are_read(argv, config, options) -> None:  # type: ignore[no-untyped-def]
    assert parse(argv) == (config, {**DEFAULTS, **options})


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--help"],
        ["publish", "--help"],
        ["check"],
        ["-qv", "publish"],  # combined short flags: click's business
        ["publish", "-n"],
        ["publish", "--dry-run"],
        ["publish", "--json"],
        ["publish", "--retag"],
        ["publish", "--to"],  # a missing value: click reports it
        ["publish", "--to", "--prune"],  # a value that looks like an option
        ["publish", "--to="],
        ["publish", "--to", ""],
        ["-c", "publish"],
        ["publish", "extra"],
        ["publish", "--", "--prune"],
        ["publish", "--tO", "x"],
        ["publish", "--pru"],
        ["--version", "publish"],
        ["-c", "x.toml"],
    ],
)
def test_anything_else_goes_to_click(argv: list[str]) -> None:
    assert parse(argv) is None


def test_the_tables_are_the_click_commands_options() -> None:
    """Every option of the group and of publish is either read here, with the same meaning,
    or left to click; an option added to the command must be added here too."""
    publish = cli.get_command(click.Context(cli), "publish")
    assert publish is not None
    for command, flags, values, left in (
        (cli, GLOBAL_FLAGS, GLOBAL_VALUES, {"--version", "-h", "--help"}),
        (publish, set(PUBLISH_FLAGS), PUBLISH_VALUES, FULL_RUN),
    ):
        for param in command.params:
            for opt in param.opts:
                if opt in left:
                    continue
                assert isinstance(param, click.Option), opt
                if param.is_flag:
                    assert opt in flags, opt
                    if flags is not GLOBAL_FLAGS:
                        assert PUBLISH_FLAGS[opt] == param.name, opt
                else:
                    assert opt in values and values[opt] == param.name, opt
                    assert param.nargs == 1 and not param.multiple, opt
        names = {o for p in command.params for o in p.opts} | {"-h", "--help"}
        assert set(flags) | set(values) | left <= names


def test_the_quick_answer_prints_what_click_prints(show: Path) -> None:
    """The answer given before click is imported is byte for byte the one click's publish
    command gives for the same record (its own quick path), and the exit code is 0."""
    from click.testing import CliRunner

    run("publish", cwd=show, check=True)
    quick = run("-q", "publish", cwd=show, check=True)
    assert quick.stdout.startswith("nothing changed: ") and quick.stderr == ""
    import os

    here = os.getcwd()
    try:
        os.chdir(show)
        result = CliRunner().invoke(cli, ["-q", "publish"], catch_exceptions=False)
    finally:
        os.chdir(here)
    assert result.exit_code == 0
    assert result.stdout == quick.stdout


def test_no_config_is_reported_by_click(tmp_path: Path) -> None:
    proc = run("publish", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and "no config.toml here" in proc.stderr
