"""A publish that finds nothing to do decides so cheaply — and only when that is true.

The fast answer comes from ``.audiofeed/published.json`` (a stamp of every input and the
sha256 of the manifest last published) and one look at the destination. Any change to an
input, to the published manifest or to a published file means the full publish runs.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audiofeed.errors import StorageError
from audiofeed.storage.base import RemoteSettings
from audiofeed.storage.s3 import S3Backend
from tests.s3_show import Show, make_show, new_bucket, s3_env, use_s3_env
from tests.support.cli import run

#: what a no-op publish never loads: the build's libraries and stages
HEAVY = ("feedgen", "mutagen", "lxml", "jinja2", "markdown_it")
NOT_FOR_A_NO_OP = {
    "audiofeed.publish.pipeline",
    "audiofeed.publish.build",
    "audiofeed.feed",
    "audiofeed.site",
}


def imported_by_audiofeed(stderr: str) -> set[str]:
    """The modules in a ``-X importtime`` report imported after the interpreter's own start
    (``runpy`` runs ``-m audiofeed``; the machine's site imports come before it)."""
    names = [
        line.split("|")[-1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:")
    ]
    return set(names[names.index("runpy") :]) if "runpy" in names else set(names)


def publish_importing(
    show: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """``audiofeed publish`` with -X importtime: the output and the top-level modules loaded."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "audiofeed", "publish"],
        cwd=show,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    modules = {name.split(".")[0] for name in imported_by_audiofeed(proc.stderr)}
    return proc, modules


def test_second_publish_is_decided_without_building(show: Path) -> None:
    first = run("publish", cwd=show, check=True)
    assert first.stdout.startswith("uploaded ")
    proc, modules = publish_importing(show)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("nothing changed: ") and "objects already up to date at" in lines[0]
    assert lines[1:] == first.stdout.splitlines()[1:]  # feed and archive addresses
    assert not modules & set(HEAVY), modules & set(HEAVY)
    loaded = imported_by_audiofeed(proc.stderr)
    assert "audiofeed.publish.unchanged" in loaded
    assert not loaded & NOT_FOR_A_NO_OP, sorted(loaded & NOT_FOR_A_NO_OP)


def test_edited_config_runs_the_full_publish(show: Path) -> None:
    """The record is found without reading config.toml; config.toml is one of the inputs."""
    run("publish", cwd=show, check=True)
    config = show / "config.toml"
    config.write_text(
        config.read_text().replace(
            'base_url = "http://127.0.0.1:8000/"', 'base_url = "https://media.example.org/"'
        )
    )
    proc = run("publish", cwd=show, check=True)
    assert proc.stdout.startswith("uploaded ")
    assert "feed: https://media.example.org/feed.xml" in proc.stdout
    again, _ = publish_importing(show)
    assert again.stdout.startswith("nothing changed: ")
    assert "feed: https://media.example.org/feed.xml" in again.stdout


def test_environment_settings_are_part_of_the_record(show: Path) -> None:
    run("publish", cwd=show, check=True)
    env = {**os.environ, "AWS_REGION": "eu-west-3"}
    proc, _ = publish_importing(show, env=env)
    assert "reading published state" in proc.stderr  # another request: the full publish
    again, _ = publish_importing(show, env=env)
    assert "reading published state" not in again.stderr
    assert again.stdout.startswith("nothing changed: ")


def test_a_record_it_cannot_use_means_the_full_publish(show: Path) -> None:
    """An unreadable record, or one written by an older audiofeed (keyed otherwise), only
    costs the full check once."""
    run("publish", cwd=show, check=True)
    record = show / ".audiofeed" / "published.json"
    for text in ('{"[\\"old key\\"]": {"inputs": "x"}}', "not json", "[]"):
        record.write_text(text)
        proc, _ = publish_importing(show)
        assert "reading published state" in proc.stderr, text
        again, _ = publish_importing(show)
        assert again.stdout.startswith("nothing changed: "), text


def test_another_config_file_is_its_own_record(show: Path) -> None:
    run("publish", cwd=show, check=True)
    other = show / "other.toml"
    other.write_text((show / "config.toml").read_text().replace('"public"', '"public-other"'))
    proc = run("-c", str(other), "publish", cwd=show, check=True)
    assert proc.stdout.startswith("uploaded ")
    assert (show / "public-other" / "feed.xml").is_file()
    assert "reading published state" in run("publish", cwd=show, check=True).stderr  # new files
    again = run("-c", str(other), "publish", cwd=show, check=True)
    assert "reading published state" not in again.stderr  # quick: the same inputs as the run before


def test_edited_episode_runs_the_full_publish(show: Path) -> None:
    run("publish", cwd=show, check=True)
    episode = sorted((show / "episodes").glob("0*.md"))[0]
    episode.write_text(episode.read_text() + "\nOne more sentence.\n")
    proc = run("publish", cwd=show, check=True)
    assert proc.stdout.startswith("uploaded ")
    assert "feed.xml" in proc.stderr
    again, _ = publish_importing(show)
    assert again.stdout.startswith("nothing changed: ")


def test_a_deleted_published_file_is_put_back(show: Path) -> None:
    run("publish", cwd=show, check=True)
    (show / "public" / "feed.xml").unlink()
    proc = run("publish", cwd=show, check=True)
    # the feed, and the manifest: a write in place happens only under a commit
    assert proc.stdout.startswith("uploaded 2 objects")
    assert (show / "public" / "feed.xml").is_file()


def test_a_changed_published_manifest_runs_the_full_publish(show: Path) -> None:
    run("publish", cwd=show, check=True)
    manifest = show / "public" / ".audiofeed" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"version"', '"version" ', 1))
    proc = run("publish", cwd=show, check=True)
    assert "reading published state" in proc.stderr
    # the same content in other bytes: the manifests are compared by what they say
    assert proc.stdout.startswith("nothing changed: ")
    again = run("publish", cwd=show, check=True)  # recorded as it is live: the quick answer
    assert again.stdout.startswith("nothing changed: ") and not again.stderr


def test_other_options_are_their_own_record(show: Path) -> None:
    run("publish", cwd=show, check=True)
    proc = run("publish", "--base-url", "https://cdn.example.org/soc22", cwd=show, check=True)
    assert proc.stdout.startswith("uploaded ")  # every URL in the feed and pages changed
    assert "feed: https://cdn.example.org/soc22/feed.xml" in proc.stdout
    proc = run("publish", "--dry-run", cwd=show, check=True)
    assert "total: " in proc.stdout  # a dry run always shows the real plan


# -- S3 ------------------------------------------------------------------------------------


def s3_subprocess_env(server) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({k: v for k, v in s3_env(server).items() if v is not None})
    return env


def publish_s3_importing(show: Show) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "audiofeed", "-c", str(show.config), "publish"],
        cwd=show.root,
        env=s3_subprocess_env(show.server),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return proc, imported_by_audiofeed(proc.stderr)


def test_s3_no_op_is_one_head_and_no_build(tmp_path: Path, seaweedfs) -> None:  # type: ignore[no-untyped-def]
    show = make_show(tmp_path, seaweedfs, new_bucket(seaweedfs), prefix="noop")
    result = show.run("publish")
    assert result.exit_code == 0, result.output
    proc, modules = publish_s3_importing(show)
    assert proc.stdout.startswith("nothing changed: ")
    assert f"at s3://{show.bucket}/noop ({seaweedfs.endpoint})" in proc.stdout.splitlines()[0]
    top = {name.split(".")[0] for name in modules}
    assert not top & set(HEAVY), top & set(HEAVY)
    assert "boto3" in top  # the one HEAD goes through boto3, the only S3 client
    assert not modules & NOT_FOR_A_NO_OP, sorted(modules & NOT_FOR_A_NO_OP)


def test_s3_manifest_changed_remotely_runs_the_full_publish(tmp_path: Path, seaweedfs) -> None:  # type: ignore[no-untyped-def]
    show = make_show(tmp_path, seaweedfs, new_bucket(seaweedfs), prefix="moved")
    assert show.run("publish").exit_code == 0
    # someone else published from another machine: another manifest is live
    client = seaweedfs.client()
    body = show.get(".audiofeed/manifest.json").replace(b'"version"', b'"version" ', 1)
    client.put_object(
        Bucket=show.bucket,
        Key=show.key(".audiofeed/manifest.json"),
        Body=body,
        Metadata={"sha256": hashlib.sha256(body).hexdigest()},
    )
    proc, _ = publish_s3_importing(show)
    assert "reading published state from" in proc.stderr  # the full publish ran
    # it says what ours says (manifests are compared by content): nothing to write
    assert proc.stdout.startswith("nothing changed: ")


def test_upload_is_checked_by_the_server(
    tmp_path: Path,
    seaweedfs,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sha256 computed while building is the upload's checksum: bytes that do not match
    it are refused by the destination, never stored."""
    bucket = new_bucket(seaweedfs)
    use_s3_env(monkeypatch, seaweedfs)
    backend = S3Backend(
        f"s3://{bucket}/direct",
        RemoteSettings(endpoint_url=seaweedfs.endpoint, region="us-east-1"),
    )
    path = tmp_path / "a.mp3"
    path.write_bytes(b"\xff\xfb" + os.urandom(50_000))
    right = hashlib.sha256(path.read_bytes()).hexdigest()
    stored = backend.put("a.mp3", path, content_type="audio/mpeg", cache_control="x", sha256=right)
    assert stored is not None and stored.sha256 == right  # verified in transit: no HEAD needed
    head = seaweedfs.client().head_object(Bucket=bucket, Key="direct/a.mp3", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == base64.b64encode(bytes.fromhex(right)).decode()
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(StorageError, match="changed while publishing"):
        backend.put("b.mp3", path, content_type="audio/mpeg", cache_control="x", sha256=wrong)
    assert "direct/b.mp3" not in {
        o["Key"] for o in seaweedfs.client().list_objects_v2(Bucket=bucket).get("Contents", [])
    }


def test_full_check_puts_back_an_object_deleted_behind_our_back(tmp_path: Path, seaweedfs) -> None:  # type: ignore[no-untyped-def]
    show = make_show(tmp_path, seaweedfs, new_bucket(seaweedfs), prefix="gone")
    assert show.run("publish").exit_code == 0
    audio = sorted(k for k in show.objects() if k.startswith("audio/"))[0]
    seaweedfs.client().delete_object(Bucket=show.bucket, Key=show.key(audio))
    quick, _ = publish_s3_importing(show)  # the manifest is unchanged: the quick answer
    assert quick.stdout.startswith("nothing changed: ")
    env = {**s3_env(seaweedfs), "AUDIOFEED_FULL_CHECK": "1"}
    result = show.run("publish", env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("uploaded 1 objects")
    assert audio in show.objects()
