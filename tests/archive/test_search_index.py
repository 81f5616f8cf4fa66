"""The search index in the build (no browser): what is published, when it is rebuilt, and
the archive without it (``[site] search = false``, or no pagefind binary)."""

from __future__ import annotations

import logging

import pytest

from audiofeed.site import search

from .conftest import RECORDINGS, Show, publish


def published(show: Show, folder: str = "pagefind") -> set[str]:
    base = show.public / folder
    return {p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()}


def test_every_session_page_is_indexed_and_only_those(published_show: Show) -> None:
    files = published(published_show)
    assert len([f for f in files if f.startswith("fragment/")]) == len(RECORDINGS)
    index = published_show.page("index.html")
    assert 'data-search="pagefind/pagefind.js"' in index and "data-pagefind-body" not in index
    page = published_show.page("episodes/opening-plenary.html")
    assert '<article class="episode" data-pagefind-body>' in page
    assert 'id="cue-2-t2.0"' in page  # a transcript passage's anchor carries its time


def test_the_index_is_rebuilt_only_when_a_session_page_changes(fresh_show: Show) -> None:
    publish(fresh_show)
    js = fresh_show.root / ".audiofeed" / "build" / "pagefind" / "pagefind.js"
    before = js.stat().st_ino, sorted(published(fresh_show))
    config = fresh_show.config.read_text(encoding="utf-8")
    fresh_show.config.write_text(config.replace("recorded.", "recorded in 2026."), encoding="utf-8")
    publish(fresh_show)  # the index page changed, no session page did
    assert (js.stat().st_ino, sorted(published(fresh_show))) == before
    episode = fresh_show.root / "episodes" / "02-roundtable.md"
    episode.write_text(episode.read_text(encoding="utf-8") + "\nOn open data.\n", encoding="utf-8")
    publish(fresh_show)
    assert js.stat().st_ino != before[0]
    assert sorted(published(fresh_show)) != before[1]  # a new fragment for that page


def test_search_can_be_switched_off(fresh_show: Show) -> None:
    with fresh_show.config.open("a", encoding="utf-8") as f:
        f.write("\n[site]\nsearch = false\n")
    publish(fresh_show)
    assert not (fresh_show.public / "pagefind").exists()
    assert "data-search" not in fresh_show.page("index.html")


def test_without_pagefind_the_archive_is_built_without_search_and_says_so_once(
    fresh_show: Show, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "executable", lambda: None)
    said: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
    log = logging.getLogger("audiofeed")  # the CLI may have stopped it propagating
    log.addHandler(handler)
    try:
        publish(fresh_show)
    finally:
        log.removeHandler(handler)
    assert [m for m in said if "search" in m] == [
        "archive: no search box (pagefind is not installed: pip install 'pagefind[bin]')"
    ]
    assert not (fresh_show.public / "pagefind").exists()
    assert "data-search" not in fresh_show.page("index.html")
    assert fresh_show.page("index.html").count("data-listen") == len(RECORDINGS)
