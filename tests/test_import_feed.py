"""``import feed``: real-world feeds (tests/data/feeds, six generators) served by a local
"old host" with small ffmpeg-made audio; the import, a publish of the result, and real
clients reading the old and the new feed: podcastparser, partytime and gPodder."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from audiofeed.importers import ScheduleError, import_feed
from audiofeed.publish.pipeline import Options, publish
from audiofeed.show.scaffold import init_show
from audiofeed.storage.serve import make_server
from tests.support import clients
from tests.support.feedhost import Host, old_host

SAMPLES = [
    "fireside.xml",
    "art19.xml",
    "acast.xml",
    "subsplash.xml",
    "dw-mrss.xml",
    "freedom-controller-pc20.xml",
]


@contextmanager
def new_host(show: Path) -> Iterator[str]:
    """audiofeed's own server on the show's published folder; yields its base URL."""
    (show / "public").mkdir(exist_ok=True)
    server = make_server(show / "public", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def new_show(tmp_path: Path) -> Path:
    show = tmp_path / "show"
    show.mkdir()
    init_show(show, "Placeholder", "Placeholder")
    return show


def pp_items(feed: dict) -> list[tuple[str, str, int]]:
    """podcastparser lists a serial feed oldest first, an episodic one newest first; a
    serial feed without every episode number is imported as episodic (see feed_map)."""
    items = [(e["guid"], e["title"], e["published"]) for e in feed["episodes"]]
    return sorted(items, key=lambda i: i[2], reverse=True)


def pt_items(result: clients.PartytimeResult) -> list[tuple[str, str, str]]:
    return [(i["guid"], i["title"], i["pubDate"]) for i in result.items]


@pytest.mark.parametrize("sample", SAMPLES)
def test_a_real_feed_moves_with_every_guid_title_date_and_its_order(tmp_path, sample):
    with old_host(tmp_path, sample) as host:
        show = new_show(tmp_path)
        report = import_feed(show, host.feed_url)
        assert not report.failed, report.lines()
        with new_host(show) as base:
            publish(show / "config.toml", Options(base_url=base))
            old_pp = clients.podcastparser_parse(host.feed_url)
            new_pp = clients.podcastparser_parse(base + "feed.xml")
            old_pt = clients.partytime(host.feed_url)
            new_pt = clients.partytime(base + "feed.xml")
    assert len(old_pp["episodes"]) == 3
    assert pp_items(new_pp) == pp_items(old_pp)
    assert old_pt.ok and new_pt.ok, (old_pt.error, new_pt.error)
    assert pt_items(new_pt) == pt_items(old_pt)
    # the recordings published are the old host's bytes, tagged (never re-encoded)
    for item, episode in zip(host.items, new_pp["episodes"], strict=True):
        assert episode["guid"] == item["guid"]
        assert episode["total_time"] >= 1
    assert new_pt.channel.get("guid") == (old_pt.channel.get("guid") or new_pt.channel["guid"])


def test_podcasting20_details_come_along(tmp_path):
    with old_host(tmp_path, "freedom-controller-pc20.xml") as host:
        show = new_show(tmp_path)
        person = '<podcast:person role="producer" group="audio production">Ada Lovelace'
        _edited(host, "<podcast:guid>", person + "</podcast:person><podcast:guid>")
        import_feed(show, host.feed_url)
        with new_host(show) as base:
            publish(show / "config.toml", Options(base_url=base))
            pt = clients.partytime(base + "feed.xml")
    assert pt.channel["guid"] == "917393e3-1b1e-5cef-ace4-edaa54e1f810"  # kept, not recomputed
    assert pt.channel["podcastFunding"][0]["url"] == "https://paypal.me/podcastindex"
    assert [(p["name"], p["role"]) for p in pt.channel["podcastPeople"]] == [
        ("Ada Lovelace", "Producer")
    ]
    newest = pt.items[0]
    assert [p["name"] for p in newest["podcastPeople"]][:2] == ["Adam Curry", "Dave Jones"]
    assert newest["podcastTranscripts"][0]["type"] == "text/vtt"
    assert newest["podcastChapters"]["type"] == "application/json+chapters"
    text = (show / "episodes" / "episode-57-rebel-rubes.md").read_text()
    assert 'title = "Middle"' in text  # chapters JSON -> the episode's chapters
    assert "**Podcasting 2.0 for October 8th 2021 Episode 57: Rebel Rubes**" in text


def _gpo_downloads(session: clients.GpoSession) -> dict[str, tuple[int, int]]:
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns)
        for p in session.download_dir.rglob("*")
        if p.is_file()
    }


def test_gpodder_follows_the_301_keeps_its_episodes_and_downloads_none_again(tmp_path):
    with old_host(tmp_path, "fireside.xml") as host:
        gpo = clients.GpoSession(tmp_path / "gpodder")
        gpo.run("subscribe", host.feed_url)
        gpo.run("download", host.feed_url)
        before = gpo.result(host.feed_url).check()
        downloaded = _gpo_downloads(gpo)
        assert len(downloaded) == 3, before.stdout
        show = new_show(tmp_path)
        import_feed(show, host.feed_url)
        with new_host(show) as base:
            publish(show / "config.toml", Options(base_url=base))
            host.redirect("/feed.xml", base + "feed.xml")  # the old host now answers 301
            media_gets = len([r for r in host.server.requests if "/media/" in r[1]])
            gpo.run("update")
            gpo.run("download")
            after = gpo.result(base + "feed.xml").check()
            new_gets = [r for r in host.server.requests if "/media/" in r[1]][media_gets:]
            with pytest.raises(ScheduleError, match="this feed was made by audiofeed"):
                import_feed(show, host.feed_url)  # the old URL now leads to the new feed
    assert after.podcasts[0]["url"] == base + "feed.xml"  # the subscription moved
    assert {e["guid"] for e in after.episodes} == {i["guid"] for i in host.items}
    assert all(e["state"] == 1 for e in after.episodes), after.episodes  # still downloaded
    assert _gpo_downloads(gpo) == downloaded  # nothing fetched again, nothing touched
    assert new_gets == []
    assert "0 episodes downloaded" in after.commands[-1].stdout or "No episodes" in (
        after.commands[-1].stdout
    ), after.commands[-1].stdout


def _gets(host: Host) -> list[str]:
    return [p for m, p, _ in host.server.requests if m == "GET" and p != "/feed.xml"]


def test_a_rerun_fetches_only_what_is_missing_and_keeps_hand_edits(tmp_path):
    with old_host(tmp_path, "art19.xml") as host:
        show = new_show(tmp_path)
        import_feed(show, host.feed_url)
        first_gets = len(_gets(host))
        episode = sorted((show / "episodes").glob("*.md"))[0]
        edited = episode.read_text().replace('title = "', 'title = "Edited: ', 1)
        episode.write_text(edited)
        config = show / "config.toml"
        config.write_text(config.read_text().replace('title = "1865"', 'title = "1865 (ours)"'))
        audio = sorted((show / "recordings").glob("*.mp3"))[1]
        audio.unlink()
        report = import_feed(show, host.feed_url)
        again = _gets(host)[first_gets:]
    assert len(again) == 1 and again[0].endswith(".mp3"), again  # only the deleted file
    assert audio.is_file()
    assert episode.read_text() == edited
    assert 'title = "1865 (ours)"' in config.read_text()
    assert any("title: edited by hand, kept" in k for k in report.kept), report.kept
    assert not [c for c in report.changes if c.path.startswith("episodes/")]
    assert len(report.unchanged) == 3


def test_an_interrupted_download_resumes_with_range(tmp_path):
    with old_host(tmp_path, "subsplash.xml", seconds=3) as host:
        show = new_show(tmp_path)
        host.cut("/media/2.mp3", 4000)
        first = import_feed(show, host.feed_url)
        assert len(first.failed) == 1
        failed = first.failed[0].job
        assert "got 4000 of" in first.failed[0].error
        part = failed.dest.with_name(f".{failed.dest.name}.part")
        assert part.stat().st_size == 4000 and not failed.dest.exists()
        assert len(list((show / "episodes").glob("*.md"))) == 2  # its episode waits
        assert any("no episode file until" in line for line in first.held)
        second = import_feed(show, host.feed_url)
        gets = host.gets("/media/2.mp3")
    assert not second.failed
    assert gets[-1]["Range"] == "bytes=4000-"
    assert failed.dest.read_bytes() == host.items[1]["file"].read_bytes()
    assert not part.exists()
    assert len(list((show / "episodes").glob("*.md"))) == 3
    assert second.fetched[0].resumed_from == 4000


# --------------------------------------------------------------------------- bad feeds


def _cli(show: Path, *args: str):
    from tests.support.cli import run

    return run("-c", str(show / "config.toml"), "import", "feed", *args, cwd=show)


def _edited(host: Host, old: str, new: str, count: int = 1) -> str:
    feed = host.root / "feed.xml"
    text = feed.read_text()
    assert old in text, old
    feed.write_text(text.replace(old, new, count))
    return host.feed_url


def _error_lines(proc) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("error: ")]


def test_dry_run_prints_the_plan_and_writes_and_fetches_nothing(tmp_path):
    from tests.support.show import tree_snapshot

    with old_host(tmp_path, "dw-mrss.xml") as host:
        show = new_show(tmp_path)
        before = tree_snapshot(show)
        proc = _cli(show, host.feed_url, "--dry-run")
        gets = _gets(host)
    assert proc.returncode == 0, proc.stderr
    assert tree_snapshot(show) == before
    assert gets == []
    assert proc.stdout.count("\nfetch recordings/") + proc.stdout.startswith("fetch ") == 4
    assert proc.stdout.splitlines()[-1].endswith("4 files to fetch (dry run: nothing written)")


def test_not_well_formed_xml_is_one_line_and_nothing_is_written(tmp_path):
    from tests.support.show import tree_snapshot

    with old_host(tmp_path, "fireside.xml") as host:
        show = new_show(tmp_path)
        before = tree_snapshot(show)
        url = _edited(host, "</title>", "</titel>")
        proc = _cli(show, url)
    assert proc.returncode == 1
    lines = _error_lines(proc)
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"error: {url}: line ")
    assert ": not well-formed XML (Opening and ending tag mismatch: title line" in lines[0]
    assert lines[0].endswith("); the feed cannot be imported")
    assert "Traceback" not in proc.stderr
    assert tree_snapshot(show) == before


def test_duplicate_guids_are_one_line_each_and_nothing_is_written(tmp_path):
    from tests.support.show import tree_snapshot

    with old_host(tmp_path, "freedom-controller-pc20.xml") as host:
        show = new_show(tmp_path)
        before = tree_snapshot(show)
        url = _edited(host, ">PC2056<", ">PC2057<")
        proc = _cli(show, url)
    assert proc.returncode == 1
    lines = _error_lines(proc)
    assert (
        len(lines) == 1
        and "item 2 ('Episode 56: Rocket in your Pocket'): guid: 'PC2057' "
        "is also the guid of item 1 ('Episode 57: Rebel Rubes')"
        in lines[0]
    ), proc.stderr
    assert tree_snapshot(show) == before
    assert _gets(host) == []


def test_a_missing_guid_falls_back_to_the_enclosure_url_and_says_so(tmp_path):
    with old_host(tmp_path, "dw-mrss.xml") as host:
        show = new_show(tmp_path)
        guid = host.items[1]["guid"]
        url = _edited(host, f'<guid isPermaLink="false">{guid}</guid>', "")
        proc = _cli(show, url)
        enclosure = host.server.url("media/2.mp3")
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "guid: missing" in line]
    assert len(warnings) == 1 and "item 2" in warnings[0], proc.stderr
    assert any(f'guid = "{enclosure}"' in p.read_text() for p in (show / "episodes").glob("*.md"))


def test_html_in_a_title_is_removed_and_reported(tmp_path):
    with old_host(tmp_path, "subsplash.xml") as host:
        show = new_show(tmp_path)
        title = host.items[0]["title"]
        url = _edited(host, f"<title>{title}</title>", f"<title>&lt;b&gt;{title}&lt;/b&gt;</title>")
        proc = _cli(show, url)
    assert proc.returncode == 0, proc.stderr
    assert sum("title: HTML removed" in line for line in proc.stderr.splitlines()) == 1
    texts = [p.read_text() for p in (show / "episodes").glob("*.md")]
    assert any(f'title = "{title}"' in t for t in texts) and not any("<b>" in t for t in texts)


def test_relative_urls_resolve_against_the_feed_url_and_fail_in_a_local_file(tmp_path):
    from tests.support.show import tree_snapshot

    with old_host(tmp_path, "freedom-controller-pc20.xml") as host:  # no atom:link self
        show = new_show(tmp_path)
        url = _edited(host, f'url="{host.server.url("media/3.mp3")}"', 'url="media/3.mp3"')
        local = tmp_path / "saved.xml"
        local.write_bytes((host.root / "feed.xml").read_bytes())
        before = tree_snapshot(show)
        from_file = _cli(show, str(local))
        assert tree_snapshot(show) == before
        from_url = _cli(show, url)
    assert from_file.returncode == 1
    assert (
        _error_lines(from_file)
        == [
            f"error: {local.name}: item 3 ('{host.items[2]['title']}'): enclosure: 'media/3.mp3' "
            "is relative and the feed's own URL is unknown; import the feed by its URL"
        ]
        or len(_error_lines(from_file)) == 1
    ), from_file.stderr
    assert from_url.returncode == 0, from_url.stderr
    assert (
        sum("relative URL 'media/3.mp3' resolved" in x for x in from_url.stderr.splitlines()) == 1
    )


def test_a_huge_enclosure_is_refused_listed_and_the_rest_imported(tmp_path):
    with old_host(tmp_path, "art19.xml") as host:
        show = new_show(tmp_path)
        size = host.items[0]["file"].stat().st_size
        url = _edited(host, f'length="{size}"', 'length="5000000000"')
        proc = _cli(show, url)
    assert proc.returncode == 1
    lines = _error_lines(proc)
    assert len(lines) == 1 and lines[0].endswith(
        ": download: 5.0 GB is more than --max-size 2.0 GB; raise --max-size to fetch it"
    ), proc.stderr
    assert len(list((show / "episodes").glob("*.md"))) == 2


def test_the_new_feed_announces_the_move_and_keeps_the_old_urls_guid(tmp_path):
    from audiofeed.feed.build import podcast_guid

    with old_host(tmp_path, "subsplash.xml") as host:  # a feed without podcast:guid
        show = new_show(tmp_path)
        import_feed(show, host.feed_url)
        assert f'moved_from = "{host.feed_url}"' in (show / "config.toml").read_text()
        with new_host(show) as base:
            publish(show / "config.toml", Options(base_url=base))
            pp = clients.podcastparser_parse(base + "feed.xml")
            pt = clients.partytime(base + "feed.xml")
            day = clients.feedparser_parse(base + "feed.xml")
    assert pp["new_url"] == base + "feed.xml"  # itunes:new-feed-url: this feed, after the move
    assert pt.channel["guid"] == podcast_guid(host.feed_url) != podcast_guid(base + "feed.xml")
    assert not day.bozo


def test_show_notes_are_sanitised_before_they_become_markdown():
    from audiofeed.importers.feed_text import to_markdown

    html = (
        '<p dir="ltr">Hi <b>all</b> <a href="https://x.org/" onclick="steal()">site</a></p>'
        "<script>alert(1)</script><style>p{}</style><h2>Links</h2>"
        '<ul><li><a href="javascript:alert(1)">bad</a></li><li>R&amp;D</li></ul>'
    )
    assert to_markdown(html) == "Hi **all** [site](https://x.org/)\n\n## Links\n\n- bad\n- R&D"
    assert to_markdown("Plain text, & more *as is*") == "Plain text, & more *as is*"


def test_a_change_at_the_old_host_updates_and_a_removed_item_is_left_alone(tmp_path):
    with old_host(tmp_path, "dw-mrss.xml") as host:
        show = new_show(tmp_path)
        import_feed(show, host.feed_url)
        files = {p.name: p.read_text() for p in (show / "episodes").glob("*.md")}
        first, third = host.items[0], host.items[2]
        _edited(host, f"<title>{first['title']}</title>", "<title>Corrected title</title>")
        feed = host.root / "feed.xml"
        text = feed.read_text()
        start = text.rindex("<item>")
        feed.write_text(text[:start] + text[text.index("</item>", start) + 7 :])
        report = import_feed(show, host.feed_url)
    updated = [c for c in report.changes if c.action == "update" and c.path != "config.toml"]
    assert len(updated) == 1 and '+title = "Corrected title"' in updated[0].diff()
    assert len(report.gone) == 1 and "not in this feed" in report.gone[0]
    gone = report.gone[0].split(":")[0]
    assert (show / gone).read_text() == files[Path(gone).name]  # left as is
    assert third["guid"] in files[Path(gone).name]
