"""The archive in a real browser: Debian's Chromium driven by Playwright, axe-core for
accessibility. Pages are served by `audiofeed serve`'s server on a free port, which is not
the configured base_url's port: everything a page loads must be a relative link."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from audiofeed.storage.serve import make_server
from tests.support.clients import chromium, run_axe

from .conftest import CHAPTERS, EVIL_SPEAKER, EVIL_TITLE, RECORDINGS, Show


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium under Playwright (tests/support/clients.py)."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def base(published_show: Show) -> Iterator[str]:
    """The published folder, served over HTTP the way `audiofeed serve` does."""
    server = make_server(published_show.public, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


class Watched:
    """A page with every console error, page error and dialog recorded."""

    def __init__(self, page: Page):
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("dialog", self._dialog)

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type in ("error", "warning"):
            self.errors.append(f"console {msg.type}: {msg.text}")

    def _dialog(self, dialog) -> None:  # type: ignore[no-untyped-def]
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def tab(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context()
    page = context.new_page()
    yield Watched(page)
    context.close()


DURATION_JS = """async () => {
    const a = document.querySelector('audio');
    if (a.readyState < 1) {
        await new Promise((resolve, reject) => {
            a.addEventListener('loadedmetadata', resolve);
            a.addEventListener('error', () => reject(new Error('media error ' + a.error?.code)));
            const s = a.querySelector('source');
            s && s.addEventListener('error', () => reject(new Error('source error')));
        });
    }
    return a.duration;
}"""


def test_index_lists_every_episode(tab: Watched, base: str, tmp_path: Path) -> None:
    page = tab.page
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(base)  # `/` serves index.html, as `audiofeed serve` does
    links = page.locator("main .session-title a")
    assert links.count() == len(RECORDINGS)
    hrefs = links.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert sorted(hrefs) == sorted(f"episodes/{slug}.html" for slug in RECORDINGS)
    titles = links.all_inner_texts()
    assert EVIL_TITLE in titles  # escaped, shown literally
    assert page.locator(".day > h2").all_inner_texts() == [
        "Day 1\nMonday 2 March 2026",
        "Day 2\nTuesday 3 March 2026",
    ]
    assert page.locator("link[rel=alternate][type='application/rss+xml']").count() == 1
    # the stylesheet was loaded from a relative URL
    assert page.evaluate("getComputedStyle(document.querySelector('.masthead')).display") == "flex"
    page.screenshot(path=tmp_path / "index.png", full_page=True)
    assert (tmp_path / "index.png").stat().st_size > 10_000
    assert tab.errors == [] and tab.dialogs == []


@pytest.mark.parametrize("slug", list(RECORDINGS))
def test_episode_page_plays_with_the_real_duration(tab: Watched, base: str, slug: str) -> None:
    page = tab.page
    response = page.goto(f"{base}episodes/{slug}.html")
    assert response is not None and response.ok
    duration = page.evaluate(DURATION_JS)
    _, real = RECORDINGS[slug]
    assert abs(duration - real) <= 0.5, (slug, duration, real)
    page.wait_for_load_state("networkidle")
    assert tab.errors == [] and tab.dialogs == []


def test_clicking_a_chapter_seeks_the_player(tab: Watched, base: str, tmp_path: Path) -> None:
    page = tab.page
    page.set_viewport_size({"width": 1000, "height": 900})
    page.goto(f"{base}episodes/opening-plenary.html")
    page.evaluate(DURATION_JS)
    chapters = page.locator(".chapters a.seek")
    assert chapters.count() == len(CHAPTERS)
    for i, (start, title) in reversed(list(enumerate(CHAPTERS))):
        assert title in chapters.nth(i).inner_text()
        chapters.nth(i).click()
        now = page.evaluate("document.querySelector('audio').currentTime")
        assert start - 0.05 <= now < start + 1.0, (title, now)
        assert page.url.endswith("/episodes/opening-plenary.html")  # stayed on the page
    # a transcript timestamp seeks too
    page.locator(".transcript a.seek").nth(1).click()
    now = page.evaluate("document.querySelector('audio').currentTime")
    assert 2.0 - 0.05 <= now < 3.0
    page.evaluate("document.querySelector('audio').pause()")
    page.screenshot(path=tmp_path / "episode.png", full_page=True)
    assert (tmp_path / "episode.png").stat().st_size > 10_000
    assert tab.errors == [] and tab.dialogs == []


def test_time_fragment_starts_the_player_there(tab: Watched, base: str) -> None:
    page = tab.page
    page.goto(f"{base}episodes/opening-plenary.html#t=4.5")
    page.evaluate(DURATION_JS)
    assert page.evaluate("document.querySelector('audio').currentTime") == pytest.approx(4.5)


def test_malicious_description_does_not_run(tab: Watched, base: str) -> None:
    page = tab.page
    page.goto(f"{base}episodes/tricky-session.html")
    page.wait_for_load_state("networkidle")
    for link in page.locator("main a").all():  # click every link that stays on the page
        if (link.get_attribute("href") or "").startswith(("javascript", "#")) or not (
            link.get_attribute("href")
        ):
            link.click()
    page.wait_for_timeout(200)
    assert tab.dialogs == []
    assert page.evaluate("window.__pwned === undefined")
    scripts = page.evaluate("[...document.scripts].map(s => s.getAttribute('src'))")
    assert scripts == ["../assets/site.js"]
    assert (
        page.locator("main img, main iframe, main svg, main [onclick], main [style]").count() == 0
    )
    assert page.locator("[href^='javascript' i], [src^='javascript' i]").count() == 0
    assert page.locator("h1").inner_text() == EVIL_TITLE
    assert page.locator("h1 b").count() == 0
    assert EVIL_SPEAKER in page.locator(".facts").inner_text()
    assert page.title().startswith(EVIL_TITLE)
    assert tab.errors == []


def test_copy_button_copies_the_feed_url(browser: Browser, base: str) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(base)
    page.get_by_role("button", name="Copy").click()
    page.wait_for_function("document.querySelector('.copy-status').textContent !== ''")
    assert page.locator(".copy-status").inner_text() == "Feed URL copied."
    assert page.evaluate("navigator.clipboard.readText()") == "http://127.0.0.1:8000/feed.xml"
    context.close()


def test_pages_work_without_javascript(browser: Browser, base: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base}episodes/opening-plenary.html")
    assert page.locator("audio[controls]").count() == 1
    assert page.get_by_role("button", name="Copy").count() == 0  # hidden: nothing to click
    assert page.locator("#feed-url").input_value() == "http://127.0.0.1:8000/feed.xml"
    href = page.locator(".chapters a.seek").nth(1).get_attribute("href")
    assert href and href.endswith("#t=2.0") and href.startswith("../audio/opening-plenary-")
    page.get_by_role("link", name="All sessions").click()
    assert page.url == f"{base}index.html"
    assert page.locator("main .session-title a").count() == len(RECORDINGS)
    context.close()


def test_archive_works_from_a_folder_and_under_a_prefix(
    browser: Browser, published_show: Show
) -> None:
    """file:// (a copied folder) and a server whose root is a parent (a bucket prefix)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto((published_show.public / "index.html").as_uri())
    page.locator("main .session-title a").first.click()
    assert page.url.endswith("/public/episodes/opening-plenary.html")
    assert page.evaluate("getComputedStyle(document.querySelector('.masthead')).display") == "flex"
    server = make_server(published_show.root, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page.goto(f"http://127.0.0.1:{server.server_port}/public/episodes/data-roundtable.html")
        assert page.evaluate(DURATION_JS) == pytest.approx(
            RECORDINGS["data-roundtable"][1], abs=0.5
        )
        page.get_by_role("link", name="All sessions").click()
        assert page.url.endswith("/public/index.html")
    finally:
        server.shutdown()
        server.server_close()
        context.close()


PAGE_KEYS = ["index.html", *(f"episodes/{s}.html" for s in RECORDINGS)]


@pytest.mark.parametrize(
    ("key", "scheme"),
    [(key, "light") for key in PAGE_KEYS]
    + [("index.html", "dark"), ("episodes/opening-plenary.html", "dark")],
)
def test_no_serious_accessibility_violations(
    browser: Browser, base: str, key: str, scheme: str
) -> None:
    """axe-core: every rule in light mode; the colours again in dark mode."""
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(base + key)
    options: dict = {"resultTypes": ["violations"]}
    if scheme == "dark":
        options["runOnly"] = ["color-contrast"]
    violations = run_axe(page, options=options)
    context.close()
    serious = [
        (v["id"], v["impact"], v["help"], [n["html"] for n in v["nodes"][:3]])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], serious
