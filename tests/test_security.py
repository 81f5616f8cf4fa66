"""Nobody let in: paths and keys cannot leave the show folder or the destination, ``serve``
binds loopback and serves nothing outside the published folder, and credentials from the
environment never appear in any output, even with -v.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from audiofeed.errors import StorageError
from audiofeed.storage.local import LocalBackend
from tests.support.cli import run
from tests.support.corpus import invoke
from tests.support.show import tree_snapshot

EP = "episodes/04-public-procurement.md"


def set_field(show: Path, key: str, value: str) -> None:
    """Set (or add) ``key = "value"`` in the front matter of EP."""
    path = show / EP
    text = path.read_text()
    line = f'{key} = "{value}"'
    new, n = re.subn(rf"^{key} = .*$", lambda _: line, text, count=1, flags=re.M)
    if not n:
        new = text.replace("+++\n", f"+++\n{line}\n", 1)
    path.write_text(new)


def publish_fails(show: Path, field: str, message: str) -> None:
    """publish and check both fail with one line naming EP and ``field``; nothing written.
    (In-process, from the show folder, so error paths are relative to it.)"""
    before = tree_snapshot(show / "public") if (show / "public").exists() else {}
    cwd = os.getcwd()
    os.chdir(show)
    try:
        outcomes = [invoke(show, command) for command in ("publish", "check")]
    finally:
        os.chdir(cwd)
    for out in outcomes:
        assert out.exit_code == 1 and out.exception is None, out
        assert "Traceback" not in out.stderr
        errors = [ln for ln in out.stderr.splitlines() if ln.startswith("error: ")]
        assert len(errors) == 1, out.stderr
        assert errors[0].startswith(f"error: {EP}: {field}: "), errors[0]
        assert message in errors[0], errors[0]
    after = tree_snapshot(show / "public") if (show / "public").exists() else {}
    assert after == before


# -- paths in episode files and config.toml -----------------------------------------------
@pytest.fixture
def outside(show: Path) -> Path:
    """A real recording (and a transcript, an image) next to the show folder, not in it."""
    folder = show.parent / "elsewhere"
    folder.mkdir()
    for name in ("04-public-procurement.mp3", "01-outcomes-measurement.vtt"):
        (folder / name).write_bytes((show / "recordings" / name).read_bytes())
    (folder / "cover.jpg").write_bytes((show / "cover.jpg").read_bytes())
    return folder


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink", "home"])
def test_a_recording_may_live_outside_the_show_folder(
    show: Path, outside: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The organiser's own disk is not an attack: ``audio`` may name an external disk or
    a NAS mount (absolute, ``..``, a symlink, ``~``). The source is never written."""
    target = outside / "04-public-procurement.mp3"
    if how == "dotdot":
        value = "../elsewhere/04-public-procurement.mp3"
    elif how == "absolute":
        value = str(target)
    elif how == "symlink":
        (show / "recordings" / "link.mp3").symlink_to(target)
        value = "recordings/link.mp3"
    else:
        monkeypatch.setenv("HOME", str(outside))
        value = "~/04-public-procurement.mp3"
    before = target.read_bytes()
    set_field(show, "audio", value)
    proc = run("publish", cwd=show, env={"HOME": os.environ["HOME"]})
    assert proc.returncode == 0, proc.stderr
    assert target.read_bytes() == before
    feed = (show / "public" / "feed.xml").read_text()
    assert feed.count("<enclosure") == 6


@pytest.mark.parametrize(
    ("field", "target"),
    [
        ("transcript", "01-outcomes-measurement.vtt"),
        ("image", "cover.jpg"),
    ],
)
@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink", "symlinked-folder"])
def test_episode_paths_cannot_leave_the_show_folder(
    show: Path, outside: Path, field: str, target: str, how: str
) -> None:
    if how == "dotdot":
        value = f"recordings/../../elsewhere/{target}"
    elif how == "absolute":
        value = str(outside / target)
    elif how == "symlink":
        (show / "recordings" / f"link-{target}").symlink_to(outside / target)
        value = f"recordings/link-{target}"
    else:
        (show / "recordings" / "external").symlink_to(outside, target_is_directory=True)
        value = f"recordings/external/{target}"
    set_field(show, field, value)
    publish_fails(show, field, f"{value!r} is outside the show folder")


