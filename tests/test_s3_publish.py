"""Publishing the demo show to a real S3 server (SeaweedFS, auth on, anonymous read)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import podcastparser
import pytest

from audiofeed.publish.remote_check import check_remote
from audiofeed.storage.types import (
    MEDIA_CACHE,
    SHORT_CACHE,
    cache_control_for,
    content_type_for,
)
from tests.s3_show import (
    REPO,
    Show,
    make_big_mp3,
    make_mp3,
    make_show,
    new_bucket,
    s3_env,
    set_description,
)
from tests.support.media import probe_duration

MANIFEST = ".audiofeed/manifest.json"


@pytest.fixture(scope="session")
def bucket(seaweedfs) -> str:
    """One bucket for the session (a new bucket costs SeaweedFS seconds); a prefix per test."""
    return new_bucket(seaweedfs)


@pytest.fixture
def show(tmp_path: Path, seaweedfs, bucket: str) -> Show:
    return make_show(tmp_path, seaweedfs, bucket, prefix=f"shows/{tmp_path.name}")


@pytest.fixture
def published(show: Show) -> tuple[Show, dict]:
    """The demo show, published once."""
    return show, show.publish_json()


def uploads(report: dict) -> list[str]:
    return sorted(a["key"] for a in report["upload"])


def uploaded_files(report: dict) -> list[str]:
    """Uploaded keys of the media and asset stages (recordings, art, transcripts …): what a
    text-only change must never upload again. Pages, feeds and the manifest are cheap, and
    so is the search index (pagefind/), which changes with the pages it indexes."""
    return sorted(
        a["key"]
        for a in report["upload"]
        if a["stage"] in ("media", "asset") and not a["key"].startswith("pagefind/")
    )


def listed_keys(show: Show) -> set[str]:
    return set(show.objects())


def audio_keys(report: dict) -> list[str]:
    return sorted(k for k in [*uploads(report), *report["skip"]] if k.startswith("audio/"))


def test_first_publish_uploads_everything_with_metadata(published: tuple[Show, dict]) -> None:
    show, report = published
    assert report["ok"] and not report["dry_run"]
    assert report["destination"].startswith(f"s3://{show.bucket}/{show.prefix} ")
    keys = uploads(report)
    assert "feed.xml" in keys and MANIFEST in keys and len(audio_keys(report)) == 6
    # bytes reported = bytes the server holds
    listed = show.objects()
    assert sorted(listed) == keys
    assert report["applied"]["uploaded_bytes"] == sum(o["Size"] for o in listed.values())
    assert report["totals"]["upload_bytes"] == report["applied"]["uploaded_bytes"]
    # order: media, then the feeds, the manifest last
    stages = [a["stage"] for a in report["upload"]]
    assert stages == sorted(stages, key=["media", "asset", "page", "feed", "manifest"].index)
    assert report["upload"][-1]["key"] == MANIFEST
    assert {a["key"] for a in report["upload"] if a["stage"] == "feed"} >= {"feed.xml"}
    client = show.server.client()
    for key in keys:
        head = client.head_object(Bucket=show.bucket, Key=show.key(key), ChecksumMode="ENABLED")
        body = show.get(key)
        assert head["Metadata"]["sha256"] == hashlib.sha256(body).hexdigest()
        # checksummed in transit and checked by the server: the sha256 computed while
        # building (direct PUT), or the SDK's CRC32; the manifest's conditional write
        # (boto3 put_object) sends Content-MD5
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        md5 = hashlib.md5(body).hexdigest()
        assert (
            head.get("ChecksumSHA256") == digest
            or head.get("ChecksumCRC32")
            or (key == MANIFEST and head["ETag"].strip('"') == md5)
        ), key
        expected = {
            ".mp3": ("audio/mpeg", MEDIA_CACHE),
            ".m4a": ("audio/x-m4a", MEDIA_CACHE),
            ".jpg": ("image/jpeg", MEDIA_CACHE),
            ".xml": ("application/rss+xml", SHORT_CACHE),
        }.get(Path(key).suffix, (content_type_for(key), cache_control_for(key)))
        if key.endswith(".chapters.json"):
            expected = ("application/json+chapters", expected[1])
        assert (head["ContentType"], head["CacheControl"]) == expected, key


def test_noop_republish_uploads_zero_bytes(published: tuple[Show, dict]) -> None:
    show, _ = published
    before = show.objects()
    report = show.publish_json()
    assert report["upload"] == [] and report["delete"] == []
    assert report["totals"]["upload_bytes"] == 0 and report["applied"]["uploaded_bytes"] == 0
    assert sorted(report["skip"]) == sorted(before)
    assert show.objects() == before  # same ETags and modification times on the server
    result = show.run("publish")
    assert result.exit_code == 0
    assert f"nothing changed: {len(before)} objects already up to date" in result.stdout


def test_dry_run_prints_the_plan_the_real_run_executes(show: Show) -> None:
    result = show.run("publish", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    planned = [line.split()[1] for line in lines if line.startswith("upload ")]
    total = next(line for line in lines if line.startswith("total: "))
    assert show.objects() == {}  # nothing uploaded
    report = show.publish_json()
    assert planned == [a["key"] for a in report["upload"]]
    assert total == (
        f"total: {len(planned)} to upload ({report['totals']['upload_bytes']:,} bytes), "
        "0 unchanged, 0 to delete"
    )


def test_anonymous_read_and_range_of_every_enclosure(published: tuple[Show, dict]) -> None:
    show, _ = published
    feed_url = show.base_url + "feed.xml"
    with urllib.request.urlopen(feed_url) as resp:  # anonymous: no credentials at all
        parsed = podcastparser.parse(feed_url, resp)
    episodes = parsed["episodes"]
    assert len(episodes) == 6
    for ep in episodes:
        enc = ep["enclosures"][0]
        req = urllib.request.Request(enc["url"], headers={"Range": "bytes=0-9"})
        with urllib.request.urlopen(req) as resp:
            assert resp.status == 206
            assert resp.headers["Content-Range"] == f"bytes 0-9/{enc['file_size']}"
            assert len(resp.read()) == 10
        with urllib.request.urlopen(urllib.request.Request(enc["url"], method="HEAD")) as resp:
            assert int(resp.headers["Content-Length"]) == enc["file_size"]
            assert resp.headers["Content-Type"] == enc["mime_type"]
    # one episode downloaded byte-identical to the tagged copy that was built
    enc = episodes[0]["enclosures"][0]
    with urllib.request.urlopen(enc["url"]) as resp:
        data = resp.read()
    key = enc["url"][len(show.base_url) :]
    assert data == (show.root / ".audiofeed/build" / key).read_bytes()
    # and the CLI's own remote check agrees
    result = show.run("check", "--remote")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"ok: {show.base_url}feed.xml")
    assert " and 6 enclosure(s) reachable anonymously (HEAD 200, Range 206" in result.stdout
    # an anonymous write is refused: the bucket is public-read, not public-write
    req = urllib.request.Request(show.base_url + "x.txt", data=b"x", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req)
    assert err.value.code == 403


def test_gpodder_subscribes_to_the_bucket_and_downloads_identical_bytes(
    published: tuple[Show, dict], tmp_path: Path
) -> None:
    """A real podcast client (gPodder's gpo) against the feed served from the bucket."""
    from tests.support.clients import gpo

    show, _ = published
    feed_url = show.base_url + "feed.xml"
    feed = podcastparser.parse(feed_url, _bytes_io(show.get("feed.xml")))
    first = feed["episodes"][0]
    result = gpo(feed_url, tmp_path, guid=first["guid"]).check()
    assert len(result.episodes) == 6
    assert {e["guid"] for e in result.episodes} == {e["guid"] for e in feed["episodes"]}
    (downloaded,) = result.files
    key = first["enclosures"][0]["url"][len(show.base_url) :]
    assert downloaded.read_bytes() == show.get(key)
    assert downloaded.read_bytes() == (show.root / ".audiofeed/build" / key).read_bytes()


def test_changed_description_uploads_only_the_feed(published: tuple[Show, dict]) -> None:
    show, _ = published
    before = show.objects()
    set_description(show.root / "episodes/02-impact-bond-model.md", "A **new** description.")
    report = show.publish_json()
    assert "feed.xml" in uploads(report)
    assert "episodes/impact-bond-model.html" in uploads(report)  # its archive page
    assert uploaded_files(report) == []  # no media, no art
    after = show.objects()
    for key, obj in before.items():
        if key.startswith(("audio/", "images/")):
            assert after[key] == obj, key  # untouched on the server
    assert b"A <strong>new</strong> description." in show.get("feed.xml") or (
        b"A &lt;strong&gt;new&lt;/strong&gt; description." in show.get("feed.xml")
    )


def test_replaced_recording_new_url_same_guid_then_prune(
    published: tuple[Show, dict], tmp_path: Path
) -> None:
    show, first = published
    old_feed = podcastparser.parse("feed.xml", _bytes_io(show.get("feed.xml")))
    make_mp3(show.root / "recordings/04-public-procurement.mp3", 3, freq=660)
    before = show.objects()
    report = show.publish_json()
    new_keys = [k for k in uploads(report) if k.startswith("audio/")]
    assert len(new_keys) == 1 and new_keys[0].startswith("audio/public-procurement-")
    assert "feed.xml" in uploads(report)
    assert uploaded_files(report) == new_keys
    assert report["applied"]["uploaded_bytes"] == sum(a["size"] for a in report["upload"])
    (old_key,) = [k for k in audio_keys(first) if k.startswith("audio/public-procurement-")]
    assert old_key != new_keys[0]
    assert show.objects()[old_key] == before[old_key]  # the old URL still serves the old bytes
    new_feed = podcastparser.parse("feed.xml", _bytes_io(show.get("feed.xml")))
    old_ep = next(e for e in old_feed["episodes"] if old_key in e["enclosures"][0]["url"])
    new_ep = next(e for e in new_feed["episodes"] if new_keys[0] in e["enclosures"][0]["url"])
    assert old_ep["guid"] == new_ep["guid"]
    # someone else's object under the prefix is never pruned
    show.server.client().put_object(Bucket=show.bucket, Key=show.key("notes.txt"), Body=b"hi")
    dry = show.run("publish", "--prune", "--dry-run")
    assert f"delete  {old_key}" in dry.stdout and "notes.txt" not in dry.stdout
    report = show.publish_json("--prune")
    # deletions happen only under a commit (the manifest's conditional write), so a
    # prune cannot race another publisher
    assert [(a["key"], a["reason"]) for a in report["upload"]] == [(MANIFEST, "commit")]
    deleted = [a["key"] for a in report["delete"]]
    # and the search index files the new page replaced (its length changed)
    assert [k for k in deleted if not k.startswith("pagefind/")] == [old_key]
    assert all(k not in listed_keys(show) for k in deleted)
    assert report["totals"]["foreign_objects"] == 1
    listed = show.objects()
    assert old_key not in listed and "notes.txt" in listed and new_keys[0] in listed
    assert check_remote(show.base_url + "feed.xml").problems == []


def test_fresh_clone_without_local_state_publishes_nothing(
    published: tuple[Show, dict], tmp_path: Path
) -> None:
    show, _ = published
    clone = Show(tmp_path / "clone", show.server, show.bucket, show.prefix)
    shutil.copytree(show.root, clone.root, ignore=shutil.ignore_patterns(".audiofeed"))
    assert not (clone.root / ".audiofeed").exists()
    before = show.objects()
    report = clone.publish_json()
    assert report["upload"] == [] and report["applied"]["uploaded_bytes"] == 0
    assert show.objects() == before
    # and a change made on the clone moves only what it should
    set_description(clone.root / "episodes/01-outcomes-measurement.md", "Edited on a laptop.")
    report = clone.publish_json()
    assert "feed.xml" in uploads(report)
    assert uploaded_files(report) == []


def test_missing_bucket_is_one_clear_line(show: Show) -> None:
    result = show.run("publish", "--to", "s3://no-such-bucket/x")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "error: publish.destination: bucket 'no-such-bucket' does not exist at "
        f"{show.server.endpoint}; create it or fix publish.destination"
    )


