"""Recognised transcripts in the archive, in Debian's Chromium: after 'audiofeed transcribe'
and 'publish', the index's search finds a session by its speaker and by words of its
recording, and the hit opens the page with the player at that moment."""

from __future__ import annotations

import threading

from audiofeed.storage.serve import make_server
from tests.archive.test_search import search
from tests.support.cli import run
from tests.support.clients import chromium

from .conftest import Show, read_cues


def test_search_finds_what_was_said_and_seeks_there(transcribed: Show) -> None:
    run("publish", cwd=transcribed.root, check=True)
    cues = read_cues(transcribed.transcript("power-for-all").read_text(encoding="utf-8"))
    start = next(c[0] for c in cues if "work on social innovation" in c[2])
    server = make_server(transcribed.root / "public", port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    try:
        _search_and_seek(base, start)
    finally:
        server.shutdown()
        server.server_close()


def _search_and_seek(base: str, start: float) -> None:
    with chromium() as browser:
        page = browser.new_page()
        page.goto(base)
        assert [r["href"] for r in search(page, "Battilana")] == ["episodes/power-for-all.html"]
        [hit] = search(page, "I work on social innovation")  # words of the recording
        assert hit["moment"] == f"episodes/power-for-all.html#t={start:g}"
        page.locator("a.moment").click()
        page.wait_for_function("document.querySelector('audio').readyState >= 1")
        now = page.evaluate("document.querySelector('audio').currentTime")
        assert abs(now - start) < 0.01
