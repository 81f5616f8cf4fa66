"""Each feedgen 1.0.0 trap (FG-01..FG-11 in docs/feed.md) is avoided in the feed we build."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from audiofeed import feed
from audiofeed.errors import ValidationError
from tests.support.cli import run
from tests.support.feed_helpers import NS, build, items, load, replace_episode, xml


def test_fg01_explicit_is_true_or_false_in_channel_and_items(show: Path) -> None:
    cat = replace_episode(load(show), 2, explicit=True)
    data = feed.build(
        cat, items(cat), feed.FeedAssets(cat.config.url("feed.xml"), "https://x/c.jpg")
    )
    root = xml(data)
    assert root.findtext("channel/itunes:explicit", namespaces=NS) == "false"
    values = [e.text for e in root.findall("channel/item/itunes:explicit", NS)]
    assert sorted(values) == ["false"] * 5 + ["true"]


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.org/art/cover.jpeg",
        "https://bucket.example.org/cover.png?X-Amz-Signature=abc&X-Amz-Expires=60",
        "https://cdn.example.org/cover",
    ],
)
def test_fg02_itunes_image_survives_any_url_form(show: Path, url: str) -> None:
    root = xml(build(show, image_url=url))
    assert root.find("channel/itunes:image", NS).get("href") == url
    assert root.findtext("channel/image/url") == url


def test_fg03_enclosure_has_real_length_and_type(show: Path) -> None:
    for enc in xml(build(show)).findall("channel/item/enclosure"):
        assert int(enc.get("length")) > 10_000
        assert enc.get("type") in ("audio/mpeg", "audio/x-m4a")


def test_fg04_channel_link_is_the_website_and_self_link_is_first(show: Path) -> None:
    ch = xml(build(show)).find("channel")
    assert ch.findtext("link") == "https://golab.bsg.ox.ac.uk/"
    atom = ch.findall("atom:link", NS)
    assert [(a.get("rel"), a.get("href")) for a in atom] == [
        ("self", "http://127.0.0.1:8000/feed.xml")
    ]


def test_fg05_every_item_has_a_non_permalink_guid(show: Path) -> None:
    cat = load(show)
    guids = xml(build(show)).findall("channel/item/guid")
    assert {g.text for g in guids} == {e.guid for e in cat.episodes}
    assert {g.get("isPermaLink") for g in guids} == {"false"}


def test_fg06_obsolete_category_is_refused_by_config(show: Path) -> None:
    cfg = show / "config.toml"
    cfg.write_text(cfg.read_text().replace('"Government"', '"Technology > Podcasting"'))
    with pytest.raises(ValidationError) as exc:
        load(show)
    assert "podcast.categories" in exc.value.line()
    proc = run("check", cwd=show)
    assert proc.returncode == 1 and "podcast.categories" in proc.stderr


def test_fg07_podcasting20_tags_in_canonical_namespace(show: Path) -> None:
    data = build(show)
    assert b'xmlns:podcast="https://podcastindex.org/namespace/1.0"' in data
    ch = xml(data).find("channel")
    for tag in ("guid", "locked", "medium", "license", "updateFrequency", "location"):
        assert ch.find(f"podcast:{tag}", NS) is not None, tag


def test_fg08_last_build_date_is_newest_pubdate_and_bytes_are_stable(show: Path) -> None:
    first = build(show)
    assert build(show) == first
    ch = xml(first).find("channel")
    newest = max(
        dt.datetime.strptime(d.text, "%a, %d %b %Y %H:%M:%S %z") for d in ch.findall("item/pubDate")
    )
    assert dt.datetime.strptime(ch.findtext("lastBuildDate"), "%a, %d %b %Y %H:%M:%S %z") == newest


def test_fg09_season_and_episode_numbers_are_kept_and_zero_is_refused(show: Path) -> None:
    root = xml(build(show))
    for item in root.findall("channel/item"):
        assert int(item.findtext("itunes:episode", namespaces=NS)) >= 1
        assert item.findtext("itunes:season", namespaces=NS) == "1"
        assert item.find("podcast:season", NS).get("name") == "Day 1"
        assert item.findtext("podcast:episode", namespaces=NS) == item.findtext(
            "itunes:episode", namespaces=NS
        )
    ep = show / "episodes" / "02-impact-bond-model.md"
    ep.write_text(re.sub(r"^season = 1$", "season = 0", ep.read_text(), flags=re.M))
    proc = run("check", cwd=show)
    assert proc.returncode == 1
    assert "02-impact-bond-model.md: season: must be a whole number of 1 or more" in proc.stderr


def test_fg10_mime_types_come_from_a_fixed_table(show: Path) -> None:
    run("publish", cwd=show, check=True)
    root = xml((show / "public" / "feed.xml").read_bytes())
    types = {
        Path(e.get("url")).suffix: e.get("type") for e in root.findall("channel/item/enclosure")
    }
    assert types == {".mp3": "audio/mpeg", ".m4a": "audio/x-m4a"}
    tr = root.find("channel/item/podcast:transcript", NS)
    assert (tr.get("type"), tr.get("rel")) == ("text/vtt", "captions")
    assert feed.TRANSCRIPT_TYPES[".srt"] == "application/x-subrip"


def test_fg11_items_are_newest_first(show: Path) -> None:
    root = xml(build(show))
    numbers = [
        int(i.findtext("itunes:episode", namespaces=NS)) for i in root.findall("channel/item")
    ]
    assert numbers == [6, 5, 4, 3, 2, 1]  # 4-6 share a start: higher number first, stable