@pytest.mark.parametrize("verbose", [False, True])
def test_wrong_credentials_never_show_the_secret(show: Show, verbose: bool) -> None:
    secret = "WrongSecretKey+Zz9/NeverPrintMe42"
    env = s3_env(show.server, secret=secret)
    args = ["-v", "publish"] if verbose else ["publish"]
    result = show.run(*args, env=env)
    assert result.exit_code == 1
    last = result.stderr.splitlines()[-1]
    assert last == (
        f"error: credentials rejected by {show.server.endpoint} (SignatureDoesNotMatch): "
        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile "
        "(credentials never go in config.toml)"
    )
    for text in (result.stdout, result.stderr):
        assert secret not in text and show.server.access_key not in text
    assert ("Traceback" in result.stderr) == verbose
    # unknown access key, with --json: same line, in JSON, no secret either
    env = s3_env(show.server, access="AKIDUNKNOWNKEY0000", secret=secret)
    result = show.run("publish", "--json", env=env)
    assert result.exit_code == 1
    assert '"ok": false' in result.stdout and "credentials rejected" in result.stdout
    assert secret not in result.output and "AKIDUNKNOWNKEY0000" not in result.output


def test_secrets_absent_from_successful_verbose_output(show: Show) -> None:
    result = show.run("-v", "publish", "--json")
    assert result.exit_code == 0
    assert show.server.secret_key not in result.output
    assert show.server.access_key not in result.output


