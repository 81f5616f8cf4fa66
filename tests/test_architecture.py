"""The layering in ARCHITECTURE: imports point one way, libraries stay in their module."""

from __future__ import annotations

import ast
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
    "markdownify": ("importers/feed_text.py",),
    "rich": ("cli",),
    "imageio_ffmpeg": ("media/ffmpeg.py",),
    "distributed": ("executor.py",),  # the optional extra audiofeed[cluster]
    "dask": ("executor.py",),
    # every ffmpeg run goes through one module, which names the file on failure
    "subprocess": ("media/ffmpeg.py",),
}
#: project module -> project modules it must not import (downstream stages)
MUST_NOT_IMPORT = {
    "errors": {"config", "catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "config": {"catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "feedconfig": {"catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "masterconfig": {"config", "catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "mastering": {"shownotes", "feed", "site", "publish", "build", "cli"},
    "clusterrun": {"shownotes", "feed", "site", "publish", "build", "cli"},
    "remote": {"catalog", "config", "shownotes", "feed", "site", "publish", "build", "cli"},
    "executor": {"config", "catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "sources": {"config", "catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
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
    # decides a no-op publish before the build stages are imported: config and storage only
    "unchanged": {"catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
    "importers": {"media", "shownotes", "feed", "site", "publish", "cli"},
    "configpath": {"config", "catalog", "media", "shownotes", "feed", "site", "publish", "cli"},
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


def test_a_command_imports_its_own_module_only() -> None:
    loaded = set(modules_loaded_by(["init", "--help"]))
    assert "audiofeed.cli.show" in loaded
    assert not loaded & {"audiofeed.cli.audio", "audiofeed.cli.publishing", "mutagen", "boto3"}
