"""Demo-show helpers: a copy of the show, tree snapshots."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO_PARTS = ("config.toml", "cover.jpg", "episodes", "recordings")


def copy_demo_show(tmp_path: Path, *, warm: bool = True) -> Path:
    """A fresh copy of the repo's demo show (config.toml, episodes/, recordings/, cover).

    ``warm``: with the demo's masters and loudness measurements in ``.audiofeed/master/``,
    as a show published before has them (made once per test process by a real publish),
    so that a test about publishing does not master the demo's FLAC and measure its five
    clips again (~2 s of CPU each time). ``warm=False`` for a show never published."""
    dest = tmp_path / "show"
    _copy_demo(dest)
    if warm:
        shutil.copytree(_demo_masters(), dest / ".audiofeed" / "master")
    return dest


def _copy_demo(dest: Path) -> None:
    dest.mkdir(parents=True)
    for part in DEMO_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            shutil.copy2(src, dest / part)


@functools.cache
def _demo_masters() -> Path:
    """``.audiofeed/master/`` of the demo show after a real publish (once per process)."""
    root = Path(tempfile.mkdtemp(prefix="audiofeed-demo-masters-"))
    atexit.register(shutil.rmtree, root, True)
    show = root / "show"
    _copy_demo(show)
    proc = subprocess.run(
        [sys.executable, "-m", "audiofeed", "-q", "publish"],
        cwd=show,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return show / ".audiofeed" / "master"


def with_publish(root: Path, publish: str) -> Path:
    """Replace the ``[publish]`` table (the last) of the show's config.toml with
    ``publish`` (TOML lines); the config file's path."""
    config = root / "config.toml"
    text = config.read_text()
    config.write_text(text[: text.index("[publish]")] + "[publish]\n" + publish)
    return config


def tree_snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder``: bytes and mtime, to prove nothing was rewritten."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
