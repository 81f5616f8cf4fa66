"""Real clients read the demo show's feed served over HTTP by ``audiofeed.storage.serve``:
gPodder's gpo, podcast-partytime, podcastparser and feedparser.

Tools: ``gpo`` from $AUDIOFEED_GPO, PATH or .cache/testdeps/gpodder/bin/gpo; partytime from
$NODE_PATH or tests/node/node_modules (scripts/install-test-deps.sh installs both)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import feedparser
import podcastparser
import pytest

from audiofeed.publish.pipeline import Options, publish
from audiofeed.storage.serve import make_server
from tests.support import clients
from tests.support.feed_helpers import load


@pytest.fixture
def served(show: Path) -> Iterator[tuple[str, Path]]:
    """The demo show published for the port it is served on: (base URL, show folder)."""
    (show / "public").mkdir(exist_ok=True)
    server = make_server(show / "public", port=0)
    base = f"http://127.0.0.1:{server.server_port}/"
    publish(show / "config.toml", Options(base_url=base))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, show
    finally:
        server.shutdown()
        server.server_close()


def expected(show: Path) -> dict[str, dict]:
    """guid -> {title, duration (s), file} of the demo's episodes."""
    manifest = json.loads((show / "public/.audiofeed/manifest.json").read_text())
    out = {}
    for e in load(show).episodes:
        rec = manifest["media"][e.guid]
        out[e.guid] = {"title": e.title, "duration": round(rec["duration"]), "key": rec["key"]}
    return out


def test_gpo_subscribes_lists_six_episodes_and_downloads_one_identical(served, tmp_path):
    base, show = served
    want = expected(show)
    guid = next(g for g, v in want.items() if v["key"].endswith(".m4a"))
    result = clients.gpo(base + "feed.xml", tmp_path, guid=guid).check()
    listing = result.commands[2].stdout  # gpo episodes --guid
    for g in want:
        assert g in listing, listing
    assert {e["guid"] for e in result.episodes} == set(want)
    for g, v in want.items():
        row = result.episode(g)
        assert row["title"] == v["title"]
        assert row["total_time"] == v["duration"]
        assert row["url"] == base + v["key"]
    assert len(result.files) == 1, result.files
    assert result.files[0].read_bytes() == (show / "public" / want[guid]["key"]).read_bytes()
    assert result.episode(guid)["download_filename"] == result.files[0].name


def test_partytime_keeps_every_item_and_sees_podcasting20_tags(served):
    base, show = served
    want = expected(show)
    pt = clients.partytime(base + "feed.xml")
    assert pt.ok, pt.error
    support = {tag for tags in pt.pc20support.values() for tag in tags}
    for tag in (
        "guid",
        "locked",
        "person",
        "chapters",
        "transcript",
        "season",
        "episode",
        "license",
        "medium",
    ):
        assert tag in support, (tag, pt.pc20support)
    items = {i["guid"]: i for i in pt.items}
    assert set(items) == set(want)
    for g, v in want.items():
        assert items[g]["title"] == v["title"]
        assert items[g]["duration"] == v["duration"]
        assert items[g]["enclosure"]["url"] == base + v["key"]
        assert items[g]["podcastSeason"]["name"] == "Day 1"
    assert pt.channel["itunesCategory"] == ["Government", "Business > Non-Profit"]
    assert pt.channel["guid"] and pt.channel["locked"]
    transcripts = [t for i in pt.items for t in i.get("podcastTranscripts", [])]
    assert len(transcripts) == 1 and transcripts[0]["type"] == "text/vtt"
    vtt = show / "recordings/01-outcomes-measurement.vtt"
    key = transcripts[0]["url"].removeprefix(base)
    assert (show / "public" / key).read_bytes() == vtt.read_bytes()
    day = clients.partytime(base + "day1.xml")
    assert len(day.items) == 6 and day.channel["guid"] != pt.channel["guid"]


def test_podcastparser_and_feedparser_read_every_item(served):
    base, show = served
    want = expected(show)
    url = base + "feed.xml"
    import urllib.request

    with urllib.request.urlopen(url) as f:
        pp = podcastparser.parse(url, f)
    assert {e["guid"] for e in pp["episodes"]} == set(want)
    for e in pp["episodes"]:
        v = want[e["guid"]]
        assert e["title"] == v["title"] and e["total_time"] == v["duration"]
        enc = e["enclosures"][0]
        assert enc["url"] == base + v["key"]
        assert enc["file_size"] == (show / "public" / v["key"]).stat().st_size
    fp = feedparser.parse(url)
    assert fp.bozo == 0 and len(fp.entries) == 6
    for e in fp.entries:
        v = want[e.id]
        assert e.title == v["title"] and int(e.itunes_duration) == v["duration"]
        assert e.enclosures[0].href == base + v["key"]
        assert int(e.enclosures[0].length) == (show / "public" / v["key"]).stat().st_size
    # feedparser keeps only the attributes of a podcast:* element with attributes (quirk)
    assert fp.feed.podcast_locked == {"owner": "golab@example.org"}
    assert fp.feed.podcast_medium == "podcast" and fp.feed.podcast_guid
