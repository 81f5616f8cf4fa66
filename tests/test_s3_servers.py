"""The same publish on two independent S3 implementations: SeaweedFS and ``rclone serve s3``.

Publish, republish (uploads nothing), resume after ``kill -9`` and prune must behave the
same on both: boto3 is the only S3 client, so what differs is the servers alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import podcastparser
import pytest

from tests.s3_show import REPO, Show, make_big_mp3, make_show, new_bucket, s3_env

SERVERS = ["seaweedfs", "rclone_s3"]


@pytest.fixture(params=SERVERS)
def server(request):  # type: ignore[no-untyped-def]
    return request.getfixturevalue(request.param)


@pytest.fixture
def show(tmp_path: Path, server) -> Show:  # type: ignore[no-untyped-def]
    return make_show(tmp_path, server, new_bucket(server), prefix="week")


def feed_guids(show: Show) -> list[str]:
    feed = podcastparser.parse("feed.xml", __import__("io").BytesIO(show.get("feed.xml")))
    return sorted(e["guid"] for e in feed["episodes"])


def test_publish_then_republish_uploads_nothing(show: Show) -> None:
    first = show.publish_json()
    keys = {a["key"] for a in first["upload"]}
    assert {"feed.xml", ".audiofeed/manifest.json"} <= keys
    assert len([k for k in keys if k.startswith("audio/")]) == 6
    listed = show.objects()
    assert keys <= set(listed)
    for a in first["upload"]:
        assert listed[a["key"]]["Size"] == a["size"]
    assert len(feed_guids(show)) == 6
    again = show.publish_json()
    assert again["upload"] == []
    assert show.objects() == listed  # not one object rewritten


def test_kill_9_mid_upload_then_resume(show: Show, tmp_path: Path) -> None:
    """A publish killed while a large recording is on its way: the next run finishes, and
    what had arrived whole is not sent again."""
    make_big_mp3(show.root / "recordings/06-beyond-impact-bonds.mp3", tmp_path, megabytes=20)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({k: v for k, v in s3_env(show.server).items() if v is not None})
    env["PYTHONPATH"] = str(REPO)
    env["AUDIOFEED_S3_MAX_BANDWIDTH"] = str(4_000_000)  # ~5 s for the big file
    proc = subprocess.Popen(
        [sys.executable, "-m", "audiofeed", "-c", str(show.config), "publish"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        arrived: set[str] = set()
        while time.monotonic() < deadline and proc.poll() is None:
            arrived = {k for k in show.objects() if k.startswith("audio/")}
            if len(arrived) >= 2:  # small recordings went up; the big one is in flight
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the publish finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    assert "feed.xml" not in show.objects()  # nothing went live
    before = show.objects()
    resumed = show.publish_json()
    sent = {a["key"] for a in resumed["upload"]}
    assert not (sent & {k for k in arrived if k in before})  # whole objects are kept
    assert len(feed_guids(show)) == 6
    assert show.publish_json()["upload"] == []


def test_prune_deletes_only_what_nothing_refers_to(show: Show) -> None:
    show.publish_json()
    episode = show.root / "episodes" / "04-public-procurement.md"
    old_audio = {k for k in show.objects() if k.startswith("audio/public-procurement-")}
    episode.write_text(episode.read_text().replace('title = "', 'title = "Renamed: ', 1))
    show.server.client().put_object(Bucket=show.bucket, Key=show.key("notes.txt"), Body=b"x")
    report = show.publish_json("--prune")
    deleted = {a["key"] for a in report["delete"]}
    assert old_audio <= deleted  # re-tagged: the old copy is referenced by nothing
    listed = show.objects()
    assert "notes.txt" in listed  # not audiofeed's: never pruned
    assert not (deleted & set(listed))
    assert len(feed_guids(show)) == 6