@pytest.mark.parametrize(
    "value", ["recordings/%2e%2e/%2e%2e/elsewhere/x.mp3", "recordings/..%2f..%2fx.mp3"]
)
def test_url_encoded_dots_are_just_names(show: Path, outside: Path, value: str) -> None:
    set_field(show, "audio", value)
    publish_fails(show, "audio", f"file {value!r} not found")


def test_symlink_inside_the_show_folder_is_fine(show: Path) -> None:
    (show / "recordings" / "alias.mp3").symlink_to("04-public-procurement.mp3")
    set_field(show, "audio", "recordings/alias.mp3")
    assert invoke(show, "check").exit_code == 0


@pytest.mark.parametrize(
    "slug", ["../../etc", "..", "a/b", "%2e%2e", "a\\..\\b", "/abs", "UPPER", "x" * 81]
)
def test_slugs_cannot_name_a_path(show: Path, slug: str) -> None:
    set_field(show, "slug", slug.replace("\\", "\\\\"))
    publish_fails(show, "slug", "must be lowercase ASCII letters, digits and hyphens")


def test_config_image_cannot_leave_the_show_folder(show: Path, outside: Path) -> None:
    for value in ("../elsewhere/cover.jpg", str(outside / "cover.jpg")):
        text = (show / "config.toml").read_text()
        text = re.sub(r'^image = ".*"$', f'image = "{value}"', text, flags=re.M)
        (show / "config.toml").write_text(text)
        proc = run("publish", cwd=show)
        assert proc.returncode == 1
        assert proc.stderr.strip() == (
            f"error: config.toml: podcast.image: {value!r} is outside the show folder; "
            "use a path inside it"
        )
        assert not (show / "public").exists()


@pytest.mark.parametrize("key", ["../evil.xml", "day/../../evil.xml", "a//b.xml", "./a.xml"])
def test_feed_keys_cannot_leave_the_destination(show: Path, key: str) -> None:
    with open(show / "config.toml", "a") as f:
        f.write(f'\n[[feeds]]\nkey = "{key}"\nfilter = {{ day = "Day 1" }}\n')
    proc = run("publish", cwd=show)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith(f"error: config.toml: feeds[1].key: {key!r} must be")
    assert not (show.parent / "evil.xml").exists()
    assert not (show / "evil.xml").exists()


# -- object keys at the destination ----------------------------------------------------------
@pytest.mark.parametrize(
    "key", ["../evil", "a/../../evil", "/etc/evil", "audio/../../evil", "..", "a/./../../b"]
)
def test_local_destination_refuses_keys_that_escape(tmp_path: Path, key: str) -> None:
    dest = tmp_path / "public"
    dest.mkdir()
    src = tmp_path / "src.bin"
    src.write_bytes(b"x")
    backend = LocalBackend(dest)
    with pytest.raises(StorageError, match="escapes the destination"):
        backend.put(key, src, content_type="x/y", cache_control="no", sha256="0" * 64)
    with pytest.raises(StorageError, match="escapes the destination"):
        backend.delete(key)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public", "src.bin"]


def test_local_destination_does_not_write_through_a_symlink_out(tmp_path: Path) -> None:
    dest, outside = tmp_path / "public", tmp_path / "outside"
    dest.mkdir()
    outside.mkdir()
    (dest / "audio").symlink_to(outside, target_is_directory=True)
    src = tmp_path / "src.bin"
    src.write_bytes(b"x")
    backend = LocalBackend(dest)
    with pytest.raises(StorageError, match="escapes the destination"):
        backend.put("audio/a.mp3", src, content_type="x/y", cache_control="no", sha256="0" * 64)
    assert not any(outside.iterdir())


