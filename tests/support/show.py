"""Demo-show helpers: a copy of the show, tree snapshots."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO_PARTS = ("config.toml", "cover.jpg", "episodes", "recordings")


def copy_demo_show(tmp_path: Path) -> Path:
    """A fresh copy of the repo's demo show (config.toml, episodes/, recordings/, cover)."""
    dest = tmp_path / "show"
    dest.mkdir(parents=True)
    for part in DEMO_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            shutil.copy2(src, dest / part)
    return dest


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
