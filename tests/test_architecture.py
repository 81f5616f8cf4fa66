"""The layering in ARCHITECTURE: imports point one way, libraries stay in their module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "audiofeed"

#: library -> the only modules (path prefixes inside the package) allowed to import it
ONLY_IN = {
    "click": ("cli",),
    "boto3": ("storage/s3.py",),
    "botocore": ("storage/s3.py",),
    "mutagen": ("media",),
    "feedgen": ("feed",),
    "jinja2": ("site",),
    "faster_whisper": ("transcribe/engine.py",),
    "ctranslate2": ("transcribe/engine.py",),
}
#: project module -> project modules it must not import (downstream stages)
MUST_NOT_IMPORT = {
    "errors": {"config", "catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "config": {"catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "feedconfig": {"catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "transcriptconfig": {"catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    # a stage after media (it recognises the published copy); feed and site read its files
    "transcribe": {"feed", "site", "cli"},
    "catalog": {"media", "shownotes", "feed", "site", "publish", "cli"},
    "media": {"shownotes", "feed", "site", "publish", "cli"},
    "shownotes": {"media", "feed", "site", "publish", "cli"},
    "feed": {"publish", "cli", "site"},
    "site": {"media", "feed", "publish", "cli"},
    "storage": {"config", "catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "publish": {"cli"},
    "build": {"publish", "cli"},
    "rules": {"config", "catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "destination": {"config", "catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "deploy": {"config", "catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "report": {"config", "catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "remote_check": {"catalog", "media", "feed", "site", "publish", "cli"},
    "progress": {"config", "catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    # decides a no-op publish before the heavy stages are imported: config and storage only
    "unchanged": {"catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "importers": {"media", "shownotes", "feed", "site", "publish", "cli"},
    # what a no-op publish loads besides unchanged: nothing heavier than itself
    "configpath": {"config", "catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "s3head": {"config", "catalog", "media", "shownotes", "feed", "site", "publish", "cli"}
    | {"storage", "errors"},
}


def imports(path: Path) -> set[str]:
    """Absolute names imported by a module (relative imports resolved inside the package)."""
    rel_parts = path.relative_to(PACKAGE).with_suffix("").parts
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(rel_parts[: len(rel_parts) - node.level])
                target = ".".join(["audiofeed", *base, *(node.module or "").split(".")]).strip(".")
                names.add(target)
                names |= {f"{target}.{a.name}" for a in node.names}
            else:
                names.add(node.module or "")
    return names


def modules():
    return sorted(PACKAGE.rglob("*.py"))


def test_third_party_libraries_stay_in_their_module() -> None:
    for path in modules():
        rel = path.relative_to(PACKAGE).as_posix()
        for name in imports(path):
            lib = name.split(".")[0]
            if lib in ONLY_IN:
                assert rel.startswith(ONLY_IN[lib]), f"{rel} imports {lib}"


def test_imports_point_one_way() -> None:
    for path in modules():
        stage = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        forbidden = MUST_NOT_IMPORT.get(stage, set())
        for name in imports(path):
            parts = name.split(".")
            if parts[0] == "audiofeed" and len(parts) > 1:
                assert parts[1] not in forbidden, f"{path.name} ({stage}) imports {name}"


def test_modules_stay_small() -> None:
    for path in modules():
        lines = len(path.read_text().splitlines())
        assert lines <= 500, f"{path.relative_to(PACKAGE)} has {lines} lines; split it"


def test_help_is_fast_because_heavy_imports_are_lazy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, audiofeed.cli; heavy = {'boto3', 'mutagen', 'feedgen', 'nh3', "
        "'markdown_it'} & set(sys.modules); print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def modules_loaded_by(argv: list[str], *, preload: str = "") -> list[str]:
    """The modules an ``audiofeed ARGV`` run imports beyond what the interpreter had (the
    machine's own site imports are not audiofeed's start-up)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        f"{preload}\n"
        "from audiofeed.cli import main\n"
        f"sys.argv = ['audiofeed', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(set(sys.modules) - before)), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stderr.split()


#: not needed to print help: each costs start-up time (imports are measured in ms)
NOT_FOR_HELP = {
    "boto3",
    "mutagen",
    "feedgen",
    "nh3",
    "markdown_it",
    "jinja2",
    "lxml",
    "tomllib",
    "json",
    "logging",
    "hashlib",
    "http.client",
    "ssl",
    "audiofeed.config",
    "audiofeed.errors",
    "audiofeed.cli.audio",
    "audiofeed.cli.importing",
    "audiofeed.cli.publishing",
    "audiofeed.cli.show",
    "audiofeed.cli.transcribing",
    "faster_whisper",
}


def test_help_imports_only_click_and_the_group() -> None:
    loaded = set(modules_loaded_by(["--help"]))
    assert "click" in loaded and "audiofeed.cli.base" in loaded
    assert not loaded & NOT_FOR_HELP, sorted(loaded & NOT_FOR_HELP)


def test_a_command_imports_its_own_module_only() -> None:
    loaded = set(modules_loaded_by(["init", "--help"]))
    assert "audiofeed.cli.show" in loaded
    assert not loaded & {"audiofeed.cli.audio", "audiofeed.cli.publishing", "mutagen", "boto3"}


def test_the_lazy_command_list_is_the_commands_own_help() -> None:
    """``--help`` lists the commands from ``COMMANDS`` without importing them: the listing
    must be exactly what click prints with every command imported, at any width."""
    import inspect
    import os
    import pkgutil
    import subprocess
    import sys

    import click

    from audiofeed import cli as cli_pkg
    from audiofeed.cli.base import COMMANDS, cli

    names = [m.name for m in pkgutil.iter_modules(cli_pkg.__path__) if m.name != "base"]
    for name in names:
        __import__(f"audiofeed.cli.{name}")
    assert set(cli.commands) == set(COMMANDS)
    for name, command in cli.commands.items():
        module, summary = COMMANDS[name]
        assert command.callback.__module__ == f"audiofeed.cli.{module}", name
        assert inspect.cleandoc(command.help).split("\n\n")[0] == summary, name
        assert click.Command(name, help=summary).get_short_help_str(80) == (
            command.get_short_help_str(80)
        )
    eager = "; ".join(f"import audiofeed.cli.{n}" for n in names)
    for columns in ("40", "80", "200"):
        env = {**os.environ, "COLUMNS": columns}
        outputs = [
            subprocess.run(
                [sys.executable, "-c", f"{pre}; from audiofeed.cli import main; main()", "--help"],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            ).stdout
            for pre in ("pass", eager)
        ]
        assert outputs[0] == outputs[1]
        assert re.search(r"\n  publish +Tag copies of the recordings", outputs[0])
