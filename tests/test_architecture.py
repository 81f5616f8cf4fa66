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
    "faster_whisper": ("transcribe/engine.py",),
    "ctranslate2": ("transcribe/engine.py",),
    "markdownify": ("importers/feed_text.py",),
    "rich": ("cli",),
    "imageio_ffmpeg": ("media/ffmpeg.py",),
    "distributed": ("publish/executor.py",),  # the optional extra audiofeed[cluster]
    "dask": ("publish/executor.py",),
    # every ffmpeg run goes through one module, which names the file on failure
    "subprocess": ("media/ffmpeg.py", "site/search.py"),  # ffmpeg; the pagefind binary
}
#: the stages, upstream first: a package (or top-level module) of audiofeed may import only
#: the stages it is allowed below; ``common`` (memos, code stamp, paths, text hygiene,
#: atomic files) and ``errors`` are the foundation every stage may use
UPSTREAM = {
    "errors": set(),
    "common": {"errors"},
    "show": {"errors", "common"},
    "storage": {"errors", "common"},
    "media": {"errors", "common", "show"},
    "shownotes": {"errors", "common", "show"},
    "rules": {"errors", "common", "show"},
    "importers": {"errors", "common", "show"},
    "feed": {"errors", "common", "show", "shownotes", "rules"},
    "site": {"errors", "common", "show", "shownotes"},
    "publish": {
        "errors",
        "common",
        "show",
        "storage",
        "media",
        "shownotes",
        "rules",
        "feed",
        "site",
    },
}
#: transcripts are recognised from the published copies (after publish's build)
UPSTREAM["transcribe"] = {"errors", "common", "show", "media", "publish"}
ALL_STAGES = {*UPSTREAM, "cli"}
#: stage -> stages it must not import (the downstream ones and its siblings)
MUST_NOT_IMPORT = {stage: ALL_STAGES - allowed - {stage} for stage, allowed in UPSTREAM.items()}


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


def test_the_package_is_its_stages() -> None:
    """No loose modules: every top-level entry of audiofeed/ is a stage of the pipeline."""
    entries = {
        p.name.removesuffix(".py")
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists()) and p.name != "__pycache__"
    }
    assert entries - {"__init__", "__main__"} == ALL_STAGES


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
