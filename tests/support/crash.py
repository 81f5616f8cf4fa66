"""Crash-safety harness: a show published once ("old"), then changed ("new") and published
again with SIGKILL at a named checkpoint (audiofeed/common/checkpoint.py) or after a delay.

After every kill: each live feed and page is byte-for-byte the old or the new one, every
enclosure (and transcript, cover) a live feed names exists with its published size and
sha256, the sources are byte-identical; the next publish converges to exactly the state an
uninterrupted run leaves. Used by tests/test_crash.py and tests/soak/kill_soak.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from tests.support.media import make_audio
from tests.support.show import copy_demo_show

BASE_URL = "http://127.0.0.1:8000/"
PUBLISH = ("publish", "--prune")
NEW_EPISODE = """\
+++
title = "Late addition: outcomes funds in practice"
start = 2022-09-08T16:30:00+01:00
audio = "recordings/07-late-addition.mp3"
guid = "0d6f4c1e-7a43-4f0e-9d55-3f1f2f3a7b07"
slug = "late-addition"
day = "Day 1"
episode = 7
season = 1
+++
A session added after the first publish.
"""


MANIFEST = ".audiofeed/manifest.json"


def digest(key: str, data: bytes) -> str:
    """sha256 of an object; the manifest's without its "published" stamp (who, when),
    which differs from run to run by design."""
    if key == MANIFEST:
        raw = json.loads(data)
        raw.pop("published", None)
        data = json.dumps(raw, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    """key -> sha256 of every file under ``folder`` (``digest``)."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): digest(p.relative_to(folder).as_posix(), p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def sources(show: Path) -> dict[str, str]:
    """The organiser's files: everything but the published folder and audiofeed's state."""
    return {k: v for k, v in snapshot(show).items() if not k.startswith(("public/", ".audiofeed/"))}