def test_no_credentials_and_unreachable_endpoint(show: Show) -> None:
    env = {**s3_env(show.server), "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}
    result = show.run("publish", env=env)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"error: no usable credentials for {show.server.endpoint}: set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or pass --profile (credentials never go in config.toml)"
    )
    text = show.config.read_text().replace(show.server.endpoint, "http://127.0.0.1:9")
    show.config.write_text(text)
    result = show.run("publish")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "error: cannot reach http://127.0.0.1:9 (EndpointConnectionError); check "
        "publish.endpoint_url and your network"
    )
    result = show.run("publish", "--profile", "organiser")
    assert result.stderr.splitlines()[-1] == (
        "error: --profile: profile 'organiser' not found in the AWS shared config files"
    )


def test_standard_endpoint_variable_and_acl(tmp_path: Path, seaweedfs, bucket: str) -> None:
    """AWS_ENDPOINT_URL works when config.toml leaves endpoint_url out; acl and storage
    class are accepted; a bad bandwidth cap is one clear line."""
    show = make_show(
        tmp_path,
        seaweedfs,
        bucket,
        prefix=f"x/{tmp_path.name}",
        acl="public-read",
        storage_class="STANDARD",
    )
    text = show.config.read_text().replace(f'endpoint_url = "{seaweedfs.endpoint}"\n', "")
    show.config.write_text(text)
    env = {**s3_env(seaweedfs), "AWS_ENDPOINT_URL": seaweedfs.endpoint}
    result = show.run("publish", env=env)
    assert result.exit_code == 0, result.output
    assert f"to s3://{show.bucket}/{show.prefix} ({seaweedfs.endpoint})" in result.stdout
    assert "feed.xml" in show.objects()
    result = show.run("publish", env={**env, "AUDIOFEED_S3_MAX_BANDWIDTH": "5MB"})
    assert result.stderr.splitlines()[-1] == (
        "error: AUDIOFEED_S3_MAX_BANDWIDTH: '5MB' is not a number of bytes per second "
        "(e.g. 5000000)"
    )


