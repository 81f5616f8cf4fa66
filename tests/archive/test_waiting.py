"""A session still waiting for its recording is listed on the index as "Recording to
follow", in programme order, without a page or a player; in Chromium, axe-clean."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from audiofeed.storage.serve import make_server
from tests.support.clients import chromium, run_axe

from .conftest import RECORDINGS, Show, publish

WAITING = """\
+++
title = "Closing panel: what we learned"
start = 2026-03-03T16:00:00+00:00
day = "Day 2"
track = "Main hall"

[chair]
name = "Dr Ada Example"
+++
The closing panel, recorded this afternoon.
"""


@pytest.fixture(scope="module")
def waiting_show(show_template, tmp_path_factory) -> Show:  # type: ignore[no-untyped-def]
    import shutil

    root = tmp_path_factory.mktemp("archive-waiting") / "show"
    shutil.copytree(show_template, root)
    (root / "episodes" / "99-closing.md").write_text(WAITING, encoding="utf-8")
    show = Show(root=root, config=root / "config.toml", public=root / "public")
    publish(show)
    return show


@pytest.fixture(scope="module")
def base(waiting_show: Show) -> Iterator[str]:
    server = make_server(waiting_show.public, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def test_waiting_session_is_listed_to_follow(browser: Browser, base: str, waiting_show: Show):
    assert not (waiting_show.public / "episodes" / "closing-panel-what-we-learned.html").exists()
    feed = (waiting_show.public / "feed.xml").read_text()
    assert "Closing panel" not in feed
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(base)
        pending = page.locator("li.session.pending")
        assert pending.count() == 1
        assert pending.locator(".session-title").inner_text() == "Closing panel: what we learned"
        assert pending.locator("a, audio, [data-listen]").count() == 0  # nothing to open or play
        assert pending.locator(".to-follow").inner_text() == "Recording to follow"
        assert "Chair: Dr Ada Example" in pending.inner_text()
        # in programme order: the last entry of Day 2
        last = page.locator(".day").last.locator("li.session").last
        assert "pending" in (last.get_attribute("class") or "")
        assert page.locator("main .session-title a").count() == len(RECORDINGS)
        options: dict = {"resultTypes": ["violations"]}
        if scheme == "dark":
            options["runOnly"] = ["color-contrast"]
        serious = [
            (v["id"], [n["html"] for n in v["nodes"][:3]])
            for v in run_axe(page, options=options)
            if v["impact"] in ("serious", "critical")
        ]
        context.close()
        assert serious == [], serious
