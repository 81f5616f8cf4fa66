"""End to end: the demo show published to a local folder, read back by real feed parsers."""

from __future__ import annotations

import email.utils
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import podcastparser

from tests.support.cli import run
from tests.support.media import probe_duration
from tests.support.show import tree_snapshot


def episode_meta(show: Path) -> dict[str, dict]:
    metas = {}
    for path in sorted((show / "episodes").glob("0*.md")):
        head = path.read_text().split("+++")[1]
        metas[path.name] = tomllib.loads(head)
    return metas


def parse(show: Path) -> dict:
    feed_path = show / "public" / "feed.xml"
    with open(feed_path, "rb") as f:
        return podcastparser.parse("http://127.0.0.1:8000/feed.xml", f)


def local_file(show: Path, url: str) -> Path:
    assert url.startswith("http://127.0.0.1:8000/"), url
    return show / "public" / urlsplit(url).path.lstrip("/")


def test_demo_feed_parses_with_six_real_enclosures(show: Path) -> None:
    proc = run("publish", cwd=show, check=True)
    assert "feed: http://127.0.0.1:8000/feed.xml" in proc.stdout
    assert "archive: http://127.0.0.1:8000/index.html" in proc.stdout
    feed = parse(show)
    assert feed["title"] == "Social Outcomes Conference 2022"
    assert len(feed["episodes"]) == 6
    guids = {m["guid"] for m in episode_meta(show).values()}
    assert {e["guid"] for e in feed["episodes"]} == guids
    for ep in feed["episodes"]:
        (enc,) = ep["enclosures"]
        path = local_file(show, enc["url"])
        assert path.is_file()
        assert enc["file_size"] == path.stat().st_size
        assert enc["mime_type"] == {".mp3": "audio/mpeg", ".m4a": "audio/x-m4a"}[path.suffix]
        assert abs(ep["total_time"] - probe_duration(path)) <= 0.5
    # feedparser reads the same feed: guids not rewritten, dates with zone
    d = feedparser.parse(str(show / "public" / "feed.xml"))
    assert d.bozo == 0, d.get("bozo_exception")
    assert {e.id for e in d.entries} == guids
    assert all(e.guidislink is False for e in d.entries)


def test_dates_are_rfc2822_with_zone_and_match_session_start(show: Path) -> None:
    run("publish", cwd=show, check=True)
    xml = (show / "public" / "feed.xml").read_text()
    dates = re.findall(r"<pubDate>(.*?)</pubDate>", xml)
    assert len(dates) == 6
    starts = {m["start"] for m in episode_meta(show).values()}
    for text in dates:
        parsed = email.utils.parsedate_to_datetime(text)
        assert parsed.tzinfo is not None and re.search(r"[+-]\d{4}$", text), text
        assert parsed in starts
    assert re.search(r"<lastBuildDate>Thu, 08 Sep 2022 14:00:00 \+0100</lastBuildDate>", xml)


def test_sources_are_never_modified(show: Path) -> None:
    before = tree_snapshot(show / "recordings")
    run("publish", cwd=show, check=True)
    assert tree_snapshot(show / "recordings") == before
    published = sorted((show / "public" / "audio").iterdir())
    assert len(published) == 6
    # the published copies carry tags, so they differ from the sources
    sources = {p.read_bytes() for p in (show / "recordings").iterdir()}
    assert not any(p.read_bytes() in sources for p in published)


def test_second_publish_rewrites_nothing(show: Path) -> None:
    run("publish", cwd=show, check=True)
    before = tree_snapshot(show / "public")
    proc = run("publish", cwd=show, check=True)
    assert "nothing changed" in proc.stdout
    assert tree_snapshot(show / "public") == before


SEARCH_JS = "pagefind/pagefind.js"


def test_dry_run_prints_plan_and_writes_nothing(show: Path) -> None:
    proc = run("publish", "--dry-run", cwd=show, check=True)
    assert "upload  feed.xml" in proc.stdout
    # 6 recordings, cover, transcript, 2 page assets, 6 episode pages, index, 2 feeds, manifest
    search = proc.stdout.count("upload  pagefind/")  # the archive's search index
    assert search >= 8 and f"upload  {SEARCH_JS}" in proc.stdout
    assert re.search(rf"total: {22 + search} to upload \([\d,]+ bytes\)", proc.stdout)
    assert not (show / "public").exists()


def test_guid_survives_title_change_and_rename(show: Path) -> None:
    run("publish", cwd=show, check=True)
    first = {e["guid"]: e for e in parse(show)["episodes"]}
    ep_file = show / "episodes" / "02-impact-bond-model.md"
    text = ep_file.read_text()
    guid = tomllib.loads(text.split("+++")[1])["guid"]
    text = re.sub(r'^title = ".*"$', 'title = "Impact bonds, stretched"', text, count=1, flags=re.M)
    text = re.sub(r'^slug = ".*"\n', "", text, count=1, flags=re.M)
    ep_file.unlink()
    (show / "episodes" / "02-renamed.md").write_text(text)
    run("publish", cwd=show, check=True)
    second = {e["guid"]: e for e in parse(show)["episodes"]}
    assert set(second) == set(first)
    assert second[guid]["title"] == "Impact bonds, stretched"
    assert "impact-bonds-stretched" in second[guid]["enclosures"][0]["url"]


