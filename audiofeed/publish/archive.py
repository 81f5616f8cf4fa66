"""The archive's share of a build: its pages (rendered only when their inputs changed) and
the search index; a mixin of ``build.Builder``, whose state it uses."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from .. import feed, site
from ..common.codestamp import code_digest
from ..common.memo import Recall
from ..storage import Artifact, cache_control_for, content_type_for
from ..storage.plan import STAGE_ASSET, STAGE_PAGE
from .state import FEED_KEY, STATE_DIR, Memo

log = logging.getLogger("audiofeed")


class ArchiveArtifacts:
    """Archive pages and search index for ``Builder`` (config, catalog, build folder and
    page memo come from it)."""

    config: Any
    catalog: Any
    build_dir: Path
    pages: Memo

    def bytes_artifact(self, key: str, data: bytes, stage: int) -> Artifact:
        raise NotImplementedError

    def file_artifact(
        self, path: Path, key_stem: str | None, stage: int, sha: str | None = None
    ) -> Artifact:
        raise NotImplementedError

    # -- archive -------------------------------------------------------------------------
    def site_artifacts(self, items: list[feed.FeedItem], image_key: str) -> list[Artifact]:
        """The archive's pages, rendering only those whose inputs changed since the last
        build (the others are the files it left in the build folder, unchanged)."""
        wanted = self.config.site.search and bool(items)  # nothing to search in an empty show
        exe = site.search.executable() if wanted else None
        if wanted and exe is None:
            log.warning(
                "archive: no search box (pagefind is not installed: %s)", site.search.INSTALL_HINT
            )
        assets = site.SiteAssets(feed_key=FEED_KEY, image_key=image_key, search=exe is not None)
        compiled = self.config.root / STATE_DIR / "templates"  # Jinja2's bytecode cache
        rendered = Memo(self.config.root / STATE_DIR / "index.json", code_digest())
        entries = Recall(rendered.load())
        pages = site.site_pages(self.catalog, items, assets, compiled, entries)
        before, after, arts = self.pages.load(), {}, []
        for page in sorted(pages, key=lambda p: p.key):
            stage = STAGE_ASSET if page.key.startswith("assets/") else STAGE_PAGE
            entry = before.get(page.key)
            art = self.unchanged_artifact(page.key, entry, page.inputs, stage)
            if art is None:
                art = self.bytes_artifact(page.key, page.render(), stage)
                st = os.stat(art.path)  # type: ignore[arg-type]
                entry = [page.inputs, art.sha256, st.st_size, st.st_mtime_ns]
            after[page.key] = entry
            arts.append(art)
        self.pages.save(after)
        if entries.after:  # the index was rendered
            rendered.save(entries.after)
        return arts + (self.search_artifacts(arts, exe) if exe else [])

    def search_artifacts(self, pages: list[Artifact], exe: Path) -> list[Artifact]:
        """Pagefind's index of the session pages (``pagefind/``), rebuilt only when one of
        them changed since the last build."""
        sessions = {a.key: a.sha256 for a in pages if a.key.startswith("episodes/")}
        language = self.config.podcast.language
        inputs = site.search.inputs_digest(sessions, language)
        memo = Memo(self.config.root / STATE_DIR / "search.json", code_digest())
        before = memo.load()
        files = before.get("files") if before.get("inputs") == inputs else None
        arts = [
            self.unchanged_artifact(k, e, inputs, STAGE_ASSET) for k, e in (files or {}).items()
        ]
        if not files or None in arts:
            log.debug("indexing %d session pages for the archive search", len(sessions))
            out = self.build_dir / site.search.FOLDER
            paths = {key: self.build_dir / key for key in sessions}
            keys = site.search.build_index(paths, out, language, exe)
            arts = [self.file_artifact(self.build_dir / k, None, STAGE_ASSET) for k in keys]
            files = {}
            for art in arts:
                st = os.stat(art.path)  # type: ignore[arg-type]
                files[art.key] = [inputs, art.sha256, st.st_size, st.st_mtime_ns]
        memo.save({"inputs": inputs, "files": files})
        return [a for a in arts if a is not None]

    def unchanged_artifact(
        self, key: str, entry: object, inputs: str, stage: int
    ) -> Artifact | None:
        """The file a previous build rendered for the same inputs, if it is still there
        as that build left it (size and mtime)."""
        if not (isinstance(entry, list) and len(entry) == 4 and entry[0] == inputs):
            return None
        try:
            st = os.stat(f"{self.build_dir}/{key}")
        except OSError:
            return None
        if [st.st_size, st.st_mtime_ns] != entry[2:]:
            return None
        return Artifact(
            key=key,
            size=st.st_size,
            sha256=str(entry[1]),
            content_type=content_type_for(key),
            cache_control=cache_control_for(key),
            stage=stage,
            path=self.build_dir / key,
        )
