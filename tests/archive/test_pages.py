"""The archive pages as built by `audiofeed publish` (no browser): content, escaping,
relative links, metadata, ordering, config and template overrides."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from click.testing import CliRunner

from audiofeed import site
from audiofeed.cli import cli
from audiofeed.errors import AudiofeedError
from audiofeed.feed import FeedItem
from audiofeed.publish.pipeline import publish as run_publish
from audiofeed.show import config as config_mod
from audiofeed.show.catalog import load as load_catalog
from audiofeed.shownotes import render
from audiofeed.storage.plan import STAGE_ASSET, STAGE_FEED, STAGE_PAGE

from .conftest import EVIL_SPEAKER, EVIL_TITLE, RECORDINGS, VTT, Show, publish

PAGES = ["index.html", *(f"episodes/{slug}.html" for slug in RECORDINGS)]


class Page(HTMLParser):
    """Every start tag with its attributes, and the visible text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for t, attrs in self.tags if t == tag]

    def meta(self, key: str) -> str | None:
        for attrs in self.all("meta"):
            if key in (attrs.get("property"), attrs.get("name")):
                return attrs.get("content")
        return None


def test_publish_writes_the_archive_next_to_the_feed(published_show: Show) -> None:
    public = published_show.public
    for key in [*PAGES, "assets/style.css", "assets/site.js", "feed.xml"]:
        assert (public / key).is_file(), key
    index = Page(published_show.page("index.html"))
    linked = {a["href"] for a in index.all("a")}
    assert {f"episodes/{slug}.html" for slug in RECORDINGS} <= linked


def test_pages_go_out_after_assets_and_before_the_feed(fresh_show: Show) -> None:
    report = run_publish(fresh_show.config)
    stages = {a.key: a.artifact.stage for a in report.plan.uploads if a.artifact}
    order = [a.key for a in report.plan.uploads]
    assert stages["assets/style.css"] == STAGE_ASSET
    assert stages["index.html"] == STAGE_PAGE
    assert stages["episodes/opening-plenary.html"] == STAGE_PAGE
    assert stages["feed.xml"] == STAGE_FEED
    assert order.index("assets/site.js") < order.index("index.html") < order.index("feed.xml")
    assert max(order.index(k) for k in PAGES) < order.index("feed.xml")
    # same show, same bytes: nothing to upload the second time
    again = run_publish(fresh_show.config)
    assert not again.plan.changes, again.plan.lines()


def test_feed_items_link_to_their_episode_pages(published_show: Show) -> None:
    parsed = feedparser.parse((published_show.public / "feed.xml").read_bytes())
    links = {e.id: e.link for e in parsed.entries}
    assert links["11111111-1111-4111-8111-111111111111"] == (
        "http://127.0.0.1:8000/episodes/opening-plenary.html"
    )
    assert len(links) == len(RECORDINGS)
    for link in links.values():
        key = link.removeprefix("http://127.0.0.1:8000/")
        assert (published_show.public / key).is_file()


def test_episode_page_shows_the_session(published_show: Show) -> None:
    html = published_show.page("episodes/opening-plenary.html")
    page = Page(html)
    text = " ".join(" ".join(page.text).split())
    assert '<h1 data-pagefind-meta="title">Opening plenary: outcomes for everyone</h1>' in html
    assert "Monday 2 March 2026, 09:00" in text and "(UTC+00:00)" in text
    assert "Dr Ada Example, Director (Test Lab)" in text
    assert "Prof Ben Sample (University of Somewhere)" in text
    assert "Lecture Theatre 1" in text
    assert "The conference opens: why outcomes matter, and for whom." in text
    (audio,) = page.all("audio")
    assert audio["preload"] == "metadata" and "controls" in audio
    (source,) = page.all("source")
    assert source["src"].startswith("../audio/opening-plenary-") and source["type"] == "audio/mpeg"
    seeks = [a for a in page.all("a") if "data-seek" in a]
    chapter_seeks = [float(a["data-seek"]) for a in seeks][:3]
    assert chapter_seeks == [0.0, 2.0, 4.5]
    assert all(a["href"].startswith(source["src"] + "#t=") for a in seeks)
    assert "Why outcomes matter" in text
    # transcript, with speakers and seekable timestamps
    assert "Transcript" in text and "Prof Ben Sample: Outcomes matter because people do." in text
    (transcript_link,) = [
        a for a in page.all("a") if a.get("href", "").startswith("../transcripts/")
    ]
    assert "download" in transcript_link
    assert (published_show.public / transcript_link["href"].removeprefix("../")).read_text() == VTT
    # download link with format, size and duration
    size = (published_show.public / source["src"].removeprefix("../")).stat().st_size
    download = next(a for a in page.all("a") if "download" in a)
    assert download["href"] == source["src"]
    assert f"(MP3, {site.formatting.size(size)}, 0:06)" in text
    # subscribe block
    assert page.all("input")[0]["value"] == "http://127.0.0.1:8000/feed.xml"
    hrefs = {a["href"] for a in page.all("a")}
    assert {"podcast://127.0.0.1:8000/feed.xml", "pcast://127.0.0.1:8000/feed.xml"} <= hrefs
    assert '<html lang="en">' in html  # the show's language