def interrupt(show: Show, first: dict, sig: int) -> tuple[str, str, float]:
    """Run ``audiofeed publish`` in a subprocess and send ``sig`` once the new small
    recording has arrived and the big one is mid multipart upload. Returns the output,
    the small recording's key and the seconds the process took to exit after the signal."""
    client = show.server.client()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({k: v for k, v in s3_env(show.server).items() if v is not None})
    env["PYTHONPATH"] = str(REPO)
    # ~5 s for the 72 MB recording (over the single-PUT limit): room to interrupt
    env["AUDIOFEED_S3_MAX_BANDWIDTH"] = str(15_000_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "audiofeed", "-c", str(show.config), "publish"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    small, in_flight = None, []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            new = [k for k in show.objects() if k.startswith("audio/outcomes-measurement-")]
            small = next((k for k in new if k not in audio_keys(first)), None)
            in_flight = client.list_multipart_uploads(
                Bucket=show.bucket, Prefix=show.prefix + "/"
            ).get("Uploads", [])
            if small and in_flight:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        assert small and in_flight, "never saw the upload in flight"
        os.kill(proc.pid, sig)
        signalled = time.monotonic()
        output = proc.communicate(timeout=30)[0].decode()
        return output, small, time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_interrupted_publish_keeps_old_feed_and_resumes(
    published: tuple[Show, dict], tmp_path: Path
) -> None:
    """Ctrl+C, then kill -9, in the middle of a multipart upload: the old feed stays live
    and consistent; the next run skips what already arrived (its sha256 metadata)."""
    show, first = published
    old_feed, old_manifest = show.get("feed.xml"), show.get(MANIFEST)
    make_big_mp3(show.root / "recordings/06-beyond-impact-bonds.mp3", tmp_path, megabytes=72)
    small_source = show.root / "recordings/01-outcomes-measurement.mp3"
    make_mp3(small_source, probe_duration(small_source) + 0.5, freq=550)  # chapters still fit
    client = show.server.client()

    def consistent() -> None:
        assert show.get("feed.xml") == old_feed
        # the old manifest: the run is interrupted during its media, and the commit (the
        # manifest's conditional write) comes after them (docs/reliability.md)
        now, old = json.loads(show.get(MANIFEST)), json.loads(old_manifest)
        assert now["media"] == old["media"] and now["objects"].items() <= old["objects"].items()
        assert check_remote(show.base_url + "feed.xml").problems == []  # every enclosure
        big = [k for k in show.objects() if k.startswith("audio/beyond-impact-bonds-")]
        assert big == [k for k in audio_keys(first) if k.startswith("audio/beyond-impact")]

    # Ctrl+C: the upload stops at once and its multipart upload is aborted
    output, small, seconds = interrupt(show, first, signal.SIGINT)
    assert output.splitlines()[-1] == (
        "error: interrupted; the previously published feed is unchanged"
    )
    assert seconds < 5, seconds
    assert (
        client.list_multipart_uploads(Bucket=show.bucket, Prefix=show.prefix + "/").get(
            "Uploads", []
        )
        == []
    )
    consistent()
    # kill -9: no chance to clean up, still consistent
    interrupt(show, first, signal.SIGKILL)
    consistent()
    # resume: the small recording already there is verified, not uploaded again
    report = show.publish_json()
    up = uploads(report)
    assert small in report["skip"]
    big = [k for k in up if k.startswith("audio/beyond-impact-bonds-")]
    assert len(big) == 1 and "feed.xml" in up
    assert uploaded_files(report) == big
    assert report["applied"]["uploaded_bytes"] > 28_000_000
    assert check_remote(show.base_url + "feed.xml").problems == []
    built = (show.root / ".audiofeed/build" / big[0]).read_bytes()
    head = client.head_object(Bucket=show.bucket, Key=show.key(big[0]))
    assert head["ContentLength"] == len(built)
    assert head["Metadata"]["sha256"] == hashlib.sha256(built).hexdigest()
    assert show.publish_json()["upload"] == []


def _bytes_io(data: bytes):  # type: ignore[no-untyped-def]
    import io

    return io.BytesIO(data)


def test_check_remote_reports_a_wrong_type_and_a_wrong_base_url(
    published: tuple[Show, dict],
) -> None:
    show, report = published
    key = next(k for k in audio_keys(report) if k.endswith(".mp3"))
    client = show.server.client()
    body = show.get(key)
    client.put_object(
        Bucket=show.bucket, Key=show.key(key), Body=body, ContentType="binary/octet-stream"
    )
    (transcript,) = [k for k in show.objects() if k.startswith("transcripts/")]
    client.delete_object(Bucket=show.bucket, Key=show.key(transcript))
    result = show.run("check", "--remote")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {show.base_url}{key}: served as 'binary/octet-stream', the feed says 'audio/mpeg'",
        f"error: {show.base_url}{transcript}: HTTP 404 for an anonymous HEAD",
        "2 problem(s) found",
    ]
    result = show.run("check", "--remote", "--base-url", show.base_url + "nope/")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {show.base_url}nope/feed.xml: HTTP 404 for an anonymous GET"
    )