# -- audiofeed serve -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """``audiofeed serve --port 0`` on the published demo, with a secret next to public/
    and symlinks inside public/ that point at it."""
    from tests.support.show import copy_demo_show

    show = copy_demo_show(tmp_path_factory.mktemp("served"))
    run("publish", cwd=show, check=True)
    secret = show / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN\n")
    (show / "public" / "leak.txt").symlink_to(secret)
    (show / "public" / "up").symlink_to(show, target_is_directory=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "audiofeed", "serve", "--port", "0"],
        cwd=show,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = server.stdout.readline()
        port = int(first.rsplit(":", 1)[1].strip("/\n"))
        yield port, server
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=10)
        assert "Traceback" not in stderr, stderr


def listening_addresses(port: int) -> set[str]:
    """Local addresses of TCP sockets listening on ``port`` (from /proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, _, state = line.split()[1:4]
            addr, hexport = local.split(":")
            if int(hexport, 16) == port and state == "0A":  # 0A = LISTEN
                found.add(addr)
    return found


def test_serve_binds_loopback_only(served) -> None:
    port, _ = served
    assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, little-endian hex


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    """GET with the request target sent exactly as given (no client-side normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", target, skip_accept_encoding=True)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "target",
    [
        "/leak.txt",
        "/up/secret.txt",
        "/up/config.toml",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/audio/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "//secret.txt",
        "/%00",
        "/feed.xml%00.txt",
        "/" + "a" * 5000,
        "/%c0%ae%c0%ae/secret.txt",
        "http://127.0.0.1/../secret.txt",
    ],
)
def test_serve_never_serves_outside_the_published_folder(served, target: str) -> None:
    port, _ = served
    status, body = raw_get(port, target)
    assert status in (400, 404), (status, body[:200])
    assert b"TOP-SECRET" not in body and b"[podcast]" not in body
    status, body = raw_get(port, "/feed.xml")  # still up and serving
    assert status == 200 and body.startswith(b"<?xml")


# -- credentials ---------------------------------------------------------------------------
FAKE = {
    "AWS_ACCESS_KEY_ID": "AKIAFAKEKEYID0000042",
    "AWS_SECRET_ACCESS_KEY": "fAkEsEcReT/0123456789+abcdefghijklmnopqrstu",
    "AWS_SESSION_TOKEN": "FaKeSeSsIoNtOkEn//////0123456789abcdefXYZ==",
}


def run_env(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audiofeed", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_credentials_never_appear_in_any_output(show: Path, tmp_path: Path) -> None:
    """Every command, succeeding and failing, with -v: the fake keys are never printed."""
    env = dict(FAKE)
    commands: list[tuple[Path, tuple[str, ...]]] = [
        (tmp_path, ("-v", "init", "newshow")),
        (tmp_path, ("-v", "--help")),
        (tmp_path, ("-v", "check")),  # no config here: an error
        (show, ("-v", "check")),
        (show, ("-v", "publish", "--dry-run")),
        (show, ("-v", "publish")),
        (show, ("-v", "publish", "--prune", "--retag")),
        (show, ("-v", "new", "--title", "X", "--start", "2022-09-08T09:30+01:00")),
        (show, ("-v", "new", "--title", "Y", "--start", "nonsense")),
        (show, ("-v", "import", "schedule", "config.toml")),  # not a schedule: an error
        (show, ("-v", "import", "recordings", "recordings", "--dry-run")),
        (show, ("-v", "serve", "--host", "256.0.0.1", "--port", "1")),  # cannot bind
    ]
    # a publish that fails with a traceback (-v) in the middle of its work
    commands.append((show, ("-v", "publish", "--base-url", "ftp://nope")))
    seen = []
    for cwd, args in commands:
        proc = run_env(*args, cwd=cwd, env=env)
        seen.append((args, proc.returncode))
        for value in FAKE.values():
            assert value not in proc.stdout + proc.stderr, (args, proc.stdout, proc.stderr)
    assert any(code != 0 for _, code in seen) and any(code == 0 for _, code in seen), seen


def test_loopback_socket_helper_sees_a_wildcard_bind() -> None:
    """The /proc check above would notice a server listening on every address."""
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        s.listen()
        assert listening_addresses(s.getsockname()[1]) == {"00000000"}


# -- the destination never overlaps the organiser's files ---------------------------------
@pytest.mark.parametrize(
    ("destination", "message"),
    [
        (".", "'.' is the show folder or holds it; use a folder such as 'public'"),
        ("..", "'..' is the show folder or holds it; use a folder such as 'public'"),
        ("episodes", "'episodes' holds the show's own files (01-outcomes-measurement.md and 5"),
        ("recordings", "'recordings' holds the show's own files (01-outcomes-measurement.mp3"),
        ("cover.jpg", "'cover.jpg' is a file, not a folder"),
    ],
)
def test_publish_never_targets_the_show_folder(show: Path, destination: str, message: str) -> None:
    """A destination that is, holds or lies inside the organiser's files is refused before
    anything is read or written: --prune would delete what the feed does not name."""
    text = (show / "config.toml").read_text()
    (show / "config.toml").write_text(text.replace('destination = "public"', ""))
    before = tree_snapshot(show)
    for flag in ("--prune", "--dry-run"):
        out = invoke(show, "publish", flag, "--to", destination)
        assert out.exit_code == 1 and out.exception is None, out
        assert f"publish.destination: {message}" in out.stderr, out.stderr
    after = tree_snapshot(show)

    def own(tree: dict) -> dict:  # the organiser's files, not audiofeed's state
        return {k: v for k, v in tree.items() if not k.startswith(".audiofeed/")}

    assert own(after) == own(before) and own(before)


def test_credentials_never_appear_with_s3_failures(show: Path, seaweedfs) -> None:  # type: ignore[no-untyped-def]
    """S3 publishes with -v: wrong credentials, an unreachable endpoint, a missing bucket,
    a check --remote, and a good publish: the fake keys never appear."""
    from tests.support.faultproxy import fault_proxy

    bucket = f"sec-{os.getpid()}-{id(show) % 10000}"
    seaweedfs.client().create_bucket(Bucket=bucket)
    base = {
        **FAKE,
        "AWS_REGION": seaweedfs.region,
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "2",
    }
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    right = {"AWS_ACCESS_KEY_ID": seaweedfs.access_key}  # the secret stays the fake one
    to = ("--to", f"s3://{bucket}/show")
    with fault_proxy(seaweedfs.endpoint, rate=0.3, seed=5) as proxy:
        runs = [
            ({"AWS_ENDPOINT_URL": seaweedfs.endpoint}, ("-v", "publish", *to)),  # rejected
            ({"AWS_ENDPOINT_URL": seaweedfs.endpoint, **right}, ("-v", "publish", *to)),
            ({"AWS_ENDPOINT_URL": dead}, ("-v", "publish", *to)),  # unreachable
            ({"AWS_ENDPOINT_URL": proxy.url}, ("-v", "publish", *to)),  # faults + rejected
            ({"AWS_ENDPOINT_URL": seaweedfs.endpoint}, ("-v", "publish", "--to", "s3://nope-x/a")),
            ({"AWS_ENDPOINT_URL": seaweedfs.endpoint}, ("-v", "check", "--remote")),
        ]
        for extra, args in runs:
            proc = run_env(*args, cwd=show, env={**base, **extra})
            assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
            for value in FAKE.values():
                assert value not in proc.stdout + proc.stderr, (args, proc.stderr)
            assert seaweedfs.secret_key not in proc.stdout + proc.stderr
    # and a publish that works, with the session token still set, with -v
    good = {
        **base,
        "AWS_ACCESS_KEY_ID": seaweedfs.access_key,
        "AWS_SECRET_ACCESS_KEY": seaweedfs.secret_key,
        "AWS_ENDPOINT_URL": seaweedfs.endpoint,
    }
    good.pop("AWS_SESSION_TOKEN")
    proc = run_env("-v", "publish", *to, cwd=show, env=good)
    assert proc.returncode == 0, proc.stderr
    for value in (seaweedfs.secret_key, seaweedfs.access_key, FAKE["AWS_SESSION_TOKEN"]):
        assert value not in proc.stdout + proc.stderr


@pytest.mark.parametrize("key", ["../evil", "a/../../evil", "/abs", "..", "a//b", "./a"])
def test_s3_destination_refuses_keys_that_escape_the_prefix(key: str) -> None:
    from audiofeed.storage.s3 import S3Backend

    backend = S3Backend.__new__(S3Backend)  # naming only: no connection needed
    backend.bucket, backend.prefix = "bucket", "show/2022"
    with pytest.raises(StorageError, match="escapes the destination"):
        backend._key(key)
    assert backend._key("audio/a.mp3") == "show/2022/audio/a.mp3"
