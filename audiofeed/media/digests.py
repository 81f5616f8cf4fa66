"""sha256 digests computed as a by-product of a pass over a file (the MP3 frame walk, the
tagged copy), remembered for this process so that nothing reads the same bytes again.

An entry is keyed by the file's path and its ``stat`` (device, inode, size, mtime, ctime):
any write to the file changes its ctime, so a changed file is never answered from memory.
"""

from __future__ import annotations

import os
from pathlib import Path

LIMIT = 256  # entries kept (the oldest go first)
_known: dict[tuple, str] = {}


def stamp(path: Path | str, st: os.stat_result | None = None) -> tuple:
    """What identifies one version of a file's bytes."""
    st = st or os.stat(path)
    return (os.fspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def remember(key: tuple, hexdigest: str) -> None:
    """Record the digest of the file version ``key`` (from :func:`stamp` before reading)."""
    if len(_known) >= LIMIT:
        _known.pop(next(iter(_known)))
    _known[key] = hexdigest


def known(path: Path | str) -> str | None:
    """The digest recorded for ``path`` as it is now, or None."""
    try:
        return _known.get(stamp(path))
    except OSError:
        return None
