"""[publish] storage settings, the shared apply path on a local folder, the progress line."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from audiofeed.cli import cli
from audiofeed.errors import StorageError
from audiofeed.publish.deploy import apply, verify
from audiofeed.storage import Artifact, open_backend, plan
from audiofeed.storage.base import RemoteSettings
from audiofeed.storage.local import LocalBackend
from audiofeed.storage.s3 import parse_url
from tests.s3_show import REPO, use_s3_env
from tests.support.show import copy_demo_show, with_publish


def make_local_show(tmp: Path, publish: str) -> Path:
    return with_publish(copy_demo_show(tmp), publish)


def run(config: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["-c", str(config), *args])


def test_credentials_in_config_are_refused_without_echo(tmp_path: Path) -> None:
    secret = "AbCdEfSecretValue123"
    config = make_local_show(
        tmp_path,
        'base_url = "https://x.example/"\ndestination = "s3://b/p"\n'
        f'aws_secret_access_key = "{secret}"\nendpoint_url = "https://u:{secret}@s3.example"\n',
    )
    result = run(config, "publish", "--dry-run")
    assert result.exit_code == 1
    assert secret not in result.output
    lines = result.stderr.splitlines()
    rel = "config.toml"
    assert any(
        line.endswith(
            f"{rel}: publish.aws_secret_access_key: credentials never go in config.toml; remove "
            "it and use the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or a shared "
            "profile (publish.profile, --profile)"
        )
        for line in lines
    ), lines
    assert any("publish.endpoint_url: credentials never go in config.toml" in x for x in lines)


def test_bad_storage_settings_are_all_reported(tmp_path: Path) -> None:
    config = make_local_show(
        tmp_path,
        'base_url = "https://x.example/"\ndestination = "gs://bucket/x"\n'
        'addressing_style = "dns"\nacl = "public-read-write"\nendpoint_url = "s3.example.com"\n',
    )
    result = run(config, "check")
    assert result.exit_code == 1
    err = result.stderr
    assert "publish.destination: 'gs://bucket/x': use a folder such as 'public' or s3://" in err
    bad = make_local_show(
        tmp_path / "b", 'base_url = "https://x.example/"\ndestination = "s3://b"\n'
    )
    assert "(bucket names: 3 or more letters" in run(bad, "check").stderr
    assert "publish.addressing_style: must be one of auto, path, virtual" in err
    assert "publish.acl: must be one of public-read, private" in err
    assert "publish.endpoint_url: must be an absolute http(s) URL" in err


def test_parse_s3_url() -> None:
    assert parse_url("s3://bucket/a/b/") == ("bucket", "a/b")
    assert parse_url("s3://bucket") == ("bucket", "")
    with pytest.raises(StorageError, match="the prefix may not contain"):
        parse_url("s3://bucket/a/../b")
    with pytest.raises(StorageError, match="is not s3://BUCKET/PREFIX"):
        parse_url("s3://")


def test_local_destination_goes_through_the_same_apply(tmp_path: Path) -> None:
    config = make_local_show(tmp_path, 'base_url = "http://127.0.0.1:8000/"\n')
    result = run(config, "publish", "--json")
    assert result.exit_code == 0, result.output
    assert re.search(r'"uploaded_objects": [1-9]', result.stdout)
    again = run(config, "publish", "--json")
    assert '"upload_bytes": 0' in again.stdout and '"uploaded_bytes": 0' in again.stdout
    # serve refuses s3 destinations with a clear line
    remote = make_local_show(
        tmp_path / "r", 'base_url = "https://cdn.example/x/"\ndestination = "s3://bucket/x"\n'
    )
    result = run(remote, "serve")
    assert result.exit_code == 1
    assert "publish.destination: is s3://bucket/x: the show is served from there" in result.stderr


def test_verify_catches_what_the_destination_really_holds(tmp_path: Path) -> None:
    src = tmp_path / "a.mp3"
    src.write_bytes(b"ID3" + b"\0" * 100)
    backend = open_backend("out", tmp_path)
    assert isinstance(backend, LocalBackend)
    import hashlib

    art = Artifact(
        "audio/a.mp3", 103, hashlib.sha256(src.read_bytes()).hexdigest(), "audio/mpeg", "x", 0, src
    )
    applied = apply(plan([art], backend.list(), prune=False), backend)
    assert applied.uploaded == ["audio/a.mp3"] and applied.uploaded_bytes == 103
    verify(art, backend.head(art.key))
    (tmp_path / "out/audio/a.mp3").write_bytes(b"ID3" + b"\1" * 100)  # same size, other bytes
    with pytest.raises(StorageError, match="destination holds different bytes"):
        verify(art, backend.head(art.key))
    with pytest.raises(StorageError, match="not found right after uploading"):
        verify(art, backend.head("audio/missing.mp3"))


def _publish_output(config: Path, *, tty: bool) -> str:
    """stderr of ``audiofeed publish`` in a subprocess, on a pseudo-terminal or a pipe."""
    import os
    import pty
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "audiofeed", "-c", str(config), "publish"]
    if not tty:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode()


def test_progress_is_live_on_a_terminal_and_plain_lines_otherwise(tmp_path: Path) -> None:
    config = make_local_show(tmp_path / "tty", 'base_url = "http://127.0.0.1:8000/"\n')
    out = _publish_output(config, tty=True)
    # rich's bars (cli/progress.py), redrawn in place: files, bytes of the total, rate, ETA
    n = re.search(r"uploading 0/(\d+) files", out).group(1)
    plain = re.sub(r"\x1b\[[\d;?]*[a-zA-Z]", "", out)
    assert re.search(rf"uploading {n}/{n} files \S+ ([\d.]+)/\1 MB [\d.]+ [kMG]?B/s", plain)
    assert "\r\x1b[2K" in out  # drawn in place
    assert f"uploaded {n}/{n} .audiofeed/manifest.json" in out  # log lines appear above it
    config = make_local_show(tmp_path / "pipe", 'base_url = "http://127.0.0.1:8000/"\n')
    out = _publish_output(config, tty=False)
    assert "\x1b[" not in out and "\r" not in out
    assert re.search(
        r"^uploaded (\d+)/\1 .audiofeed/manifest.json \([\d,]+ bytes, verified\)$", out, re.M
    )


def test_sdk_checksums_only_when_required_off_aws(seaweedfs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """boto3 (the fallback) sends CRC32 trailers by default, which many S3-compatible
    stores refuse: with a custom endpoint it computes checksums only where a request
    needs them; on AWS, and when the environment says otherwise, boto3's default holds.
    The fallback still publishes and verifies every object (sha256 metadata + HEAD)."""
    from audiofeed.storage import RemoteSettings
    from audiofeed.storage.s3 import S3Backend

    use_s3_env(monkeypatch, seaweedfs)
    monkeypatch.delenv("AWS_REQUEST_CHECKSUM_CALCULATION", raising=False)

    def calculation(endpoint: str | None) -> str:
        settings = RemoteSettings(endpoint_url=endpoint, region="us-east-1")
        client = S3Backend("s3://bucket/show", settings)._boto()["client"]
        return client.meta.config.request_checksum_calculation

    assert calculation(seaweedfs.endpoint) == "when_required"
    assert calculation(None) == "when_supported"  # AWS itself
    monkeypatch.setenv("AWS_REQUEST_CHECKSUM_CALCULATION", "when_supported")
    assert calculation(seaweedfs.endpoint) == "when_supported"


def test_publish_to_a_custom_endpoint(tmp_path: Path, seaweedfs) -> None:  # type: ignore[no-untyped-def]
    """The whole publish through boto3 against a custom endpoint, with the SDK's checksums
    only where required: every object arrives intact and verified."""
    from tests.s3_show import make_show, new_bucket, s3_env

    show = make_show(tmp_path, seaweedfs, new_bucket(seaweedfs), prefix="sdk")
    env = s3_env(seaweedfs)
    result = show.run("publish", env=env)
    assert result.exit_code == 0, result.output
    assert "all verified" in result.output
    local = {
        p.relative_to(tmp_path / "show" / ".audiofeed" / "build").as_posix(): p.read_bytes()
        for p in (tmp_path / "show" / ".audiofeed" / "build").rglob("*.html")
    }
    assert local and all(show.get(key) == data for key, data in local.items())
    assert ".audiofeed/manifest.json" in show.objects()
    again = show.run("publish", env=env)
    assert again.exit_code == 0 and "nothing changed" in again.output, again.output


def test_a_small_put_reports_progress_and_a_cancel_after_it(
    seaweedfs, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A file under DIRECT_PUT goes up in one PUT without the transfer manager: progress
    adds up to its size; a cancel asked for during it is raised once it is complete (the
    SDK would retry an exception raised inside its read), and a wrong sha256 is refused
    by the store itself."""
    from audiofeed.storage.base import TransferCancelled
    from audiofeed.storage.s3 import DIRECT_PUT, S3Backend
    from tests.s3_show import new_bucket

    use_s3_env(monkeypatch, seaweedfs)
    settings = RemoteSettings(endpoint_url=seaweedfs.endpoint, region="us-east-1")
    backend = S3Backend(f"s3://{new_bucket(seaweedfs)}/p", settings)
    source = tmp_path / "clip.mp3"
    source.write_bytes(os.urandom(600_000))
    assert source.stat().st_size <= DIRECT_PUT
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    put = dict(content_type="audio/mpeg", cache_control="max-age=60", sha256=sha)

    seen: list[int] = []
    stored = backend.put("clip.mp3", source, progress=seen.append, **put)
    assert stored is not None and stored.sha256 == sha  # verified by the store
    assert sum(seen) == source.stat().st_size

    calls: list[int] = []

    def stop(n: int) -> None:
        calls.append(n)
        raise TransferCancelled("clip2.mp3")

    with pytest.raises(TransferCancelled):
        backend.put("clip2.mp3", source, progress=stop, **put)
    assert len(calls) == 1  # not retried
    assert backend.head("clip2.mp3") is not None  # whole: a PUT is all or nothing

    with pytest.raises(StorageError, match="the file changed while publishing"):
        backend.put("clip3.mp3", source, **{**put, "sha256": "0" * 64})
    assert backend.head("clip3.mp3") is None
