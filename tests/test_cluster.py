"""Mastering on a real Dask cluster (a ``dask scheduler`` and ``dask worker`` processes on
127.0.0.1, each worker in its own folder and TMPDIR) from an ingest bucket on the SeaweedFS
fixture: the published show is byte-identical to a local publish (to a folder: the masters
come back; to S3: the workers tag and upload), a worker killed mid-task changes nothing, a
republish needs no cluster, an unreachable scheduler or a bad master is one line
(docs/cluster.md)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.s3_show import s3_env
from tests.support.cli import run
from tests.support.crash import digest
from tests.support.dask_cluster import DaskCluster, run_dask_cluster
from tests.support.media import make_audio
from tests.support.seaweed import READER_ACCESS_KEY, READER_SECRET_KEY, SeaweedFS, free_ports
from tests.support.show import REPO

EPISODE = """+++
title = "{title}"
start = 2026-06-0{n}T09:30:00+02:00
audio = "{audio}"
guid = "{guid}"
slug = "talk-{n}"
+++
Talk {n}.
"""


TRIMMED = """trim = { start = 0.5 }
chapters = [
  { start = "00:00:00", title = "Welcome" },
  { start = "00:00:00.300", title = "Introduction" },
  { start = "00:00:01.500", title = "The talk" },
]
"""


def creds(server: SeaweedFS, **override: str) -> dict[str, str]:
    env = {k: v for k, v in s3_env(server).items() if v is not None}
    return {**env, **override}


def clean_env(server: SeaweedFS, **override: str) -> dict[str, str]:
    """This process's environment with the test's AWS settings only (for Popen)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {**env, **creds(server, **override)}


