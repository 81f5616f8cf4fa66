"""Two publishers, one destination: the manifest is the commit point (docs/reliability.md).

Real processes (``python -m audiofeed publish``) of two clones of the demo show publish to
one local folder or one prefix of a real S3 server. The race is made deterministic by a
publish that stops itself at a checkpoint (SIGSTOP) while the other runs to completion.
What is live is read back with boto3 / the file system and parsed with podcastparser.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import uuid
from pathlib import Path

import pytest

from audiofeed.common.durable import replace_durably
from audiofeed.errors import ConcurrentPublishError
from audiofeed.storage import RemoteSettings
from audiofeed.storage.local import LocalBackend
from tests.support.race import (
    EXTRA,
    HASHED,
    MANIFEST,
    Destination,
    add_episode,
    clone,
    error_lines,
    pull,
    resume,
    run,
    start,
)

DEMO_EPISODES = 6
LATE = EXTRA["late-addition"][0]


@pytest.fixture(params=["local", "s3"])
def dest(request: pytest.FixtureRequest, tmp_path: Path) -> Destination:
    if request.param == "local":
        return Destination("local", folder=tmp_path / "site")
    server = request.getfixturevalue("seaweedfs")
    return Destination("s3", server=server, bucket=_bucket(server), prefix=tmp_path.name)


_buckets: dict[int, str] = {}


def _bucket(server) -> str:  # type: ignore[no-untyped-def]
    """One bucket per server for this module (a new bucket costs SeaweedFS seconds)."""
    if id(server) not in _buckets:
        name = f"race-{uuid.uuid4().hex[:10]}"
        server.client().create_bucket(Bucket=name)
        _buckets[id(server)] = name
    return _buckets[id(server)]


def assert_lost(code: int, stderr: str, dest: Destination) -> None:
    """Exit 1 with exactly one error line, saying who won when and what to do."""
    assert code == 1, stderr
    assert "Traceback" not in stderr
    (line,) = error_lines(stderr)
    assert_names(line, dest)
    assert "another publish got there first (from " in line
    assert f"from {socket.gethostname()} by " in line  # who: host, user, time
    assert "nothing of this run went live" in line
    assert line.endswith("pull the show folder (e.g. git pull) and run publish again")


def assert_names(line: str, dest: Destination) -> None:
    """The line starts with the destination (a folder as the CLI shows it: relative)."""
    shown = line.split(": ")[1]
    if dest.kind == "local":
        assert Path(shown).name == dest.folder.name, line  # type: ignore[union-attr]
    else:
        assert shown.startswith(f"{dest.where} ("), line


def assert_unchanged_but_new_media(before: dict[str, str], after: dict[str, str]) -> None:
    """Everything the winner left is byte-identical; the loser added only unreferenced
    content-addressed objects (media, art) that no live feed or page names."""
    assert {k: after[k] for k in before} == before
    extra = set(after) - set(before)
    assert all(HASHED.search(k) for k in extra), extra


def test_two_clones_racing_to_the_first_publish_exactly_one_goes_live(
    dest: Destination, tmp_path: Path
) -> None:
    """A (with an extra episode) reads the empty destination and is held; B publishes;
    A's If-None-Match: * commit fails; A's rerun (it has all of B's episodes) converges."""
    a, b = clone(tmp_path, "a", dest), clone(tmp_path, "b", dest)
    add_episode(a, "late-addition")
    held = start(a, dest, stop_at="built")
    assert run(b, dest)[0] == 0
    won = dest.snapshot()
    assert len(dest.episodes()) == DEMO_EPISODES
    code, _, err = resume(held)
    assert_lost(code, err, dest)
    assert_unchanged_but_new_media(won, dest.snapshot())
    assert dest.manifest()["published"]["host"] == socket.gethostname()
    assert run(a, dest)[0] == 0
    episodes = dest.episodes()
    assert len(episodes) == DEMO_EPISODES + 1 and LATE in episodes
    assert "lease" not in dest.manifest()
    state = json.loads((a / ".audiofeed/commit.json").read_text())
    assert list(state["conditional"].values()) == [True]  # the probe: enforced here


def test_the_loser_of_a_race_must_pull_then_converges(dest: Destination, tmp_path: Path) -> None:
    """On a published show: B (an edited description) is held after reading; A (an extra
    episode) publishes; B's If-Match commit fails. B's rerun without pulling is stopped by
    the stale-folder check (it would drop A's episode); after pulling it converges with
    every episode and its own edit."""
    origin = clone(tmp_path, "origin", dest)
    assert run(origin, dest)[0] == 0
    a, b = clone(tmp_path, "a", dest), clone(tmp_path, "b", dest)
    add_episode(a, "late-addition")
    ep2 = b / "episodes/02-impact-bond-model.md"
    ep2.write_text(ep2.read_text().replace('title = "', 'title = "Edited: ', 1))
    held = start(b, dest, stop_at="built")
    assert run(a, dest)[0] == 0
    won = dest.snapshot()
    code, _, err = resume(held)
    assert_lost(code, err, dest)
    assert_unchanged_but_new_media(won, dest.snapshot())
    assert LATE in dest.episodes()

    code, _, err = run(b, dest)  # without pulling: it lacks A's episode
    assert code == 1 and "Traceback" not in err
    (line,) = error_lines(err)
    assert f"'late-addition' (guid {LATE})" in line and "--allow-removal" in line
    assert_unchanged_but_new_media(won, dest.snapshot())

    pull(a, b, "late-addition")
    assert run(b, dest)[0] == 0
    episodes = dest.episodes()
    assert len(episodes) == DEMO_EPISODES + 1 and LATE in episodes
    assert any(t.startswith("Edited: ") for t in episodes.values())


def test_a_clone_one_day_behind_cannot_remove_that_days_episodes(
    dest: Destination, tmp_path: Path
) -> None:
    origin = clone(tmp_path, "origin", dest)
    assert run(origin, dest)[0] == 0  # day 1
    behind = clone(tmp_path, "behind", dest)  # cloned before day 2 was added
    assert run(behind, dest)[0] == 0  # nothing to change yet
    day2 = {slug: add_episode(origin, slug) for slug in ("day2-opening", "day2-closing")}
    assert run(origin, dest)[0] == 0
    live = dest.snapshot()
    assert set(day2.values()) <= set(dest.episodes())

    code, _, err = run(behind, dest, "--prune")
    assert code == 1 and "Traceback" not in err
    (line,) = error_lines(err)
    assert_names(line, dest)
    for slug, guid in day2.items():
        assert f"'{slug}' (guid {guid})" in line
    assert "--allow-removal GUID" in line and "pull" in line
    assert dest.snapshot() == live  # nothing written, nothing pruned

    # the folder that published an episode may remove it: no flag needed
    (origin / "episodes/day2-closing.md").unlink()
    assert run(origin, dest)[0] == 0
    assert day2["day2-closing"] not in dest.episodes()
    # removing on purpose what another folder published: name it
    code, _, err = run(behind, dest, "--allow-removal", "day2-opening")
    assert code == 0, err
    assert len(dest.episodes()) == DEMO_EPISODES


def test_a_publish_writing_pages_and_feeds_holds_off_another(
    dest: Destination, tmp_path: Path
) -> None:
    """A committed and is writing in place (held right after its commit): B stops at once
    with who and until when; A finishes; B's rerun then publishes."""
    origin = clone(tmp_path, "origin", dest)
    assert run(origin, dest)[0] == 0
    a, b = clone(tmp_path, "a", dest), clone(tmp_path, "b", dest)
    add_episode(a, "late-addition")
    held = start(a, dest, stop_at="committed")
    assert dest.manifest()["lease"]["until"] > 0
    code, _, err = run(b, dest)
    assert code == 1 and "Traceback" not in err
    (line,) = error_lines(err)
    assert "is still writing pages and feeds" in line and socket.gethostname() in line
    assert resume(held)[0] == 0
    assert "lease" not in dest.manifest()
    pull(a, b, "late-addition")
    assert run(b, dest)[0] == 0
    assert LATE in dest.episodes()


def test_two_publishes_started_together_lose_no_episode(seaweedfs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Not held: whatever the timing, at least one succeeds, a failure is one of the two
    clean errors, and after the loser pulls and reruns every episode is live."""
    dest = Destination("s3", server=seaweedfs, bucket=_bucket(seaweedfs), prefix=tmp_path.name)
    a, b = clone(tmp_path, "a", dest), clone(tmp_path, "b", dest)
    add_episode(a, "late-addition")
    procs = {a: start(a, dest), b: start(b, dest)}
    codes = {root: (p.wait(180), p.communicate()[1]) for root, p in procs.items()}
    assert any(code == 0 for code, _ in codes.values()), codes
    for root, (code, err) in codes.items():
        if code != 0:
            assert code == 1 and len(error_lines(err)) == 1 and "Traceback" not in err
            if root == b:
                pull(a, b, "late-addition")
            assert run(root, dest)[0] == 0
    episodes = dest.episodes()
    assert len(episodes) == DEMO_EPISODES + 1 and LATE in episodes


# -- a store that ignores conditional writes ---------------------------------------------------
def test_rclone_really_ignores_conditional_writes(rclone_s3, seaweedfs) -> None:  # type: ignore[no-untyped-def]
    """Measured with boto3 alone: rclone accepts a stale write, SeaweedFS refuses it."""
    from botocore.exceptions import ClientError

    for server, enforces in ((rclone_s3, False), (seaweedfs, True)):
        client, bucket = server.client(), _bucket(server)
        client.put_object(Bucket=bucket, Key="probe/x", Body=b"1")
        try:
            client.put_object(Bucket=bucket, Key="probe/x", Body=b"2", IfNoneMatch="*")
            accepted = True
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "PreconditionFailed"
            accepted = False
        assert accepted is not enforces


def test_a_store_without_conditional_writes_is_detected_and_warned_about(
    rclone_s3, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    dest = Destination("s3", server=rclone_s3, bucket=_bucket(rclone_s3), prefix=tmp_path.name)
    a, b = clone(tmp_path, "a", dest), clone(tmp_path, "b", dest)
    code, _, err = run(b, dest)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "ignores conditional writes" in warnings[0]
    assert_names(warnings[0], dest)
    state = json.loads((b / ".audiofeed/commit.json").read_text())
    assert list(state["conditional"].values()) == [False]  # remembered: probed once
    assert len(dest.episodes()) == DEMO_EPISODES
    assert "probe" not in " ".join(dest.snapshot())  # the probe object is gone
    # the weaker guarantee still catches a publish that read before another committed
    add_episode(a, "late-addition")
    ep2 = b / "episodes/02-impact-bond-model.md"
    ep2.write_text(ep2.read_text().replace('title = "', 'title = "Edited: ', 1))
    held = start(b, dest, stop_at="built")
    assert run(a, dest)[0] == 0
    won = dest.snapshot()
    code, _, err = resume(held)
    assert_lost(code, err, dest)
    assert "ignores conditional writes" in err
    assert_unchanged_but_new_media(won, dest.snapshot())


# -- the pieces --------------------------------------------------------------------------------
def test_local_compare_and_replace(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "site")
    kind = {"content_type": "application/json", "cache_control": "no-store"}
    first = backend.put_if(MANIFEST, b"one", None, **kind)
    with pytest.raises(ConcurrentPublishError):
        backend.put_if(MANIFEST, b"two", None, **kind)  # If-None-Match: * on an existing one
    with pytest.raises(ConcurrentPublishError):
        backend.put_if(MANIFEST, b"two", "0" * 64, **kind)  # a stale version
    assert backend.get_tagged(MANIFEST).data == b"one"
    second = backend.put_if(MANIFEST, b"two", first, **kind)
    assert backend.get_tagged(MANIFEST).etag == second != first
    assert ".audiofeed/commit.lock" not in backend.list()  # never listed, never pruned


def test_s3_conditional_write_against_seaweedfs(seaweedfs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from audiofeed.storage.s3 import S3Backend
    from tests.s3_show import use_s3_env

    use_s3_env(monkeypatch, seaweedfs)
    settings = RemoteSettings(
        endpoint_url=seaweedfs.endpoint, region=seaweedfs.region, addressing_style="path"
    )
    backend = S3Backend(f"s3://{_bucket(seaweedfs)}/cond-{uuid.uuid4().hex[:6]}", settings)
    kind = {"content_type": "application/json", "cache_control": "no-store"}
    first = backend.put_if(MANIFEST, b"one", None, **kind)
    with pytest.raises(ConcurrentPublishError, match="PreconditionFailed"):
        backend.put_if(MANIFEST, b"two", None, **kind)
    with pytest.raises(ConcurrentPublishError):
        backend.put_if(MANIFEST, b"two", '"0123456789abcdef0123456789abcdef"', **kind)
    tagged = backend.get_tagged(MANIFEST)
    assert (tagged.data, tagged.etag) == (b"one", first)
    assert backend.put_if(MANIFEST, b"two", first, **kind) != first
    assert backend.head(MANIFEST).sha256 == hashlib.sha256(b"two").hexdigest()


def test_a_rename_is_followed_by_an_fsync_of_its_folder(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    synced: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    tmp = tmp_path / "new.tmp"
    tmp.write_bytes(b"x")
    replace_durably(tmp, tmp_path / "file")
    assert synced == [str(tmp_path)]
    from audiofeed.publish.state import write_atomic

    synced.clear()
    write_atomic(tmp_path / "state" / "x.json", b"{}")
    assert synced[-1] == str(tmp_path / "state") and len(synced) == 2  # the file, the folder


def test_the_lease_is_renewed_by_a_conditional_write(tmp_path: Path) -> None:
    """Half of the lease gone: the next in-place write first renews it, conditionally on
    the commit's version; a manifest someone else wrote meanwhile fails that renewal."""
    from audiofeed.publish.pipeline import commit
    from audiofeed.publish.state import Manifest
    from audiofeed.storage import Tagged

    backend = LocalBackend(tmp_path / "site")
    state = commit.FolderState(tmp_path / "show")
    run_ = commit.Commit(backend, Tagged(None, None), state, [])
    leased = Manifest(lease={"owner": state.owner, "until": 0}).to_bytes()
    run_.write(leased, "commit")
    run_.lease_until = commit.time.time() + 1  # far less than half of LEASE_SECONDS left
    run_.keep()
    renewed = json.loads(backend.get(MANIFEST) or b"")["lease"]["until"]
    assert renewed >= commit.time.time() + commit.LEASE_SECONDS - 5
    run_.keep()  # plenty left: no write
    assert backend.get_tagged(MANIFEST).etag == run_.etag

    kind = {"content_type": "application/json", "cache_control": "no-store"}
    backend.put_if(MANIFEST, b'{"version": 1}\n', run_.etag, **kind)  # another publisher
    run_.lease_until = 0
    with pytest.raises(ConcurrentPublishError, match="may be live beside theirs"):
        run_.keep()
