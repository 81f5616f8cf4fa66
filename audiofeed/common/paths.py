"""Real paths (symlinks followed) of many files in a few folders, each folder resolved once."""

from __future__ import annotations

import os


class RealPaths:
    """``os.path.realpath`` for many paths: each folder's real path is looked up once, then
    only the file itself is checked for being a symlink (one ``lstat``, not one per
    component). For one pass over a show; folders must not change meanwhile."""

    def __init__(self) -> None:
        self.folders: dict[str, str] = {}

    def folder(self, path: str) -> str:
        found = self.folders.get(path)
        if found is None:
            found = self.folders[path] = os.path.realpath(path)
        return found

    def file(self, path: str) -> str:
        folder, name = os.path.split(path)
        if name in ("", ".", "..") or "\0" in path or not folder:
            return os.path.realpath(path)
        candidate = os.path.join(self.folder(folder), name)
        return os.path.realpath(candidate) if os.path.islink(candidate) else candidate


def inside(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or below it (both real, absolute paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