def run_cli(
    show: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audiofeed", *args],
        cwd=show,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


class LocalTarget:
    """The default destination: ``public/`` in the show folder."""

    name = "local"
    env: dict[str, str] = {}  # noqa: RUF012 - read only

    def args(self, show: Path) -> tuple[str, ...]:
        return ()

    def clone(self, template: Path, show: Path) -> None:
        """Nothing to do: copying the show folder copied public/."""

    def snapshot(self, show: Path) -> dict[str, str]:
        return snapshot(show / "public")

    def read(self, show: Path, key: str) -> bytes:
        return (show / "public" / key).read_bytes()

    def sizes(self, show: Path) -> dict[str, int]:
        public = show / "public"
        return {p.relative_to(public).as_posix(): p.stat().st_size for p in public.rglob("*")}


class S3Target:
    """``s3://BUCKET/<show folder name>`` on a real SeaweedFS, credentials in the
    environment only. base_url stays the demo's, so every prefix gets the same bytes."""

    name = "s3"

    def __init__(self, server, bucket: str) -> None:  # type: ignore[no-untyped-def]
        self.server, self.bucket = server, bucket
        self.client = server.client()
        self.env = {
            "AWS_ACCESS_KEY_ID": server.access_key,
            "AWS_SECRET_ACCESS_KEY": server.secret_key,
            "AWS_ENDPOINT_URL": server.endpoint,
            "AWS_REGION": server.region,
            "AWS_CONFIG_FILE": "/nonexistent/aws-config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def prefix(self, show: Path) -> str:
        return f"{show.parent.name}-{show.name}"

    def args(self, show: Path) -> tuple[str, ...]:
        return ("--to", f"s3://{self.bucket}/{self.prefix(show)}")

    def sizes(self, show: Path) -> dict[str, int]:
        pre = self.prefix(show) + "/"
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=pre
        )
        return {o["Key"][len(pre) :]: o["Size"] for page in pages for o in page.get("Contents", [])}

    def keys(self, show: Path) -> list[str]:
        return list(self.sizes(show))

    def clone(self, template: Path, show: Path) -> None:
        """Server-side copy of the template's published objects (metadata included)."""
        src, dst = self.prefix(template), self.prefix(show)
        for key in self.keys(template):
            self.client.copy_object(
                Bucket=self.bucket,
                Key=f"{dst}/{key}",
                CopySource={"Bucket": self.bucket, "Key": f"{src}/{key}"},
            )

    def read(self, show: Path, key: str) -> bytes:
        obj = self.client.get_object(Bucket=self.bucket, Key=f"{self.prefix(show)}/{key}")
        return obj["Body"].read()

    def snapshot(self, show: Path) -> dict[str, str]:
        return {k: digest(k, self.read(show, k)) for k in self.keys(show)}


@dataclass
class Scenario:
    """A published 'old' show (template) and everything needed to apply the 'new' edit."""

    template: Path  # published once: public/ holds the old state
    old: dict[str, str]  # public/ after the old publish
    new: dict[str, str] = field(default_factory=dict)  # public/ after an uninterrupted new one
    points: list[str] = field(default_factory=list)  # checkpoints an uninterrupted run passes
    audio: dict[str, bytes] = field(default_factory=dict)
    seconds: float = 0.0  # how long the uninterrupted new publish took
    target: LocalTarget | S3Target = field(default_factory=LocalTarget)

    def fresh(self, dest: Path) -> Path:
        """A copy of the published old show at ``dest``, with the new edit applied."""
        shutil.copytree(self.template, dest, symlinks=True)
        self.target.clone(self.template, dest)
        self.edit(dest)
        return dest

    def publish_args(self, show: Path) -> tuple[str, ...]:
        return (*PUBLISH, *self.target.args(show))

    def edit(self, show: Path) -> None:
        """The change between old and new: a description, a title (re-tag), a replaced
        recording, a new episode with a new recording, a removed episode (pruned)."""
        ep2 = show / "episodes/02-impact-bond-model.md"
        ep2.write_text(ep2.read_text() + "\nAdded after the conference: slides are online.\n")
        ep3 = show / "episodes/03-keynote-power.md"
        text = ep3.read_text()
        ep3.write_text(text.replace('title = "', 'title = "Keynote: ', 1))
        (show / "recordings/04-public-procurement.mp3").write_bytes(self.audio["replaced"])
        (show / "recordings/07-late-addition.mp3").write_bytes(self.audio["added"])
        (show / "episodes/07-late-addition.md").write_text(NEW_EPISODE)
        (show / "episodes/06-beyond-impact-bonds.md").unlink()


def make_scenario(root: Path, target: LocalTarget | S3Target | None = None) -> Scenario:
    """Publish the demo show (old), then record what an uninterrupted new publish does."""
    target = target or LocalTarget()
    audio_dir = root / "audio"
    audio = {
        "replaced": make_audio(audio_dir / "replaced.mp3", 2.5, frequency=523).read_bytes(),
        "added": make_audio(audio_dir / "added.mp3", 2.0, frequency=659).read_bytes(),
    }
    (root / "template").mkdir()
    template = copy_demo_show(root / "template")
    proc = run_cli(template, *PUBLISH, *target.args(template), env=target.env)
    assert proc.returncode == 0, proc.stderr
    sc = Scenario(template=template, old=target.snapshot(template), audio=audio, target=target)
    ref = sc.fresh(root / "reference")
    points_file = root / "points.txt"
    started = time.monotonic()
    env = {**target.env, "AUDIOFEED_TEST_CHECKPOINTS": str(points_file)}
    proc = run_cli(ref, *sc.publish_args(ref), env=env)
    sc.seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    sc.new = target.snapshot(ref)
    sc.points = points_file.read_text().split()
    assert len(set(sc.points)) == len(sc.points), "checkpoint names must be unique in a run"
    return sc


def check_live(show: Path, sc: Scenario) -> None:
    """What subscribers can see right now is entirely old or entirely new, object by object,
    and nothing a live feed refers to is missing or different from what was published."""
    live = sc.target.snapshot(show)
    sizes = sc.target.sizes(show)
    for key, sha in live.items():
        if key.endswith((".xml", ".html", ".css", ".js")) or key.startswith("assets/"):
            assert sha in (sc.old.get(key), sc.new.get(key)), f"{key} is neither old nor new"
    for feed_key in [k for k in live if k.endswith(".xml") and "/" not in k]:
        root = etree.fromstring(sc.target.read(show, feed_key))
        urls = [e.get("url") for e in root.iter("enclosure")]
        urls += [e.get("url") for e in root.iter("{*}transcript")]
        urls += [e.get("href") for e in root.iter("{*}image") if e.get("href")]
        lengths = {e.get("url"): int(e.get("length")) for e in root.iter("enclosure")}
        assert urls, f"{feed_key} has no enclosures"
        for url in urls:
            assert url.startswith(BASE_URL), url
            key = urlsplit(url).path.lstrip("/")
            assert key in live, f"{feed_key} refers to {key}, which is missing"
            assert live[key] in (sc.old.get(key), sc.new.get(key)), f"{key}: wrong bytes"
            if url in lengths:
                assert sizes[key] == lengths[url], f"{key}: wrong size"


def fork_cli(show: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the audiofeed CLI in a forked child (no interpreter start-up: ~10x faster than a
    subprocess); returns (exit code or -signal, stderr). The child is a whole process, so
    SIGKILL at a checkpoint ends it exactly as it would end ``audiofeed publish``."""

    err = show.parent / f"{show.name}.stderr"
    pid = os.fork()
    if pid == 0:  # child: never returns
        code = 70
        try:
            os.chdir(show)
            os.environ.update(env or {})
            fd = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(fd, 2)
            from audiofeed.cli import cli
            from audiofeed.common import checkpoint

            checkpoint._seen.clear()
            try:
                cli.main(list(args), prog_name="audiofeed")
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    text = err.read_text() if err.exists() else ""
    err.unlink(missing_ok=True)
    return code, text


@dataclass
class KillResult:
    point: str
    killed: bool
    detail: str = ""


def kill_and_resume(sc: Scenario, dest: Path, point: str | None, delay: float = 0.0) -> KillResult:
    """One crash: publish the new show, SIGKILLed at ``point`` (or after ``delay`` seconds);
    check what is live; publish again and check it converged. Raises AssertionError."""
    show = sc.fresh(dest)
    before = sources(show)
    args, env = sc.publish_args(show), sc.target.env
    if point is not None:
        code, stderr = fork_cli(show, *args, env={**env, "AUDIOFEED_TEST_KILL_AT": point})
        assert code == -signal.SIGKILL, (point, code, stderr)
        killed = True
    else:
        child = subprocess.Popen(
            [sys.executable, "-m", "audiofeed", *args],
            cwd=show,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        killed = child.wait(30) == -signal.SIGKILL  # False: it had finished already
        point = f"after {delay:.3f} s"
    check_live(show, sc)
    assert sources(show) == before, f"{point}: the sources changed"
    code, stderr = fork_cli(show, *args, env=env)
    assert code == 0, (point, stderr)
    assert sources(show) == before, f"{point}: the sources changed"
    after = sc.target.snapshot(show)
    differ = sorted(k for k in set(after) | set(sc.new) if after.get(k) != sc.new.get(k))
    assert not differ, f"{point}: did not converge: {differ}"
    shutil.rmtree(show)
    return KillResult(point, killed)