def test_episode_language_and_licence(published_show: Show) -> None:
    html = published_show.page("episodes/data-roundtable.html")
    assert '<html lang="en-gb">' in html
    assert "<dt>Licence</dt><dd>CC BY 4.0</dd>" in html
    assert '<html lang="en">' in published_show.page("index.html")


@pytest.mark.parametrize("key", PAGES)
def test_every_page_has_feed_discovery_and_social_cards(published_show: Show, key: str) -> None:
    page = Page(published_show.page(key))
    alternate = [
        link
        for link in page.all("link")
        if link.get("rel") == "alternate" and link.get("type") == "application/rss+xml"
    ]
    assert len(alternate) == 1
    base = "http://127.0.0.1:8000/" + key
    assert urljoin(base, alternate[0]["href"]) == "http://127.0.0.1:8000/feed.xml"
    for prop in ("og:title", "og:description", "og:url", "og:image", "og:type", "og:site_name"):
        assert page.meta(prop), prop
    for name in ("twitter:card", "twitter:title", "twitter:description", "twitter:image"):
        assert page.meta(name), name
    assert page.meta("og:url") == base
    assert page.meta("og:image").startswith("http://127.0.0.1:8000/images/cover-")
    if key.startswith("episodes/"):
        assert page.meta("og:audio").startswith("http://127.0.0.1:8000/audio/")


@pytest.mark.parametrize("key", PAGES)
def test_links_are_relative_and_resolve_inside_the_archive(published_show: Show, key: str) -> None:
    """No CDN, no absolute asset URLs: the archive works from a folder, serve, a bucket."""
    page = Page(published_show.page(key))
    local = []
    for tag, attrs in page.tags:
        for attr in ("href", "src"):
            url = attrs.get(attr)
            if url is None or url.startswith("#"):
                continue
            parts = urlsplit(url)
            if parts.scheme:
                # absolute URLs are only links to go to (never loaded as part of the page)
                assert tag == "a" or (tag == "link" and attrs.get("rel") == "canonical"), (
                    tag,
                    url,
                )
                assert parts.scheme in ("http", "https", "podcast", "pcast", "mailto"), url
                continue
            local.append(parts.path)
    assert local
    folder = (published_show.public / key).parent
    for path in local:
        assert (folder / path).resolve().is_file(), f"{key}: {path} does not resolve"


@pytest.mark.parametrize("key", ["index.html", "episodes/tricky-session.html"])
def test_titles_names_and_descriptions_cannot_inject_markup(published_show: Show, key: str) -> None:
    html = published_show.page(key)
    page = Page(html)
    scripts = page.all("script")
    assert [s.get("src") for s in scripts] == [
        "assets/site.js" if key == "index.html" else "../assets/site.js"
    ]
    for tag, attrs in page.tags:
        assert tag not in ("iframe", "svg", "object", "embed", "b", "i"), tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
        for value in attrs.values():
            assert not value.strip().lower().startswith(("javascript:", "data:")), (tag, attrs)
    assert [a["src"].rsplit("/", 1)[0] for a in page.all("img")] in (
        [".", "images"],
        ["images", "images"],
        ["../images"],
    )
    text = "".join(page.text)
    assert EVIL_TITLE in text  # shown as text, literally
    assert EVIL_SPEAKER in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def _items(show: Show) -> tuple:
    config = config_mod.load(show.config)
    catalog = load_catalog(config)
    items = [
        FeedItem(
            episode=e,
            notes=render(e),
            media_url=config.url(f"audio/{e.slug}.mp3"),
            media_length=1_234_567,
            media_type="audio/mpeg",
            duration=3723.4,
        )
        for e in catalog.episodes
    ]
    return catalog, items


def _day_order(pages: dict[str, bytes]) -> list[str]:
    """Slugs in the order the index lists them."""
    html = pages["index.html"].decode()
    return sorted(RECORDINGS, key=lambda slug: html.index(f"episodes/{slug}.html"))


