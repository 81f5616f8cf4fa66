"""Several feeds from one show ([[feeds]] by filter, latest N), kept podcast:guid, P2.0 config."""

from __future__ import annotations

import json
from pathlib import Path

from audiofeed import feed
from tests.support.cli import run
from tests.support.feed_helpers import NS, items, load, replace_episode, xml


def add_feeds(show: Path, text: str) -> None:
    cfg = show / "config.toml"
    cfg.write_text(cfg.read_text().replace("[publish]", text + "\n[publish]"))


def test_feeds_by_track_and_latest_n(show: Path) -> None:
    add_feeds(
        show,
        '[[feeds]]\nkey = "roundtables.xml"\ntitle = "SOC22 roundtables"\n'
        'filter = { track = ["Roundtable A", "Roundtable B"] }\n'
        '[[feeds]]\nkey = "latest.xml"\nlatest = 2\n',
    )
    cat = load(show)
    built = feed.build_all(cat, items(cat), "https://cdn.example.org/c.jpg")
    assert list(built) == ["feed.xml", "day1.xml", "roundtables.xml", "latest.xml"]
    rt = xml(built["roundtables.xml"]).find("channel")
    assert rt.findtext("title") == "SOC22 roundtables"
    assert [i.findtext("itunes:episode", namespaces=NS) for i in rt.findall("item")] == ["2", "1"]
    assert rt.find("atom:link", NS).get("href") == "http://127.0.0.1:8000/roundtables.xml"
    latest = xml(built["latest.xml"]).findall("channel/item")
    assert [i.findtext("itunes:episode", namespaces=NS) for i in latest] == ["6", "5"]
    guids = {xml(b).findtext("channel/podcast:guid", namespaces=NS) for b in built.values()}
    assert len(guids) == 4  # each feed has its own podcast:guid


def test_podcast_guid_is_kept_when_the_feed_moves(show: Path) -> None:
    run("publish", cwd=show, check=True)
    feed_xml = show / "public" / "feed.xml"
    guid = xml(feed_xml.read_bytes()).findtext("channel/podcast:guid", namespaces=NS)
    assert guid == feed.podcast_guid("http://127.0.0.1:8000/feed.xml")
    run("publish", "--base-url", "https://media.example.org/soc22/", cwd=show, check=True)
    root = xml(feed_xml.read_bytes())
    assert (
        root.find("channel/atom:link", NS).get("href") == "https://media.example.org/soc22/feed.xml"
    )
    assert root.findtext("channel/podcast:guid", namespaces=NS) == guid
    manifest = json.loads((show / "public/.audiofeed/manifest.json").read_text())
    assert manifest["feeds"]["feed.xml"] == guid


def test_bad_feeds_config_is_one_line_per_problem(show: Path) -> None:
    add_feeds(show, '[[feeds]]\nkey = "Day 2.xml"\nfilter = { colour = "red" }\n')
    proc = run("check", cwd=show)
    assert proc.returncode == 1
    assert (
        "error: config.toml: feeds[1].key: 'Day 2.xml' must be a lowercase ASCII name ending .xml"
        in proc.stderr
    )
    assert (
        "error: config.toml: feeds[1].filter.colour: unknown field (allowed: day, track"
        in proc.stderr
    )


def test_chapters_url_and_item_persons_are_emitted(show: Path) -> None:
    cat = load(show)
    its = items(cat, chapters_url="https://cdn.example.org/ch/1.chapters.json")
    data = feed.build(cat, its, feed.FeedAssets(cat.config.url("feed.xml"), "https://x/c.jpg"))
    item = next(
        i
        for i in xml(data).findall("channel/item")
        if i.findtext("itunes:episode", namespaces=NS) == "1"
    )
    ch = item.find("podcast:chapters", NS)
    assert (ch.get("url"), ch.get("type")) == (
        "https://cdn.example.org/ch/1.chapters.json",
        "application/json+chapters",
    )
    people = [(p.get("role"), p.text) for p in item.findall("podcast:person", NS)]
    assert people == [
        ("host", "Dr Mara Airoldi"),
        ("guest", "Stan Gilmour"),
        ("guest", "Mathilde Pellizzari"),
    ]


def test_complete_and_license_are_optional(show: Path) -> None:
    cfg = show / "config.toml"
    text = cfg.read_text()
    for line in ("complete = true\n", 'license = "CC-BY-4.0"\n'):
        text = text.replace(line, "")
    cfg.write_text(text)
    cat = replace_episode(load(show), 0, license="CC-BY-NC-4.0")
    data = feed.build(
        cat, items(cat), feed.FeedAssets(cat.config.url("feed.xml"), "https://x/c.jpg")
    )
    ch = xml(data).find("channel")
    assert ch.find("itunes:complete", NS) is None
    assert ch.find("podcast:license", NS) is None
    assert ch.find("podcast:updateFrequency", NS).get("complete") is None
    assert [e.text for e in ch.findall("item/podcast:license", NS)] == ["CC-BY-NC-4.0"]
