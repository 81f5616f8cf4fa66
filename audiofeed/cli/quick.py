"""``audiofeed publish`` when nothing changed, answered before click is even imported.

A republish that finds nothing to do is what CI runs most, and its cost is start-up:
click alone takes longer to import than the rest of the answer (``audiofeed.unchanged``).
This reads the command line for the plain forms of ``publish`` only — the global options
-q/-v/-c and publish's --to, --base-url, --profile, --prune — and asks ``unchanged``.
Anything else (another command, --help, --dry-run, --json, --retag, an option it does not
know, a value that looks like an option, no config.toml, no record) returns False, and
click parses the command line as always. A test checks these tables against the click
command, so an option added there cannot be silently ignored here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

GLOBAL_FLAGS = {"-q", "--quiet", "-v", "--verbose"}
GLOBAL_VALUES = {"-c": "config_path", "--config": "config_path"}
PUBLISH_FLAGS = {"--prune": "prune"}
PUBLISH_VALUES = {"--to": "destination", "--base-url": "base_url", "--profile": "profile"}
#: publish's options this module leaves to click: they always run the full publish
FULL_RUN = {"--dry-run", "-n", "--retag", "--json", "--help", "-h", "--allow-removal"}


def _value(args: list[str], i: int, table: dict[str, str]) -> tuple[str, str, int] | None:
    """``--name VALUE`` or ``--name=VALUE`` at ``args[i]``: (key, value, next index)."""
    arg = args[i]
    name, eq, value = arg.partition("=")
    if eq and name.startswith("--") and name in table:
        return (table[name], value, i + 1) if value else None
    if arg in table and i + 1 < len(args) and args[i + 1] and not args[i + 1].startswith("-"):
        return table[arg], args[i + 1], i + 2
    return None


def parse(args: list[str]) -> tuple[str | None, dict[str, Any]] | None:
    """(the -c value, publish's options) for ``[global options] publish [options]`` in the
    forms above; None for anything else."""
    config: str | None = None
    i = 0
    while i < len(args) and args[i] != "publish":
        if args[i] in GLOBAL_FLAGS:
            i += 1
        elif found := _value(args, i, GLOBAL_VALUES):
            _, config, i = found
        else:
            return None
    if i == len(args):
        return None
    options: dict[str, Any] = {
        "dry_run": False,
        "prune": False,
        "retag": False,
        "base_url": None,
        "destination": None,
        "profile": None,
    }
    i += 1
    while i < len(args):
        if args[i] in PUBLISH_FLAGS:
            options[PUBLISH_FLAGS[args[i]]] = True
            i += 1
        elif found := _value(args, i, PUBLISH_VALUES):
            key, options[key], i = found
        else:
            return None
    return config, options


def answer(args: list[str] | None = None) -> bool:
    """Print the no-op answer and return True, if the command line is a plain publish and
    nothing changed since it last ran; else False (click takes over, nothing printed)."""
    parsed = parse(sys.argv[1:] if args is None else args)
    if parsed is None:
        return False
    from ..configpath import find
    from ..unchanged import quick_lines

    config, options = parsed
    try:
        config_path = Path(config) if config else find(Path.cwd())
        lines = quick_lines(config_path, False, options)
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted; the previously published feed is unchanged\n")
        raise SystemExit(130) from None
    except Exception:  # e.g. no config.toml: click's run reports it properly
        return False
    if lines is None:
        return False
    text = "\n".join(lines) + "\n"
    if "\x1b" in text:  # click.echo would strip terminal escapes; let it
        return False
    sys.stdout.write(text)
    sys.stdout.flush()
    return True


__all__ = ["answer", "parse"]
