"""Self-tests of tests/support: each helper really drives the real program.

No skips: every test here must run in CI (scripts/test.sh installs what they need).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import botocore.exceptions
import pytest

from tests.support import REPO_ROOT
from tests.support.clients import (
    AXE_JS,
    GpoError,
    GpoSession,
    chromium,
    feedparser_parse,
    gpo,
    partytime,
    podcastparser_parse,
    run_axe,
)
from tests.support.http import serve_directory
from tests.support.media import AUDIO_FORMATS, make_audio, make_image, make_speech, probe_duration
from tests.support.rclone import run_rclone_s3
from tests.support.seaweed import run_seaweedfs

FEED_TITLE = "Support Selftest Talks"


def _feed_xml(base: str, www: Path, *, missing_enclosure: bool = False) -> str:
    ep1, ep2 = www / "ep1.mp3", www / "ep2.m4a"
    ep2_url = f"{base}missing.m4a" if missing_enclosure else f"{base}ep2.m4a"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0"
     xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>{FEED_TITLE}</title>
  <link>{base}index.html</link>
  <atom:link href="{base}feed.xml" rel="self" type="application/rss+xml"/>
  <description>Two short sine-wave talks for the test helpers.</description>
  <language>en</language>
  <itunes:author>audiofeed tests</itunes:author>
  <itunes:image href="{base}cover.jpg"/>
  <itunes:explicit>false</itunes:explicit>
  <itunes:category text="Technology"/>
  <podcast:locked owner="tests@audiofeed.invalid">yes</podcast:locked>
  <podcast:guid>917393e3-1b1e-5cef-ace4-edaa54e1f810</podcast:guid>
  <item>
    <title>Opening keynote</title>
    <guid isPermaLink="false">selftest-ep-1</guid>
    <pubDate>Mon, 01 Sep 2025 09:00:00 +0000</pubDate>
    <description>The first talk.</description>
    <enclosure url="{base}ep1.mp3" length="{ep1.stat().st_size}" type="audio/mpeg"/>
    <itunes:duration>3</itunes:duration>
  </item>
  <item>
    <title>Lightning talks</title>
    <guid isPermaLink="false">selftest-ep-2</guid>
    <pubDate>Tue, 02 Sep 2025 09:00:00 +0000</pubDate>
    <description>The second talk.</description>
    <enclosure url="{ep2_url}" length="{ep2.stat().st_size}" type="audio/mp4"/>
    <itunes:duration>2</itunes:duration>
  </item>
</channel>
</rss>
"""


