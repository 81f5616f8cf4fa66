"""Searching the archive and listening from the index, in Debian's Chromium: Pagefind's
static index (pagefind/) finds sessions by speaker and by what was said, a hit in a
transcript opens the session at that moment, and the index's players load nothing until
asked. axe-core finds nothing serious with results and a player on screen."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from audiofeed.storage.serve import make_server
from tests.support.clients import chromium, run_axe

from .conftest import EVIL_TITLE, RECORDINGS, Show


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def base(published_show: Show) -> Iterator[str]:
    server = make_server(published_show.public, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.errors.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    yield page
    context.close()


def search(page: Page, query: str) -> list[dict]:
    """Type ``query`` into the index's search box; each result's title, links and text."""
    page.locator(".search:not([hidden])").wait_for()
    page.get_by_label("Titles, speakers, affiliations, descriptions and what was said").fill(query)
    page.wait_for_function(
        "q => document.querySelector('#search-input').value === q && "
        "document.querySelector('.search-status').textContent !== ''",
        arg=query,
    )
    page.wait_for_timeout(200)  # a slower earlier query must not overwrite this one
    return page.eval_on_selector_all(
        ".search-results li",
        """els => els.map(e => ({
            title: e.querySelector('.result-title').textContent,
            href: e.querySelector('.result-title').getAttribute('href'),
            moment: e.querySelector('a.moment')?.getAttribute('href') || null,
            text: e.innerText}))""",
    )


def test_the_search_index_is_published(published_show: Show) -> None:
    files = {
        p.relative_to(published_show.public).as_posix() for p in published_show.public.rglob("*")
    }
    assert {"pagefind/pagefind.js", "pagefind/pagefind-entry.json"} <= files
    assert any(f.startswith("pagefind/fragment/") for f in files)
    assert not any("pagefind-ui" in f for f in files)  # the archive has its own small UI


def test_a_speakers_name_finds_the_session(page: Page, base: str) -> None:
    page.goto(base)
    results = search(page, "Ben Sample")
    assert [r["href"] for r in results] == ["episodes/opening-plenary.html"]
    assert results[0]["title"] == "Opening plenary: outcomes for everyone"
    results = search(page, "Chidi Okafor")  # an en-gb session is in the same index
    assert [r["href"] for r in results] == ["episodes/data-roundtable.html"]
    assert search(page, "zebra crossing") == []
    assert page.locator(".search-status").inner_text() == "No session found."
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_phrase_from_a_transcript_opens_the_page_at_that_moment(page: Page, base: str) -> None:
    page.goto(base)
    [hit] = search(page, "because people do")
    assert hit["href"] == "episodes/opening-plenary.html"
    assert hit["moment"] == "episodes/opening-plenary.html#t=2"
    assert "Listen from 0:02" in hit["text"] and "Outcomes matter because people do." in hit["text"]
    page.locator("a.moment").click()
    page.wait_for_url("**/episodes/opening-plenary.html#t=2")
    page.wait_for_function("document.querySelector('audio').readyState >= 1")
    assert page.evaluate("document.querySelector('audio').currentTime") == pytest.approx(2.0)
    current = page.locator(".transcript .cue.current")
    assert current.count() == 1 and "because people do" in current.inner_text()
    assert page.errors == []  # type: ignore[attr-defined]


def test_search_results_show_markup_as_text(page: Page, base: str) -> None:
    page.goto(base)
    results = search(page, "Tricks with bold")
    assert [r["title"] for r in results] == [EVIL_TITLE]
    assert (
        page.locator(".search-results b, .search-results script, .search-results img").count() == 0
    )
    assert page.evaluate("window.__pwned === undefined")
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_index_plays_a_session_without_loading_every_file(page: Page, base: str) -> None:
    audio_requests: list[str] = []
    page.on("request", lambda r: audio_requests.append(r.url) if "/audio/" in r.url else None)
    page.goto(base)
    page.wait_for_load_state("networkidle")
    assert page.locator("main audio").count() == 0 and audio_requests == []
    link = page.get_by_role("link", name="Listen to the recording of Roundtable: sharing data")
    link.click()
    page.wait_for_function(
        "() => { const a = document.querySelector('.session audio'); "
        "return a && !a.paused && a.currentTime > 0.2; }"
    )
    assert page.locator("main audio").count() == 1
    assert {url.rsplit("/", 1)[-1].split("-")[0] for url in audio_requests} == {"data"}
    duration = page.evaluate("document.querySelector('.session audio').duration")
    assert duration == pytest.approx(RECORDINGS["data-roundtable"][1], abs=0.5)
    link.click()  # the same link pauses it
    assert page.evaluate("document.querySelector('.session audio').paused")
    # another session's player pauses the first
    page.get_by_role("link", name="Listen to the recording of Opening plenary").click()
    page.wait_for_function("document.querySelectorAll('.session audio').length === 2")
    page.wait_for_function("[...document.querySelectorAll('.session audio')].some(a => !a.paused)")
    playing = page.eval_on_selector_all(".session audio", "els => els.map(a => !a.paused)")
    assert playing.count(True) == 1
    assert page.errors == []  # type: ignore[attr-defined]


def test_without_javascript_the_listen_link_is_the_recording(browser: Browser, base: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base)
    assert page.locator(".search").is_hidden()
    hrefs = page.locator("a[data-listen]").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    assert len(hrefs) == len(RECORDINGS) and all(h.startswith("audio/") for h in hrefs)
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations_with_results_and_a_player(
    browser: Browser, base: str, scheme: str
) -> None:
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(base)
    search(page, "outcomes")
    page.get_by_role("link", name="Listen to the recording of Opening plenary").click()
    page.wait_for_function("document.querySelector('.session audio') !== null")
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
