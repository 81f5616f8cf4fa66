"""Exit 0 if `pip install -e '.[test]'` would change nothing, else 1 (used by test.sh).

Checks, for the running interpreter: `audiofeed` is importable from THIS checkout (an
editable install of another clone or worktree does not count), its installed version
and console scripts match pyproject.toml, and every requirement of [project]
dependencies + the `test` extra (and the extras they ask for) is installed in a
matching version. Anything unexpected -> 1, so the caller simply runs pip.
"""

from __future__ import annotations

import importlib.metadata as md
import sys
import tomllib
from pathlib import Path


def main() -> int:
    try:
        from packaging.requirements import Requirement
    except ImportError:
        return 1
    repo = Path(__file__).resolve().parents[1]
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    try:
        import audiofeed
    except Exception:
        return 1
    if Path(audiofeed.__file__).resolve().parents[1] != repo:
        return 1
    dist = md.distribution("audiofeed")
    if dist.version != project["version"]:
        return 1
    scripts = {ep.name for ep in dist.entry_points if ep.group == "console_scripts"}
    if scripts != set(project.get("scripts", {})):
        return 1

    seen: set[tuple[str, str]] = set()

    def ok(req: str, extra: str = "") -> bool:
        r = Requirement(req)
        if r.marker and not r.marker.evaluate({"extra": extra}):
            return True
        key = (str(r), extra)
        if key in seen:
            return True
        seen.add(key)
        try:
            version = md.version(r.name)
        except md.PackageNotFoundError:
            return False
        if r.specifier and not r.specifier.contains(version, prereleases=True):
            return False
        for e in r.extras:
            for sub in md.requires(r.name) or []:
                if not ok(sub, e):
                    return False
        return True

    extras = project.get("optional-dependencies", {})
    reqs = project.get("dependencies", []) + extras.get("test", [])
    return 0 if all(ok(r) for r in reqs) else 1


if __name__ == "__main__":
    sys.exit(main())