MEMORY_SCRIPT = """
import resource, sys
from pathlib import Path
from audiofeed.storage.base import RemoteSettings
from audiofeed.storage.s3 import S3Backend
endpoint, bucket, *paths = sys.argv[1:]
settings = RemoteSettings(endpoint_url=endpoint, region="us-east-1")
backend = S3Backend(f"s3://{bucket}/memory", settings)
for path in map(Path, paths):
    backend.put(path.name, path, content_type="audio/mpeg", cache_control="x", sha256="0")
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)  # peak so far, MB
"""


def test_upload_memory_does_not_grow_with_file_size(
    seaweedfs,
    bucket: str,
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({k: v for k, v in s3_env(seaweedfs).items() if v is not None})
    env["PYTHONPATH"] = str(REPO)
    paths = []
    for megabytes in (5, 60):  # the small one first: its peak includes the SDK's own memory
        path = tmp_path / f"{megabytes}.mp3"
        with open(path, "wb") as f:
            for _ in range(megabytes):
                f.write(os.urandom(1_000_000))
        paths.append(path)
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, seaweedfs.endpoint, bucket, *map(str, paths)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    small, big = map(int, out.stdout.split())
    assert big - small < 20, (small, big)  # 55 MB more file, far less than 55 MB more RAM
    for path in paths:
        head = seaweedfs.client().head_object(Bucket=bucket, Key=f"memory/{path.name}")
        assert head["ContentLength"] == path.stat().st_size


def test_profile_from_shared_credentials_file(show: Show, tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.write_text(
        f"[organiser]\naws_access_key_id = {show.server.access_key}\n"
        f"aws_secret_access_key = {show.server.secret_key}\n"
    )
    env = {
        **s3_env(show.server),
        "AWS_ACCESS_KEY_ID": None,
        "AWS_SECRET_ACCESS_KEY": None,
        "AWS_SHARED_CREDENTIALS_FILE": str(creds),
    }
    result = show.run("-v", "publish", "--profile", "organiser", env=env)
    assert result.exit_code == 0, result.output
    listed = show.objects()
    assert f"uploaded {len(listed)} objects" in result.stdout and "feed.xml" in listed
    assert show.server.secret_key not in result.output
    env["AWS_PROFILE"] = "ghost"
    result = show.run("publish", env=env)
    assert result.stderr.splitlines()[-1] == (
        "error: AWS_PROFILE: profile 'ghost' not found in the AWS shared config files"
    )