def test_index_order_is_configurable(fresh_show: Show) -> None:
    catalog, items = _items(fresh_show)
    assets = site.SiteAssets(feed_key="feed.xml", image_key="images/cover.jpg")
    pages = site.build_site(catalog, items, assets)
    assert _day_order(pages) == ["opening-plenary", "data-roundtable", "tricky-session"]
    html = pages["index.html"].decode()
    assert html.index("Day 1") < html.index("Day 2")
    assert "<h3>Main hall</h3>" in html and "<h3>Room B</h3>" in html
    assert "1:02:03" in html  # durations
    newest = dataclasses.replace(
        catalog.config, site=dataclasses.replace(catalog.config.site, order="newest")
    )
    pages = site.build_site(dataclasses.replace(catalog, config=newest), items, assets)
    assert _day_order(pages) == ["tricky-session", "data-roundtable", "opening-plenary"]
    assert site.build_site(catalog, items, assets) == site.build_site(catalog, items, assets)


def test_site_order_from_config(fresh_show: Show) -> None:
    text = fresh_show.config.read_text() + '\n[site]\norder = "newest"\n'
    fresh_show.config.write_text(text)
    assert config_mod.load(fresh_show.config).site.order == "newest"
    publish(fresh_show)
    html = fresh_show.page("index.html")
    assert html.index("tricky-session.html") < html.index("opening-plenary.html")