INDEX_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Selftest archive</title></head>
<body><main><h1>Opening keynote</h1>
<audio controls preload="metadata" src="ep1.mp3"></audio>
<img src="cover.jpg" width="100" height="100">
</main></body></html>
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A served directory with media, a valid feed, a malformed one, one with a 404
    enclosure, and an HTML page."""
    www = tmp_path_factory.mktemp("www")
    make_audio(www / "ep1.mp3", 3)
    make_audio(www / "ep2.m4a", 2, frequency=660)
    make_image(www / "cover.jpg", 300)
    (www / "index.html").write_text(INDEX_HTML)
    (www / "bad.xml").write_text(
        '<?xml version="1.0"?>\n<rss version="2.0"><channel>'
        "<title>Tom & Jerry</title></channel></rss>\n"
    )
    with serve_directory(www) as srv:
        (www / "feed.xml").write_text(_feed_xml(srv.base_url, www))
        (www / "feed404.xml").write_text(_feed_xml(srv.base_url, www, missing_enclosure=True))
        yield srv


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- this checkout


def test_audiofeed_comes_from_this_checkout(tmp_path):
    """conftest pins this checkout first on sys.path and PYTHONPATH (shared Pythons)."""
    import audiofeed

    assert Path(audiofeed.__file__).resolve().parents[1] == REPO_ROOT
    out = subprocess.run(
        [sys.executable, "-c", "import audiofeed; print(audiofeed.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(out).resolve().parents[1] == REPO_ROOT


# --------------------------------------------------------------------------- http


def test_static_server_head_range_conditional(site):
    size = (site.root / "ep1.mp3").stat().st_size
    head = urllib.request.urlopen(urllib.request.Request(site.url("ep1.mp3"), method="HEAD"))
    assert head.status == 200
    assert head.headers["Content-Length"] == str(size)
    assert head.headers["Content-Type"] == "audio/mpeg"
    assert head.headers["Accept-Ranges"] == "bytes"
    assert head.read() == b""

    r = urllib.request.urlopen(
        urllib.request.Request(site.url("ep1.mp3"), headers={"Range": "bytes=0-9"})
    )
    assert r.status == 206
    assert r.headers["Content-Range"] == f"bytes 0-9/{size}"
    assert r.read() == (site.root / "ep1.mp3").read_bytes()[:10]

    r = urllib.request.urlopen(
        urllib.request.Request(site.url("ep1.mp3"), headers={"Range": "bytes=-4"})
    )
    assert r.status == 206 and r.read() == (site.root / "ep1.mp3").read_bytes()[-4:]

    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(
            urllib.request.Request(site.url("ep1.mp3"), headers={"Range": f"bytes={size}-"})
        )
    assert e.value.code == 416
    assert e.value.headers["Content-Range"] == f"bytes */{size}"

    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(
            urllib.request.Request(
                site.url("ep1.mp3"), headers={"If-None-Match": head.headers["ETag"]}
            )
        )
    assert e.value.code == 304

    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(site.url("nope.mp3"))
    assert e.value.code == 404
    assert ("HEAD", "/ep1.mp3") in [(m, p) for m, p, _ in site.requests]


# --------------------------------------------------------------------------- media


@pytest.mark.parametrize("fmt", sorted(AUDIO_FORMATS))
def test_make_audio_formats(tmp_path, fmt):
    codec = {
        "mp3": "mp3",
        "m4a": "aac",
        "m4a-alac": "alac",
        "ogg": "vorbis",
        "opus": "opus",
        "flac": "flac",
        "wav": "pcm_s16le",
    }[fmt]
    p = make_audio(tmp_path / f"a{AUDIO_FORMATS[fmt][2]}", 1.5, fmt)
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "default=nw=1:nk=1",
            str(p),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == codec
    assert abs(probe_duration(p) - 1.5) < 0.1
    # deterministic bytes for the same call
    assert _sha(p) == _sha(make_audio(tmp_path / f"b{AUDIO_FORMATS[fmt][2]}", 1.5, fmt))


def test_make_image_and_speech(tmp_path):
    img = make_image(tmp_path / "cover.jpg", (320, 200))
    dims = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=width,height",
            "-of",
            "csv=p=0",
            str(img),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert dims == "320,200"
    assert img.read_bytes()[:3] == b"\xff\xd8\xff"
    assert make_image(tmp_path / "c.png", 64).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    speech = make_speech(tmp_path / "hello.mp3", "Welcome to the opening keynote.")
    assert probe_duration(speech) > 1.0


# --------------------------------------------------------------------------- SeaweedFS


def test_seaweedfs_auth_public_read_and_range(seaweedfs, site):
    assert os.path.exists(f"/proc/{seaweedfs.pid}")
    s3 = seaweedfs.client()
    s3.create_bucket(Bucket="selftest-support")
    src = site.root / "ep1.mp3"
    s3.upload_file(
        str(src),
        "selftest-support",
        "talks/ep1.mp3",
        ExtraArgs={"ContentType": "audio/mpeg", "CacheControl": "max-age=60"},
    )

    bad = seaweedfs.client(secret_key="wrong-secret")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        bad.put_object(Bucket="selftest-support", Key="x.txt", Body=b"x")
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"

    url = seaweedfs.public_url("selftest-support", "talks/ep1.mp3")
    with pytest.raises(urllib.error.HTTPError) as e:  # anonymous write is refused
        urllib.request.urlopen(
            urllib.request.Request(
                seaweedfs.public_url("selftest-support", "anon.txt"), data=b"x", method="PUT"
            )
        )
    assert e.value.code == 403

    head = urllib.request.urlopen(urllib.request.Request(url, method="HEAD"))
    assert head.status == 200
    assert head.headers["Content-Type"] == "audio/mpeg"
    assert head.headers["Content-Length"] == str(src.stat().st_size)
    assert urllib.request.urlopen(url).read() == src.read_bytes()

    r = urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=0-9"}))
    assert r.status == 206
    assert r.headers["Content-Range"] == f"bytes 0-9/{src.stat().st_size}"
    assert r.read() == src.read_bytes()[:10]


def test_seaweedfs_second_server_and_stop_by_pid(seaweedfs):
    """A second server beside the session one (all ports explicit), stopped by its PID."""
    with run_seaweedfs() as other:
        assert other.endpoint != seaweedfs.endpoint
        assert not set(other.ports.values()) & set(seaweedfs.ports.values())
        other.client().create_bucket(Bucket="selftest-second")
        assert [b["Name"] for b in other.client().list_buckets()["Buckets"]] == ["selftest-second"]
        pid, workdir = other.pid, other.workdir
    assert not os.path.exists(f"/proc/{pid}") or "zombie" in Path(f"/proc/{pid}/status").read_text()
    assert not workdir.exists()
    with pytest.raises(OSError):
        urllib.request.urlopen(other.endpoint + "/", timeout=2)
    assert seaweedfs.alive()


# --------------------------------------------------------------------------- rclone serve s3


def test_rclone_s3_auth_public_read_range_and_stop_by_pid(rclone_s3, site):
    assert os.path.exists(f"/proc/{rclone_s3.pid}") and os.path.exists(
        f"/proc/{rclone_s3.http_pid}"
    )
    s3 = rclone_s3.client()
    s3.create_bucket(Bucket="selftest-support")
    src = site.root / "ep1.mp3"
    s3.upload_file(str(src), "selftest-support", "talks/ep1.mp3")
    bad = rclone_s3.client(secret_key="wrong-secret")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        bad.put_object(Bucket="selftest-support", Key="x.txt", Body=b"x")
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    with pytest.raises(urllib.error.HTTPError):  # unsigned requests to the S3 port: refused
        urllib.request.urlopen(f"{rclone_s3.endpoint}/selftest-support/talks/ep1.mp3")
    url = rclone_s3.public_url("selftest-support", "talks/ep1.mp3")
    with pytest.raises(urllib.error.HTTPError):  # the twin is read-only
        urllib.request.urlopen(urllib.request.Request(url, data=b"x", method="PUT"))
    assert urllib.request.urlopen(url).read() == src.read_bytes()
    r = urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=0-9"}))
    assert r.status == 206 and r.headers["Content-Range"] == f"bytes 0-9/{src.stat().st_size}"

    with run_rclone_s3() as other:  # a second one beside the session's, stopped by its PIDs
        assert other.endpoint != rclone_s3.endpoint
        assert [b["Name"] for b in other.client().list_buckets()["Buckets"]] == []
        pids, workdir = (other.pid, other.http_pid), other.workdir
    for pid in pids:
        assert (
            not os.path.exists(f"/proc/{pid}")
            or "zombie" in Path(f"/proc/{pid}/status").read_text()
        )
    assert not workdir.exists() and rclone_s3.alive()


# --------------------------------------------------------------------------- gPodder


def test_gpo_subscribes_and_downloads_byte_identical(site, tmp_path):
    r = gpo(site.url("feed.xml"), tmp_path).check()
    assert r.ok and r.subscribed
    assert [p.name for p in r.files] == ["ep1.mp3", "ep2.m4a"]
    for p in r.files:
        assert p.parent.name == FEED_TITLE
        assert _sha(p) == _sha(site.root / p.name)
    assert {e["guid"] for e in r.episodes} == {"selftest-ep-1", "selftest-ep-2"}
    ep1 = r.episode("selftest-ep-1")
    assert ep1["title"] == "Opening keynote"
    assert ep1["mime_type"] == "audio/mpeg"
    assert ep1["file_size"] == (site.root / "ep1.mp3").stat().st_size
    assert ep1["total_time"] == 3
    assert r.podcasts[0]["title"] == FEED_TITLE
    assert "selftest-ep-2" in r.stdout  # from `gpo episodes --guid`


def test_gpo_downloads_one_guid(site, tmp_path):
    r = gpo(site.url("feed.xml"), tmp_path, guid="selftest-ep-2").check()
    assert [p.name for p in r.files] == ["ep2.m4a"]


def test_gpo_malformed_feed_is_a_failure(site, tmp_path):
    r = gpo(site.url("bad.xml"), tmp_path)
    assert not r.ok and not r.subscribed
    assert any("Could not parse feed" in e for e in r.errors)
    assert all(c.returncode == 0 for c in r.commands)  # gpo itself says "fine"
    with pytest.raises(GpoError, match="Could not parse feed"):
        r.check()


def test_gpo_download_404_is_a_failure(site, tmp_path):
    r = gpo(site.url("feed404.xml"), tmp_path)
    assert r.subscribed and not r.ok
    assert any("ERROR: HTTP 404" in e for e in r.errors)
    assert [p.name for p in r.files] == ["ep1.mp3"]
    assert "episodes downloaded" in r.commands[-1].stdout  # printed although one 404'd
    with pytest.raises(GpoError, match="HTTP 404"):
        r.check()


def test_gpo_session_conditional_update(site, tmp_path):
    s = GpoSession(tmp_path / "home")
    assert "Successfully added" in s.run("subscribe", site.url("feed.xml")).stdout
    n = len(site.requests)
    s.run("update", site.url("feed.xml"))
    feed_gets = [h for m, p, h in site.requests[n:] if m == "GET" and p == "/feed.xml"]
    assert feed_gets and ("If-None-Match" in feed_gets[-1] or "If-Modified-Since" in feed_gets[-1])
    assert s.result(site.url("feed.xml")).errors == []


# --------------------------------------------------------------------------- parsers


def test_partytime_parses_feed(site):
    pt = partytime(site.url("feed.xml"))
    assert pt.ok, pt.error
    assert pt.channel["title"] == FEED_TITLE
    assert sorted(i["guid"] for i in pt.items) == ["selftest-ep-1", "selftest-ep-2"]
    enclosures = {i["guid"]: i["enclosure"] for i in pt.items}
    assert enclosures["selftest-ep-1"]["url"] == site.url("ep1.mp3")
    assert enclosures["selftest-ep-1"]["type"] == "audio/mpeg"
    assert "locked" in pt.pc20support.get("1", [])  # Podcasting 2.0 tags are recognised
    assert "guid" in pt.pc20support.get("3", [])
    # a file path works too
    assert partytime(site.root / "feed.xml").ok


def test_partytime_rejects_malformed(site):
    pt = partytime(site.url("bad.xml"))
    assert not pt.ok and pt.returncode == 2
    assert pt.error


def test_podcastparser_and_feedparser(site):
    import podcastparser

    feed = podcastparser_parse(site.url("feed.xml"))
    assert feed["title"] == FEED_TITLE
    eps = {e["guid"]: e for e in feed["episodes"]}
    assert eps["selftest-ep-1"]["enclosures"][0]["url"] == site.url("ep1.mp3")
    assert eps["selftest-ep-1"]["total_time"] == 3
    assert podcastparser_parse(site.root / "feed.xml")["title"] == FEED_TITLE
    with pytest.raises(podcastparser.FeedParseError):
        podcastparser_parse(site.url("bad.xml"))

    d = feedparser_parse(site.url("feed.xml"))
    assert d.bozo == 0 and d.version == "rss20"
    assert d.feed.title == FEED_TITLE
    assert {e.id for e in d.entries} == {"selftest-ep-1", "selftest-ep-2"}
    assert feedparser_parse(site.url("bad.xml")).bozo == 1


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def test_chromium_loads_page(browser, site):
    page = browser.new_page()
    try:
        page.goto(site.url("index.html"))
        assert page.evaluate("document.title") == "Selftest archive"
        duration = page.evaluate("""async () => {
            const a = document.querySelector('audio');
            if (a.readyState < 1) await new Promise((ok, bad) => {
                a.addEventListener('loadedmetadata', ok); a.addEventListener('error', bad); });
            return a.duration; }""")
        assert abs(duration - 3) < 0.3
    finally:
        page.close()


def test_axe_runs(browser, site):
    assert AXE_JS.is_file()
    page = browser.new_page()
    try:
        page.goto(site.url("index.html"))
        t = time.monotonic()
        violations = run_axe(page)
        assert time.monotonic() - t < 30
        by_id = {v["id"]: v for v in violations}
        assert "image-alt" in by_id, sorted(by_id)  # the <img> has no alt text
        assert by_id["image-alt"]["impact"] == "critical"
    finally:
        page.close()