@pytest.fixture(scope="module")
def ingest(seaweedfs: SeaweedFS, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An ingest bucket with three quiet WAV masters (one carries sha256 metadata, the
    others not) and one broken one: name -> s3:// URL."""
    bucket = f"ingest-{uuid.uuid4().hex[:10]}"
    client = seaweedfs.client()
    client.create_bucket(Bucket=bucket)
    folder = tmp_path_factory.mktemp("masters")
    urls = {}
    for i, seconds in enumerate((3.0, 4.0, 2.5)):
        path = make_audio(folder / f"room-{i}.wav", seconds, frequency=300 + 150 * i,
                          loudness=-26.0)  # fmt: skip
        extra = {}
        if i == 0:
            extra["Metadata"] = {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
        client.put_object(Bucket=bucket, Key=f"day1/{path.name}", Body=path.read_bytes(), **extra)
        urls[path.stem] = f"s3://{bucket}/day1/{path.name}"
    client.put_object(Bucket=bucket, Key="day1/broken.wav", Body=b"RIFF" + os.urandom(4000))
    urls["broken"] = f"s3://{bucket}/day1/broken.wav"
    return urls


@pytest.fixture(scope="module")
def cluster(seaweedfs: SeaweedFS) -> Iterator[DaskCluster]:
    with run_dask_cluster(2, env=creds(seaweedfs)) as c:
        yield c


def make_show(
    root: Path,
    server: SeaweedFS,
    audio: list[str],
    cluster: str | None = None,
    to: tuple[str, str] | None = None,
) -> Path:
    """A small show whose recordings are the given ``audio`` values, published to the
    folder ``public`` or, with ``to`` (bucket, prefix), to the S3 server."""
    root.mkdir(parents=True)
    shutil.copy2(REPO / "cover.jpg", root / "cover.jpg")
    config = (REPO / "config.toml").read_text()
    if to:
        where = (f'destination = "s3://{to[0]}/{to[1]}"\nendpoint_url = "{server.endpoint}"\n'
                 f'region = "{server.region}"\naddressing_style = "path"\n')  # fmt: skip
        config = config.replace('destination = "public"\n', where)
    config += f'\n[cluster]\nsource_endpoint_url = "{server.endpoint}"\n'
    if cluster:
        config += f'address = "{cluster}"\n'
    (root / "config.toml").write_text(config)
    (root / "episodes").mkdir()
    for n, value in enumerate(audio, start=1):
        guid = str(uuid.UUID(int=n))
        text = EPISODE.format(title=f"Talk {n}", n=n, audio=value, guid=guid)
        if n == 3:  # cut at the start: the chapters move (and one is left out), also on a worker
            text = text.replace("slug = ", f"{TRIMMED}slug = ")
        (root / "episodes" / f"talk-{n}.md").write_text(text)
    return root


def tree(folder: Path) -> dict[str, str]:
    """Every published file's sha256 (the manifest's without its who-and-when stamp)."""
    return {
        p.relative_to(folder).as_posix(): digest(p.relative_to(folder).as_posix(), p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def local_show(seaweedfs: SeaweedFS, ingest: dict[str, str], tmp_path_factory) -> Path:
    """The show published on this machine alone (the reference)."""
    urls = [ingest[f"room-{i}"] for i in range(3)]
    show = make_show(tmp_path_factory.mktemp("local") / "show", seaweedfs, urls)
    proc = run("publish", cwd=show, env=creds(seaweedfs))
    assert proc.returncode == 0, proc.stderr
    return show


@pytest.fixture(scope="module")
def s3_local(seaweedfs: SeaweedFS, ingest: dict[str, str], tmp_path_factory) -> tuple[str, Path]:
    """The show published on this machine alone to ``s3://BUCKET/local`` (the reference
    for S3 destinations): the bucket, and the show folder."""
    bucket = f"dest-{uuid.uuid4().hex[:10]}"
    seaweedfs.client().create_bucket(Bucket=bucket)
    urls = [ingest[f"room-{i}"] for i in range(3)]
    show = make_show(tmp_path_factory.mktemp("s3local") / "show", seaweedfs, urls,
                     to=(bucket, "local"))  # fmt: skip
    proc = run("publish", cwd=show, env=creds(seaweedfs))
    assert proc.returncode == 0, proc.stderr
    return bucket, show


def objects(server: SeaweedFS, bucket: str, prefix: str) -> dict[str, str]:
    """Every object under ``prefix``: key -> sha256 (the manifest's without its stamp)."""
    client = server.client()
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                 Prefix=prefix + "/"):  # fmt: skip
        for item in page.get("Contents", []):
            key = item["Key"][len(prefix) + 1 :]
            out[key] = digest(key, client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
    return out


def served(server: SeaweedFS, bucket: str, prefix: str, key: str) -> tuple:
    """How an object is stored: size, Content-Type, Cache-Control, metadata, its checksum."""
    head = server.client().head_object(Bucket=bucket, Key=f"{prefix}/{key}", ChecksumMode="ENABLED")
    return (head["ContentLength"], head["ContentType"], head.get("CacheControl"),
            head.get("Metadata"), head.get("ChecksumSHA256"))  # fmt: skip


def media_here(show: Path) -> list[Path]:
    """Audio files in the coordinator's state (masters, tagged copies)."""
    return [p for p in (show / ".audiofeed").rglob("*") if p.suffix in (".mp3", ".m4a")]


def uploads_here(stderr: str) -> list[str]:
    """The keys this process (the coordinator) uploaded."""
    return [x.split()[2] for x in stderr.splitlines() if x.startswith("uploaded ")]


def retitle(show: Path, n: int, title: str) -> None:
    path = show / "episodes" / f"talk-{n}.md"
    path.write_text(path.read_text().replace(f'title = "Talk {n}"', f'title = "{title}"'))


def test_to_an_s3_destination_the_workers_tag_and_upload_the_media(
    cluster: DaskCluster, seaweedfs: SeaweedFS, ingest: dict[str, str],
    s3_local: tuple[str, Path], tmp_path: Path,
) -> None:  # fmt: skip
    bucket, local = s3_local
    urls = [ingest[f"room-{i}"] for i in range(3)]
    show = make_show(tmp_path / "show", seaweedfs, urls, to=(bucket, "cluster"))
    proc = run("publish", "--cluster", cluster.address, cwd=show, env=creds(seaweedfs))
    assert proc.returncode == 0, proc.stderr
    published = objects(seaweedfs, bucket, "cluster")
    assert published == objects(seaweedfs, bucket, "local")
    audio = sorted(k for k in published if k.startswith("audio/"))
    assert len(audio) == 3
    for key in audio:  # stored as a local publish stores them
        assert served(seaweedfs, bucket, "cluster", key) == served(seaweedfs, bucket, "local", key)
    # the workers uploaded them; this machine never had a master or a tagged copy
    by_workers = re.findall(r"^(worker-[01]) uploaded (audio/\S+) ", proc.stderr, re.M)
    assert sorted(key for _, key in by_workers) == audio, proc.stderr
    assert not [k for k in uploads_here(proc.stderr) if k.startswith("audio/")], proc.stderr
    assert media_here(show) == []
    assert "checked 3 recording(s) the workers uploaded" in proc.stderr
    assert len(list((show / ".audiofeed" / "master").glob("*.json"))) >= 3  # their facts

    # nothing changed, and the full check (no quick answer): no cluster, nothing uploaded
    before = {k: served(seaweedfs, bucket, "cluster", k) for k in audio}
    (show / ".audiofeed" / "published.json").unlink()
    again = run("publish", "--cluster", "tcp://127.0.0.1:9", cwd=show, env=creds(seaweedfs))
    assert again.returncode == 0, again.stderr
    assert uploads_here(again.stderr) == [] and "uploaded" not in again.stderr, again.stderr
    assert again.stdout.startswith("nothing changed: "), again.stdout
    assert objects(seaweedfs, bucket, "cluster") == published
    assert {k: served(seaweedfs, bucket, "cluster", k) for k in audio} == before

    # a title edit: a worker tags the master again (no master comes back), as locally
    edited = tmp_path / "local-edited"
    shutil.copytree(local, edited)
    with open(edited / "config.toml", "r+") as f:
        text = f.read().replace(f"s3://{bucket}/local", f"s3://{bucket}/local-edited")
        f.seek(0), f.write(text), f.truncate()
    for folder in (edited, show):
        retitle(folder, 2, "Talk 2, revised")
    proc = run("publish", cwd=edited, env=creds(seaweedfs))
    assert proc.returncode == 0, proc.stderr
    proc = run("publish", "--cluster", cluster.address, cwd=show, env=creds(seaweedfs))
    assert proc.returncode == 0, proc.stderr
    assert len(re.findall(r"^worker-[01] uploaded audio/talk-2-", proc.stderr, re.M)) == 1
    assert not [k for k in uploads_here(proc.stderr) if k.startswith("audio/")], proc.stderr
    assert media_here(show) == []
    now, want = objects(seaweedfs, bucket, "cluster"), objects(seaweedfs, bucket, "local-edited")
    assert {k: now.get(k) for k in want} == want  # the edited show, byte for byte
    left = set(now) - set(want)  # what the first publish left there (no --prune)
    assert {k: now[k] for k in left} == {k: published.get(k) for k in left}
    new = [k for k in want if k.startswith("audio/talk-2-")]
    assert len(new) == 1 and new[0] not in published  # a new tagged copy


def test_a_worker_that_cannot_write_the_destination_sends_its_masters_back(
    seaweedfs: SeaweedFS, ingest: dict[str, str], s3_local: tuple[str, Path], tmp_path: Path
) -> None:
    if os.environ.get("AUDIOFEED_TEST_S3") == "rclone":
        pytest.skip("needs SeaweedFS's read-only identity")
    bucket, _ = s3_local
    urls = [ingest[f"room-{i}"] for i in range(3)]
    reader = creds(seaweedfs, AWS_ACCESS_KEY_ID=READER_ACCESS_KEY,
                   AWS_SECRET_ACCESS_KEY=READER_SECRET_KEY)  # fmt: skip
    with run_dask_cluster(1, env=reader) as c:
        show = make_show(tmp_path / "show", seaweedfs, urls, to=(bucket, "fallback"))
        proc = run("publish", "--cluster", c.address, cwd=show, env=creds(seaweedfs))
    assert proc.returncode == 0, proc.stderr
    warned = [x for x in proc.stderr.splitlines() if "cannot write" in x]
    assert len(warned) == 1, proc.stderr
    assert warned[0].startswith(f"worker worker-0 cannot write s3://{bucket}/fallback (")
    assert len([k for k in uploads_here(proc.stderr) if k.startswith("audio/")]) == 3
    assert objects(seaweedfs, bucket, "fallback") == objects(seaweedfs, bucket, "local")


def test_a_show_mastered_on_the_cluster_is_byte_identical_to_a_local_publish(
    cluster: DaskCluster, seaweedfs: SeaweedFS, ingest: dict[str, str], local_show: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    urls = [ingest[f"room-{i}"] for i in range(3)]
    show = make_show(tmp_path / "show", seaweedfs, urls)
    proc = run("publish", "--cluster", cluster.address, cwd=show, env=creds(seaweedfs))
    assert proc.returncode == 0, proc.stderr
    assert tree(show / "public") == tree(local_show / "public")
    assert len([k for k in tree(show / "public") if k.endswith(".mp3")]) == 3
    # the workers did the mastering, each reading the bucket itself
    workers = {line.split(" on ")[1].split(":")[0] for line in proc.stderr.splitlines()
               if line.startswith("mastered ")}  # fmt: skip
    assert workers <= {"worker-0", "worker-1"} and workers, proc.stderr
    assert not (show / ".audiofeed" / "sources" / urls[0].split("/")[2]).exists()
    assert (local_show / ".audiofeed" / "sources").is_dir()  # locally: copied, then mastered
    for name in workers:  # each worker mastered into its own temp folder
        assert list((cluster.root / name / "tmp" / "audiofeed-worker" / "master").glob("*.mp3"))
    # the next publish answers from the masters the coordinator kept: no cluster needed
    again = run("publish", "--cluster", "tcp://127.0.0.1:9", cwd=show, env=creds(seaweedfs))
    assert again.returncode == 0, again.stderr
    assert tree(show / "public") == tree(local_show / "public")


def test_a_worker_killed_mid_task_changes_nothing(
    seaweedfs: SeaweedFS, ingest: dict[str, str], s3_local: tuple[str, Path], tmp_path: Path
) -> None:
    """To an S3 destination: the task that ran (and maybe uploaded) on the killed worker runs
    again on the other; the same bytes under the same keys."""
    from distributed import Client

    bucket, _ = s3_local
    urls = [ingest[f"room-{i}"] for i in range(3)]
    with run_dask_cluster(2, env=creds(seaweedfs)) as c:
        show = make_show(tmp_path / "show", seaweedfs, urls, cluster=c.address,  # [cluster]
                         to=(bucket, "killed"))  # fmt: skip
        # a slow first step on every worker: time to see a task running and kill its worker
        env = clean_env(seaweedfs)
        proc = subprocess.Popen([sys.executable, "-m", "audiofeed", "publish"], cwd=show,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)  # fmt: skip
        killed = False
        with Client(c.address, timeout=10) as client:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                info = client.scheduler_info(n_workers=-1)["workers"]
                addr = next((a for a, w in info.items() if w.get("name") == "worker-0"), None)
                busy = client.processing()
                if addr and any("run-" in str(k) for k in busy.get(addr, ())):
                    c.kill_worker(0)
                    killed = True
                    break
                time.sleep(0.02)
        _, err = proc.communicate(timeout=120)
        assert killed, err
        assert proc.returncode == 0, err
        assert len([x for x in err.splitlines() if x.startswith("mastered ")]) == 3, err
        assert objects(seaweedfs, bucket, "killed") == objects(seaweedfs, bucket, "local")
        assert media_here(show) == []  # uploaded by the workers


def test_an_unreachable_scheduler_is_one_line_and_publishes_nothing(
    seaweedfs: SeaweedFS, ingest: dict[str, str], tmp_path: Path
) -> None:
    (port,) = free_ports(1)
    show = make_show(tmp_path / "show", seaweedfs, [ingest["room-1"]])
    started = time.monotonic()
    proc = run("publish", "--cluster", f"tcp://127.0.0.1:{port}", cwd=show, env=creds(seaweedfs))
    assert proc.returncode == 1
    lines = [x for x in proc.stderr.splitlines() if not x.startswith("reading published state")]
    want = f"error: cluster.address: cannot reach the Dask scheduler at tcp://127.0.0.1:{port} ("
    assert len(lines) == 1 and lines[0].startswith(want), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (show / "public").exists()
    assert time.monotonic() - started < 30


def test_a_bad_master_is_the_same_line_as_locally(
    cluster: DaskCluster, seaweedfs: SeaweedFS, ingest: dict[str, str], tmp_path: Path
) -> None:
    lines = {}
    for where, args in (("local", ()), ("cluster", ("--cluster", cluster.address))):
        show = make_show(tmp_path / where, seaweedfs, [ingest["room-2"], ingest["broken"]])
        proc = run("publish", *args, cwd=show, env=creds(seaweedfs))
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        lines[where] = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
        assert not (show / "public" / "feed.xml").exists()
    assert len(lines["local"]) == 1 and "talk-2.md: audio: broken.wav:" in lines["local"][0]
    assert lines["cluster"] == lines["local"]


def test_a_worker_that_cannot_read_a_source_is_named_before_any_work(
    seaweedfs: SeaweedFS, ingest: dict[str, str], tmp_path: Path
) -> None:
    urls = [ingest["room-0"], ingest["room-1"]]
    with run_dask_cluster(1, env=creds(seaweedfs, AWS_SECRET_ACCESS_KEY="wrong")) as c:
        show = make_show(tmp_path / "show", seaweedfs, urls)
        proc = run("publish", "--cluster", c.address, cwd=show, env=creds(seaweedfs))
        assert not (c.root / "worker-0" / "tmp" / "audiofeed-worker").exists()  # no work
    assert proc.returncode == 1
    lines = [x for x in proc.stderr.splitlines() if not x.startswith("reading published state")]
    assert len(lines) == 2, proc.stderr
    for line, url in zip(lines, urls, strict=True):
        assert line.startswith("error: ") and f"worker worker-0 cannot read {url} (" in line
    assert not (show / "public").exists()


def test_locally_an_s3_recording_is_copied_once_and_check_reads_the_copy(
    seaweedfs: SeaweedFS, ingest: dict[str, str], local_show: Path
) -> None:
    bucket, key = ingest["room-1"][len("s3://") :].split("/", 1)
    copy = local_show / ".audiofeed" / "sources" / bucket / key
    before = copy.stat().st_mtime_ns
    assert copy.read_bytes() == seaweedfs.client().get_object(Bucket=bucket, Key=key)["Body"].read()
    proc = run("publish", "--retag", cwd=local_show, env=creds(seaweedfs))
    assert proc.returncode == 0, proc.stderr
    assert copy.stat().st_mtime_ns == before  # same ETag and size: not fetched again
    proc = run("check", cwd=local_show, env=creds(seaweedfs))
    assert proc.returncode == 0, proc.stderr


def test_other_urls_and_bad_cluster_settings_are_one_line_each(
    seaweedfs: SeaweedFS, tmp_path: Path
) -> None:
    show = make_show(tmp_path / "show", seaweedfs, ["https://example.org/a.wav", "s3://x/a.wav"])
    with open(show / "config.toml", "a") as f:
        f.write('address = "127.0.0.1:8786"\n')
    proc = run("check", cwd=show)
    errors = [x for x in proc.stderr.splitlines() if x.startswith("error: ")]
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(errors) == 3, proc.stderr
    assert errors[0] == (
        "error: config.toml: cluster.address: '127.0.0.1:8786' must be a scheduler address, "
        "e.g. tcp://HOST:8786"
    )
    refused = "error: episodes/talk-1.md: audio: 'https://example.org/a.wav': recordings are"
    assert errors[1].startswith(refused + " read from files or s3://BUCKET/KEY here")
    assert errors[2].startswith("error: episodes/talk-2.md: audio: 's3://x/a.wav': the bucket "
                                "name must be")  # fmt: skip


def test_without_the_extra_cluster_is_one_line(seaweedfs: SeaweedFS, tmp_path: Path) -> None:
    show = make_show(tmp_path / "show", seaweedfs, ["recordings/a.wav"])
    make_audio(show / "recordings" / "a.wav", 2.0, loudness=-26.0)
    code = (  # as if distributed were not installed: importing it fails
        "import sys; sys.modules['distributed'] = None; from audiofeed.cli import main; "
        "sys.argv = ['audiofeed', 'publish', '--cluster', 'tcp://127.0.0.1:9']; main()"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=show, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    errors = [x for x in proc.stderr.splitlines() if x.startswith("error: ")]
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert errors == [
        "error: cluster: --cluster needs Dask: pip install 'audiofeed[cluster]' (the same "
        "audiofeed version as the workers)"
    ], proc.stderr
    assert not (show / "public" / "feed.xml").exists()
