"""Archive search: Pagefind indexes the built session pages into static files under
``pagefind/``, which the index page's search box loads (no server; works from a bucket or
``audiofeed serve``).

Pagefind reads what each page marks with ``data-pagefind-body`` (the session: title,
people, affiliations, description, chapters, transcript). Every element with an ``id``
becomes an anchor with its word position, which is how a hit inside a transcript finds
the passage and its time (``cue-N-tSECONDS`` ids, see ``episode.html``).

The index is rebuilt only when a session page changed (``.audiofeed/search.json``);
without the ``pagefind`` binary (``pip install 'pagefind[bin]'``) the archive is built
without search.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from ..errors import AudiofeedError

log = logging.getLogger("audiofeed")

FOLDER = "pagefind"
INSTALL_HINT = "pip install 'pagefind[bin]'"
#: Pagefind's own ready-made interfaces: the archive has its own small one (site.js)
UNUSED = (
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-highlight.js",
)


class SearchError(AudiofeedError):
    """Pagefind could not index the archive."""


def executable() -> Path | None:
    """The Pagefind binary from the ``pagefind[bin]`` wheel, if installed."""
    if importlib.util.find_spec("pagefind_bin") is None:
        return None
    import pagefind_bin

    try:
        return Path(pagefind_bin.get_executable())
    except (FileNotFoundError, OSError):
        return None


def version() -> str:
    try:
        return metadata.version("pagefind_bin")
    except metadata.PackageNotFoundError:  # pragma: no cover - a binary without metadata
        return "unknown"


def inputs_digest(pages: Mapping[str, str], language: str) -> str:
    """What an index is made from: Pagefind's version, the language, every page's sha256."""
    blob = json.dumps([version(), language, sorted(pages.items())])
    return hashlib.sha256(blob.encode()).hexdigest()


def build_index(pages: Mapping[str, Path], out: Path, language: str, exe: Path) -> list[str]:
    """Index ``pages`` (object key -> built file) into ``out`` (replaced); return the keys of
    the files written there, relative to the archive root (``pagefind/…``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".search-", dir=out.parent) as tmp:
        site, bundle = Path(tmp) / "site", Path(tmp) / "bundle"
        for key, path in pages.items():
            target = site / key
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)
        cmd = [str(exe), "--site", str(site), "--output-path", str(bundle)]
        cmd += ["--force-language", language.split("-")[0].lower(), "--silent"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or not (bundle / "pagefind.js").is_file():
            lines = (proc.stderr or proc.stdout).strip().splitlines() or ["no output"]
            raise SearchError(f"Pagefind failed to index the archive: {lines[-1]}", path=exe)
        for name in UNUSED:
            (bundle / name).unlink(missing_ok=True)
        if out.exists():
            shutil.rmtree(out)
        os.replace(bundle, out)
    return sorted(
        f"{FOLDER}/{p.relative_to(out).as_posix()}" for p in out.rglob("*") if p.is_file()
    )
