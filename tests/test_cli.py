"""The CLI as a user meets it: init, new, check, serve, --help everywhere."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import click
import podcastparser
import pytest

from audiofeed.cli import cli
from tests.support.cli import run
from tests.support.media import make_audio


def all_commands(group=cli, prefix=()):
    """Every command and subcommand, as click resolves them (commands load lazily)."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name)
        if hasattr(command, "list_commands"):
            yield from all_commands(command, (*prefix, name))


@pytest.mark.parametrize("command", list(all_commands()), ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...], tmp_path: Path) -> None:
    proc = run(*command, "--help", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.startswith("Usage: audiofeed " + " ".join(command))
    assert len(proc.stdout.splitlines()) > 3


def test_top_level_help_and_version(tmp_path: Path) -> None:
    assert "publish" in run("--help", cwd=tmp_path).stdout
    assert run("--version", cwd=tmp_path).stdout.startswith("audiofeed, version ")


def test_init_then_publish_accepts_new_show(tmp_path: Path) -> None:
    run("init", "myconf", "--title", 'Dev "Days" 2026', cwd=tmp_path, check=True)
    show = tmp_path / "myconf"
    assert (show / "config.toml").is_file() and (show / "cover.png").is_file()
    check = run("check", cwd=show, check=True)
    assert "no episodes yet" in check.stderr
    run("publish", cwd=show, check=True)
    with open(show / "public" / "feed.xml", "rb") as f:
        feed = podcastparser.parse("http://127.0.0.1:8000/feed.xml", f)
    assert feed["title"] == 'Dev "Days" 2026'
    assert run("init", "myconf", cwd=tmp_path).returncode == 1  # never overwrites


def test_new_episode_from_flags_publishes(tmp_path: Path) -> None:
    run("init", "conf", cwd=tmp_path, check=True)
    show = tmp_path / "conf"
    make_audio(show / "recordings" / "talk.mp3", 2.5)
    proc = run(
        "new",
        "--title",
        "Zoë's talk: «Ünïcode»",
        "--start",
        "2026-05-04T10:00+02:00",
        "--audio",
        "recordings/talk.mp3",
        "--speaker",
        "Zoë Ångström (Example Uni)",
        "--speaker",
        "Bo Li",
        "--chair",
        "Ada (ACM)",
        "--day",
        "Day 1",
        "--episode",
        "3",
        "--keyword",
        "tests",
        cwd=show,
        check=True,
    )
    path = show / "episodes" / "zoe-s-talk-unicode.md"
    assert proc.stdout.strip() == "created episodes/zoe-s-talk-unicode.md"
    meta = tomllib.loads(path.read_text().split("+++")[1])
    assert meta["speakers"] == [
        {"name": "Zoë Ångström", "affiliation": "Example Uni"},
        {"name": "Bo Li"},
    ]
    assert meta["chair"] == {"name": "Ada", "affiliation": "ACM"}
    assert meta["start"].utcoffset().total_seconds() == 7200
    assert len(meta["guid"]) == 36
    run("publish", cwd=show, check=True)
    with open(show / "public" / "feed.xml", "rb") as f:
        (ep,) = podcastparser.parse("x", f)["episodes"]
    assert ep["title"] == "Zoë's talk: «Ünïcode»" and ep["guid"] == meta["guid"]
    assert "Zoë Ångström (Example Uni)" in ep["description_html"]


def test_new_from_audio_prefills_from_tags(show: Path) -> None:
    proc = run(
        "new",
        "--from-audio",
        "recordings/01-outcomes-measurement.mp3",
        "--start",
        "2022-09-09T09:30+01:00",
        "--slug",
        "again",
        cwd=show,
        check=True,
    )
    assert "created episodes/again.md" in proc.stdout
    meta = tomllib.loads((show / "episodes" / "again.md").read_text().split("+++")[1])
    assert meta["title"] == "Outcomes measurement & public value"
    assert meta["speakers"] == [{"name": "Government Outcomes Lab"}]
    assert meta["audio"] == "recordings/01-outcomes-measurement.mp3"
    assert meta["duration"].startswith("0:00:")


def test_new_rejects_naive_start(show: Path) -> None:
    proc = run("new", "--title", "X", "--start", "2022-09-09T09:30", cwd=show)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "error: --start: '2022-09-09T09:30' has no time zone offset; "
        "add one, e.g. 2022-09-09T09:30+01:00"
    )


def test_check_ok_on_demo(show: Path) -> None:
    proc = run("check", cwd=show, check=True)
    assert proc.stdout.strip() == "ok: no errors"


def test_serve_answers_head_and_range(show: Path) -> None:
    run("publish", cwd=show, check=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "audiofeed", "serve", "--port", "0"],
        cwd=show,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = server.stdout.readline()
        assert first.startswith("serving public at http://127.0.0.1:")
        base = first.split(" at ")[1].strip()
        assert server.stdout.readline().strip() == f"feed: {base}feed.xml"
        assert server.stdout.readline().strip() == f"archive: {base}index.html"
        with urllib.request.urlopen(base) as r:  # the archive's index at the root
            assert r.headers["Content-Type"] == "text/html; charset=utf-8"
            assert b'<link rel="alternate" type="application/rss+xml"' in r.read()
        with urllib.request.urlopen(base + "feed.xml") as r:
            assert r.headers["Content-Type"] == "application/rss+xml"
            feed = podcastparser.parse(base + "feed.xml", r)
        url = feed["episodes"][0]["enclosures"][0]["url"]
        path = url.split("127.0.0.1:8000/")[1]
        size = (show / "public" / path).stat().st_size
        head = urllib.request.urlopen(urllib.request.Request(base + path, method="HEAD"))
        assert head.status == 200 and int(head.headers["Content-Length"]) == size
        assert head.headers["Accept-Ranges"] == "bytes"
        req = urllib.request.Request(base + path, headers={"Range": "bytes=0-1"})
        with urllib.request.urlopen(req) as r:
            assert r.status == 206
            assert r.headers["Content-Range"] == f"bytes 0-1/{size}"
            assert r.read() == (show / "public" / path).read_bytes()[:2]
        req = urllib.request.Request(base + path, headers={"Range": "bytes=-100"})
        with urllib.request.urlopen(req) as r:
            assert r.read() == (show / "public" / path).read_bytes()[-100:]
        for bad in ("../config.toml", "%2e%2e/config.toml", "nothing.mp3"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(base + bad)
            assert err.value.code == 404
    finally:
        server.terminate()
        server.wait(10)


def test_serve_before_publish_is_a_clear_error(show: Path) -> None:
    proc = run("serve", cwd=show)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: public: not published yet; run 'audiofeed publish' first"
