"""A stamp of audiofeed's own code: what cached build results depend on besides their inputs."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import __version__

PACKAGE = Path(__file__).resolve().parent


def code_files() -> list[Any]:
    """``[relative path, size, mtime_ns]`` of every file of the package (an upgrade or a
    local edit changes what a build produces)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(PACKAGE):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if not name.endswith((".pyc", ".pyo")):
                path = os.path.join(dirpath, name)
                st = os.stat(path)
                out.append([os.path.relpath(path, PACKAGE), st.st_size, st.st_mtime_ns])
    return out


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A short digest of ``code_files()`` and the version (computed once per process)."""
    blob = repr([__version__, code_files()]).encode()
    return hashlib.blake2b(blob, digest_size=16).hexdigest()