@pytest.mark.parametrize(
    ("table", "line"),
    [
        ('[site]\norder = "random"\n', "site.order: 'random' must be one of programme, newest"),
        ("[site]\ncolour = 1\n", "site.colour: unknown key (allowed: order, search)"),
        ('site = "x"\n', "site: must be a table: [site]"),
    ],
)
def test_bad_site_config_is_one_error_line(
    fresh_show: Show, table: str, line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(fresh_show.root)
    text = fresh_show.config.read_text()
    if table.startswith("site ="):
        text = table + text
    else:
        text += "\n" + table
    fresh_show.config.write_text(text)
    result = CliRunner().invoke(cli, ["publish"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"error: config.toml: {line}"]
    assert not fresh_show.public.exists()


def test_templates_and_assets_can_be_overridden_from_the_show(fresh_show: Show) -> None:
    templates = fresh_show.root / "templates"
    templates.mkdir()
    (templates / "style.css").write_text("body { background: papayawhip; }\n")
    (templates / "episode.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1 class="custom">{{ session.title }}</h1>'
        "{% endblock %}\n"
    )
    publish(fresh_show)
    assert fresh_show.page("assets/style.css") == "body { background: papayawhip; }\n"
    tricky = fresh_show.page("episodes/tricky-session.html")
    assert '<h1 class="custom">Tricks with &lt;b&gt;bold&lt;/b&gt;' in tricky  # still escaped
    assert 'rel="alternate" type="application/rss+xml"' in tricky  # base.html kept
    assert "Subscribe" in fresh_show.page("index.html")  # index.html not overridden


@pytest.mark.parametrize(
    ("source", "field", "message"),
    [
        (
            "{% extends 'base.html' %}{% block main %}\n{{ session.title \n{% endblock %}",
            "line 3",
            "template syntax error: expected token 'end of print statement', got '{'",
        ),
        (
            "{% extends 'base.html' %}{% block main %}\n\n{{ session.titel }}{% endblock %}",
            "line 3",
            "UndefinedError: 'audiofeed.site.SessionView object' has no attribute 'titel'; "
            "see docs/archive.md for what each page gets",
        ),
    ],
)
def test_broken_override_template_is_one_error_line(
    fresh_show: Show, source: str, field: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(fresh_show.root)
    (fresh_show.root / "templates").mkdir()
    (fresh_show.root / "templates" / "episode.html").write_text(source)
    result = CliRunner().invoke(cli, ["publish"])
    assert result.exit_code == 1, result.output
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert line == f"error: templates/episode.html: {field}: {message}", line
    assert "Traceback" not in result.output
    assert not (fresh_show.public / "feed.xml").exists()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("t.srt", "1\n00:00:01,500 --> 00:00:03,000\nHello there.\n\n2\n00:01:02,000 --> "
         "00:01:03,000\nSecond line.\n", [(1.5, None, "Hello there."), (62.0, None,
         "Second line.")]),
        ("t.json", '{"version": "1.0.0", "segments": [{"speaker": "Ada", "startTime": 0.5, '
         '"body": "Hi"}, {"speaker": "Ada", "startTime": 1, "body": "all."}, '
         '{"speaker": "Ben", "startTime": 2, "body": "Yes."}]}',
         [(0.5, "Ada", "Hi all."), (2.0, "Ben", "Yes.")]),
        ("t.txt", "Ada: Hello <there>.\n\nJust text.\n", [(None, "Ada", "Hello <there>."),
         (None, None, "Just text.")]),
        ("t.html", "<p>One <script>alert(1)</script>para.</p><p>Two &amp; three</p>",
         [(None, None, "One para."), (None, None, "Two & three")]),
    ],
)  # fmt: skip
def test_transcript_formats(tmp_path: Path, name: str, content: str, expected: list) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    episode = _episode_with_transcript(tmp_path, path)
    cues = site.transcript.load(episode)
    assert [(c.start, c.speaker, c.text) for c in cues] == expected


def _episode_with_transcript(tmp_path: Path, path: Path):  # type: ignore[no-untyped-def]
    import datetime as dt

    from audiofeed.show.catalog import Episode

    return Episode(
        path=tmp_path / "episodes" / "x.md",
        title="X",
        start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        slug="x",
        guid="g",
        audio=None,
        body="",
        transcript=path,
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("t.docx", "x", "t.docx: transcript format .docx is not supported; use one of "),
        ("t.vtt", "00:00:01.000 --> 00:00:02.000\nhi\n", "t.vtt: a WebVTT file must start"),
        ("t.json", "{", "t.json: invalid JSON (line 1)"),
        ("t.txt", "\n\n", "t.txt: no transcript text found"),
    ],
)
def test_bad_transcripts_name_the_episode_and_file(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    episode = _episode_with_transcript(tmp_path, path)
    with pytest.raises(AudiofeedError) as exc:
        site.transcript.load(episode)
    assert exc.value.field == "transcript" and exc.value.path == episode.path
    assert exc.value.message.startswith(message), exc.value.message


def test_templates_ship_as_package_data() -> None:
    folder = Path(site.__file__).parent / "templates"
    names = {p.name for p in folder.iterdir()}
    assert {"base.html", "index.html", "episode.html", "style.css", "site.js"} <= names
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert '"audiofeed.site" = ["templates/*"]' in pyproject


def test_published_folder_has_no_stray_files(published_show: Show, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(published_show.public, copy)
    digest = {
        p.relative_to(copy).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in copy.rglob("*")
        if p.is_file()
    }
    assert not [k for k in digest if k.endswith((".tmp", "~"))]


def test_sessions_without_day_or_track_are_grouped_by_date(fresh_show: Show) -> None:
    catalog, items = _items(fresh_show)
    plain = [
        dataclasses.replace(
            item, episode=dataclasses.replace(item.episode, day=None, track=None, body="")
        )
        for item in items
    ]
    pages = site.build_site(
        catalog, plain, site.SiteAssets(feed_key="feed.xml", image_key="images/cover.jpg")
    )
    index = Page(pages["index.html"].decode())
    text = " ".join(" ".join(index.text).split())
    assert "Monday 2 March 2026" in text and "Tuesday 3 March 2026" in text
    assert index.all("h3") == [{"class": "session-title"}] * 3  # sessions, no track headings
    episode = pages["episodes/data-roundtable.html"].decode()
    assert "About this session" not in episode  # nothing to say: no empty section


def test_an_empty_show_still_has_an_index(fresh_show: Show) -> None:
    catalog, _ = _items(fresh_show)
    pages = site.build_site(
        dataclasses.replace(catalog, episodes=()),
        [],
        site.SiteAssets(feed_key="feed.xml", image_key="images/cover.jpg"),
    )
    assert sorted(pages) == ["assets/site.js", "assets/style.css", "index.html"]
    assert b"No sessions have been published yet." in pages["index.html"]


def test_media_published_elsewhere_keeps_its_absolute_url(fresh_show: Show) -> None:
    catalog, items = _items(fresh_show)
    elsewhere = [
        dataclasses.replace(item, media_url=f"https://media.example.org/{item.episode.slug}.mp3")
        for item in items
    ]
    pages = site.build_site(
        catalog, elsewhere, site.SiteAssets(feed_key="feed.xml", image_key="images/cover.jpg")
    )
    page = Page(pages["episodes/opening-plenary.html"].decode())
    (source,) = page.all("source")
    assert source["src"] == "https://media.example.org/opening-plenary.mp3"
    seeks = [a["href"] for a in page.all("a") if "data-seek" in a]
    assert seeks[1] == "https://media.example.org/opening-plenary.mp3#t=2.0"


def test_people_filters_match_the_people_macros() -> None:
    """The packaged pages use Python filters for people (fast on a big index); an
    override may still import ``_people.html``: both give the same HTML."""
    from audiofeed.show.catalog import Person
    from audiofeed.site import render as site_render

    templates = site_render.Templates(Path("/nonexistent-show"))
    people = (
        Person("A <b>&", "Org & Co", "host", "https://x.org/?a=1&b=2"),
        Person("B", None, "guest", None),
        Person("D'q\"", "E <i>", None, 'http://y/"onmouseover=x'),
        Person("Plain"),
    )
    env = templates.env
    macro = env.from_string(
        '{% from "_people.html" import names, person %}'
        "{{ names(people) }}|{% for p in people %}{{ person(p) }};{% endfor %}"
    )
    filters = env.from_string("{{ people|names }}|{% for p in people %}{{ p|person }};{% endfor %}")
    expected = macro.render(people=people)
    assert filters.render(people=people) == expected
    assert "&lt;b&gt;" in expected and "&#34;onmouseover" in expected
