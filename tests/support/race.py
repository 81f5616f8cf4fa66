"""Two (or more) clones of one show publishing to one destination, as real processes.

A clone is a copy of the demo show (no ``.audiofeed/``: a fresh ``git clone``) whose
``[publish]`` points at a shared destination: a folder outside every clone, or a prefix
in a bucket of a real S3 server. ``start(..., stop_at="built")`` runs
``python -m audiofeed publish`` that SIGSTOPs itself at that checkpoint
(audiofeed/checkpoint.py), so a test can run another publish to completion and then let
the first one go on (``resume``): the race, deterministically, with the real processes
doing the real writes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import podcastparser

from tests.s3_show import s3_env
from tests.support.media import make_audio
from tests.support.show import copy_demo_show, with_publish

MANIFEST = ".audiofeed/manifest.json"
STOP_ENV = "AUDIOFEED_TEST_STOP_AT"
HASHED = re.compile(r"-[0-9a-f]{10}(\.[A-Za-z0-9]+)+$")  # content-addressed keys

EXTRA = {  # slug -> (guid, day, start): episodes the demo show does not have
    "late-addition": ("0d6f4c1e-7a43-4f0e-9d55-3f1f2f3a7b07", "Day 1", "2022-09-08T16:30"),
    "day2-opening": ("2b7f1f0e-2d7e-4c55-9e1a-7a0c2d2f2a01", "Day 2", "2022-09-09T09:30"),
    "day2-closing": ("2b7f1f0e-2d7e-4c55-9e1a-7a0c2d2f2a02", "Day 2", "2022-09-09T16:30"),
}


def add_episode(root: Path, slug: str, frequency: int = 659) -> str:
    """Add one of ``EXTRA`` (episode file and a 1.5 s recording); its guid."""
    guid, day, start = EXTRA[slug]
    make_audio(root / f"recordings/{slug}.mp3", 1.5, frequency=frequency)
    (root / f"episodes/{slug}.md").write_text(
        f'+++\ntitle = "{slug.replace("-", " ").title()}"\nstart = {start}:00+01:00\n'
        f'audio = "recordings/{slug}.mp3"\nguid = "{guid}"\nslug = "{slug}"\n'
        f'day = "{day}"\n+++\nA session the other clone does not have.\n'
    )
    return guid


def pull(src: Path, dst: Path, slug: str) -> None:
    """What ``git pull`` brings: another clone's episode file and recording."""
    for rel in (f"episodes/{slug}.md", f"recordings/{slug}.mp3"):
        shutil.copy2(src / rel, dst / rel)


@dataclass
class Destination:
    """Where every clone publishes: ``kind`` "local" (a folder) or "s3"."""

    kind: str
    folder: Path | None = None
    server: object = None
    bucket: str = ""
    prefix: str = ""

    def publish_table(self) -> str:
        if self.kind == "local":
            pairs = {"base_url": "http://127.0.0.1:8000/", "destination": str(self.folder)}
        else:
            srv = self.server
            public = srv.public_url(self.bucket, self.prefix + "/")  # type: ignore[attr-defined]
            pairs = {
                "base_url": public,
                "destination": f"s3://{self.bucket}/{self.prefix}",
                "endpoint_url": srv.endpoint,  # type: ignore[attr-defined]
                "region": srv.region,  # type: ignore[attr-defined]
                "addressing_style": "path",
            }
        return "".join(f"{k} = {json.dumps(v)}\n" for k, v in pairs.items())

    @property
    def where(self) -> str:
        return str(self.folder) if self.kind == "local" else f"s3://{self.bucket}/{self.prefix}"

    def env(self) -> dict[str, str]:
        """The environment of a publish: credentials for S3 only through it."""
        env = dict(os.environ)
        env.pop(STOP_ENV, None)
        if self.kind == "s3":
            for key, value in s3_env(self.server).items():
                if value is None:
                    env.pop(key, None)
                else:
                    env[key] = value
        return env

    def read(self, key: str) -> bytes | None:
        if self.kind == "local":
            path = self.folder / key  # type: ignore[operator]
            return path.read_bytes() if path.is_file() else None
        client = self.server.client()  # type: ignore[attr-defined]
        try:
            return client.get_object(Bucket=self.bucket, Key=f"{self.prefix}/{key}")["Body"].read()
        except client.exceptions.NoSuchKey:
            return None

    def snapshot(self) -> dict[str, str]:
        """key -> sha256 of every object published (the local lock file left out)."""
        if self.kind == "local":
            root = self.folder
            assert root is not None
            keys = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
            keys = [k for k in keys if k != ".audiofeed/commit.lock"]
        else:
            client = self.server.client()  # type: ignore[attr-defined]
            pages = client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + "/"
            )
            n = len(self.prefix) + 1
            keys = [o["Key"][n:] for page in pages for o in page.get("Contents", [])]
        return {k: hashlib.sha256(self.read(k) or b"").hexdigest() for k in sorted(keys)}

    def manifest(self) -> dict:
        data = self.read(MANIFEST)
        return json.loads(data) if data else {}

    def episodes(self, feed: str = "feed.xml") -> dict[str, str]:
        """guid -> title of every episode of the live feed, as podcastparser reads it."""
        data = self.read(feed)
        assert data is not None, f"no {feed} at {self.where}"
        parsed = podcastparser.parse("http://127.0.0.1/" + feed, io.BytesIO(data))
        return {e["guid"]: e["title"] for e in parsed["episodes"]}


def clone(tmp: Path, name: str, dest: Destination) -> Path:
    """A fresh clone of the demo show (no .audiofeed/) publishing to ``dest``."""
    root = copy_demo_show(tmp / name)
    with_publish(root, dest.publish_table())
    return root


def start(
    root: Path, dest: Destination, *args: str, stop_at: str | None = None
) -> subprocess.Popen[str]:
    """``audiofeed publish ARGS`` in ``root`` as its own process; with ``stop_at`` it is
    stopped (SIGSTOP, by itself) at that checkpoint when this returns."""
    env = dest.env()
    if stop_at:
        env[STOP_ENV] = stop_at
    proc = subprocess.Popen(
        [sys.executable, "-m", "audiofeed", "publish", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if stop_at:
        wait_stopped(proc)
    return proc


def wait_stopped(proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"exited ({proc.returncode}) before its stop:\n{err}")
        with open(f"/proc/{proc.pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        if state == "T":
            return
        time.sleep(0.05)
    raise AssertionError("never reached its stop")


def resume(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    os.kill(proc.pid, signal.SIGCONT)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def run(root: Path, dest: Destination, *args: str) -> tuple[int, str, str]:
    proc = start(root, dest, *args)
    out, err = proc.communicate(timeout=180)
    return proc.returncode, out, err


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]
