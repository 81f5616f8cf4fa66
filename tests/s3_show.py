"""Helpers for the S3 publish tests: a copy of the demo show pointed at a bucket, the CLI with
credentials from the environment only, and audio made by ffmpeg."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from audiofeed.cli import cli
from tests.support.show import copy_demo_show, with_publish

REPO = Path(__file__).resolve().parents[1]


def new_bucket(server) -> str:  # type: ignore[no-untyped-def]
    name = f"show-{uuid.uuid4().hex[:12]}"
    server.client().create_bucket(Bucket=name)
    return name


def s3_env(server, *, secret: str | None = None, access: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    """Credentials only through boto3's standard chain (the environment); nothing else leaks in."""
    return {
        "AWS_ACCESS_KEY_ID": access or server.access_key,
        "AWS_SECRET_ACCESS_KEY": secret or server.secret_key,
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PROFILE": None,
        "AWS_DEFAULT_PROFILE": None,
        "AWS_ENDPOINT_URL": None,
        "AWS_ENDPOINT_URL_S3": None,
        "AWS_SESSION_TOKEN": None,
        "AWS_REGION": None,
        "AWS_DEFAULT_REGION": None,
    }


def use_s3_env(monkeypatch, server) -> None:  # type: ignore[no-untyped-def]
    """``s3_env`` applied to this process (for tests that open a backend in-process)."""
    for key, value in s3_env(server).items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)


@dataclass
class Show:
    root: Path
    server: object
    bucket: str
    prefix: str

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def base_url(self) -> str:
        return f"{self.server.endpoint}/{self.bucket}/{self.prefix}/"  # type: ignore[attr-defined]

    def key(self, key: str) -> str:
        return f"{self.prefix}/{key}"

    def run(self, *args: str, env: dict | None = None) -> Result:
        """``audiofeed -c config.toml ARGS`` in-process, credentials in the environment."""
        runner = CliRunner()
        return runner.invoke(
            cli,
            ["-c", str(self.config), *args],
            env=env or s3_env(self.server),
            catch_exceptions=False,
        )

    def publish_json(self, *args: str) -> dict:
        result = self.run("publish", "--json", *args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def objects(self) -> dict[str, dict]:
        """key (relative to the prefix) -> {ETag, LastModified, Size} as the server lists it."""
        client = self.server.client()  # type: ignore[attr-defined]
        out = {}
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + "/"
        ):
            for item in page.get("Contents", []):
                rel = item["Key"][len(self.prefix) + 1 :]
                out[rel] = {k: item[k] for k in ("ETag", "LastModified", "Size")}
        return out

    def get(self, key: str) -> bytes:
        client = self.server.client()  # type: ignore[attr-defined]
        return client.get_object(Bucket=self.bucket, Key=self.key(key))["Body"].read()


def make_show(tmp: Path, server, bucket: str, prefix: str = "soc22", **publish: str) -> Show:  # type: ignore[no-untyped-def]
    """The repo's demo show, copied, with [publish] pointing at ``s3://bucket/prefix``."""
    root = copy_demo_show(tmp)
    settings = {
        "base_url": f"{server.endpoint}/{bucket}/{prefix}/",
        "destination": f"s3://{bucket}/{prefix}",
        "endpoint_url": server.endpoint,
        "region": server.region,
        "addressing_style": "path",
        **publish,
    }
    with_publish(root, "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items()))
    return Show(root, server, bucket, prefix)


def make_mp3(path: Path, seconds: float, freq: int = 440, bitrate: str = "64k") -> Path:
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi",
            "-i", f"sine=frequency={freq}:duration={seconds},volume=2.8dB",  # -16 LUFS
            "-c:a", "libmp3lame", "-b:a", bitrate, str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


def make_big_mp3(path: Path, tmp: Path, megabytes: int = 30) -> Path:
    """A ~``megabytes`` MB MP3 quickly: one minute at 320 kb/s, looped without re-encoding."""
    one = make_mp3(tmp / "one-minute.mp3", 60, freq=330, bitrate="320k")
    loops = max(1, round(megabytes * 1_000_000 / one.stat().st_size)) - 1
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", str(loops), "-i", str(one),
         "-c", "copy", str(path)],
        check=True,
    )  # fmt: skip
    return path


def set_description(episode: Path, text: str) -> None:
    """Replace an episode file's Markdown body (after the closing +++)."""
    src = episode.read_text()
    match = re.match(r"(\+\+\+\n.*?\n\+\+\+\n)", src, re.S)
    assert match
    episode.write_text(match.group(1) + text + "\n")
