"""Durable renames: after ``os.replace`` the folder itself is fsynced, so a power cut cannot
bring back the old directory entry (an old manifest beside new files). Depends on nothing."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(folder: Path | str) -> None:
    """Flush a folder's entries (a rename in it) to disk; a no-op where folders cannot be
    opened (not POSIX)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder; nothing more to do
        pass
    finally:
        os.close(fd)


def replace_durably(tmp: Path | str, dest: Path | str) -> None:
    """``os.replace(tmp, dest)`` (tmp already fsynced by the caller), then fsync the folder."""
    os.replace(tmp, dest)
    fsync_dir(os.path.dirname(os.path.abspath(dest)))