def test_missing_guid_is_assigned_once_and_kept(show: Path) -> None:
    ep_file = show / "episodes" / "05-levelling-up.md"
    ep_file.write_text(re.sub(r'^guid = ".*"\n', "", ep_file.read_text(), flags=re.M))
    proc = run("publish", cwd=show, check=True)
    assert "assigned a new guid in" in proc.stderr
    guid = tomllib.loads(ep_file.read_text().split("+++")[1])["guid"]
    run("publish", cwd=show, check=True)
    assert tomllib.loads(ep_file.read_text().split("+++")[1])["guid"] == guid
    assert guid in {e["guid"] for e in parse(show)["episodes"]}


def test_description_edit_republishes_its_page_and_the_feed_only(show: Path) -> None:
    run("publish", cwd=show, check=True)
    ep_file = show / "episodes" / "01-outcomes-measurement.md"
    ep_file.write_text(ep_file.read_text() + "\nAn added closing paragraph.\n")
    proc = run("publish", "--dry-run", cwd=show, check=True)
    uploads = [ln.split()[1] for ln in proc.stdout.splitlines() if ln.startswith("upload")]
    search = [u for u in uploads if u.startswith("pagefind/")]  # the page's search entries
    assert search and uploads[: len(search)] == search and SEARCH_JS not in search
    assert uploads[len(search) :] == [  # its page, then both feeds
        "episodes/outcomes-measurement.html",
        "day1.xml",
        "feed.xml",
        ".audiofeed/manifest.json",
    ]


def test_hostile_description_is_sanitised_in_feed(show: Path) -> None:
    ep_file = show / "episodes" / "03-keynote-power.md"
    ep_file.write_text(
        ep_file.read_text() + '\n<script>alert("x")</script> [click](javascript:alert(1)) '
        '<a href="javascript:alert(2)">bad</a> <img src=x onerror="alert(3)"> \x07bell\n'
    )
    run("publish", cwd=show, check=True)
    feed = parse(show)
    (ep,) = [e for e in feed["episodes"] if e["title"].startswith("Keynote")]
    html = ep["description_html"]
    assert "bell" in html and "\x07" not in html
    for bad in ("<script", "javascript:alert(2)", "onerror", "<img"):
        assert bad not in html.lower(), bad
    assert 'href="javascript' not in (show / "public" / "feed.xml").read_text()


def test_base_url_override(show: Path) -> None:
    run("publish", "--base-url", "https://podcast.example.org/soc22", cwd=show, check=True)
    feed = parse(show)
    assert all(
        e["enclosures"][0]["url"].startswith("https://podcast.example.org/soc22/audio/")
        for e in feed["episodes"]
    )


def test_m4b_audiobook_container_is_published_as_m4a(show: Path) -> None:
    from tests.support.media import make_audio

    m4a = make_audio(show / "recordings" / "long.m4a", 3, "m4a")
    m4a.rename(show / "recordings" / "long.m4b")
    ep = show / "episodes" / "02-impact-bond-model.md"
    ep.write_text(
        re.sub(
            r'^audio = ".*"$', 'audio = "recordings/long.m4b"', ep.read_text(), count=1, flags=re.M
        )
    )
    run("publish", cwd=show, check=True)
    (enc,) = [
        e["enclosures"][0] for e in parse(show)["episodes"] if e["title"].startswith("Stretching")
    ]
    assert enc["url"].endswith(".m4a") and enc["mime_type"] == "audio/x-m4a"
    assert enc["file_size"] == local_file(show, enc["url"]).stat().st_size


def test_audio_apple_does_not_play_is_mastered_to_mp3(show: Path) -> None:
    # before the mastering stage this was refused (ENC-03, "publish MP3 or AAC")
    from tests.support.media import make_audio

    opus = make_audio(show / "recordings" / "talk.opus", 3, "opus")
    before = opus.read_bytes()
    ep = show / "episodes" / "02-impact-bond-model.md"
    ep.write_text(
        re.sub(
            r'^audio = ".*"$', 'audio = "recordings/talk.opus"', ep.read_text(), count=1, flags=re.M
        )
    )
    run("publish", cwd=show, check=True)
    (enc,) = [
        e["enclosures"][0] for e in parse(show)["episodes"] if e["title"].startswith("Stretching")
    ]
    assert enc["url"].endswith(".mp3") and enc["mime_type"] == "audio/mpeg"
    assert enc["file_size"] == local_file(show, enc["url"]).stat().st_size
    assert opus.read_bytes() == before


def test_episode_art_is_published_and_linked(show: Path) -> None:
    from tests.support.media import make_image

    make_image(show / "speaker.png", 1400)
    ep = show / "episodes" / "05-levelling-up.md"
    ep.write_text(ep.read_text().replace("+++\n", '+++\nimage = "speaker.png"\n', 1))
    run("publish", cwd=show, check=True)
    (art,) = [
        e["episode_art_url"]
        for e in parse(show)["episodes"]
        if e["title"].startswith("How can central")
    ]
    assert re.search(r"/images/levelling-up-[0-9a-f]{10}\.png$", art)
    assert local_file(show, art).read_bytes() == (show / "speaker.png").read_bytes()
    others = [e for e in parse(show)["episodes"] if not e["title"].startswith("How can")]
    assert all("/images/cover-" in (e.get("episode_art_url") or "/images/cover-") for e in others)
