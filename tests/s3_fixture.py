"""A real SeaweedFS S3 server for the S3 tests (session scoped, auth on).

Stand-in until the shared ``seaweedfs`` fixture (tests/support/seaweed.py) is on main; same
attribute names (endpoint, access_key, secret_key, region, client(), public_url()) so the
swap is an import change. Every port is explicit and free, everything binds to 127.0.0.1,
the data lives in a temp dir, and the server is stopped by its own PID (SIGTERM, then
SIGKILL of the same PID).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

ACCESS_KEY = "AKIDAUDIOFEEDS3TEST"
SECRET_KEY = "audiofeed-s3-test-secret-0123456789"
REGION = "us-east-1"


@dataclass
class Server:
    endpoint: str
    access_key: str
    secret_key: str
    region: str
    proc: subprocess.Popen
    workdir: Path

    def client(self, *, access_key: str | None = None, secret_key: str | None = None):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def public_url(self, bucket: str, key: str) -> str:
        return f"{self.endpoint}/{bucket}/{quote(key)}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _start(workdir: Path) -> Server:
    master, volume, filer, s3, mg, vg, fg, sg = _free_ports(8)
    (workdir / "s3.json").write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "admin",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    },
                    {"name": "anonymous", "actions": ["Read"]},
                ]
            }
        )
    )
    data = workdir / "data"
    data.mkdir(exist_ok=True)
    cmd = [
        shutil.which("weed") or "weed",
        f"-logdir={workdir}",
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={mg}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={vg}",
        f"-filer.port={filer}",
        f"-filer.port.grpc={fg}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={sg}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={workdir / 's3.json'}",
        "-master.telemetry=false",
        "-volume.preStopSeconds=0",
        "-volume.max=0",
        "-master.volumeSizeLimitMB=64",
    ]
    with open(workdir / "weed.log", "wb") as log:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            start_new_session=True,
        )
    return Server(f"http://127.0.0.1:{s3}", ACCESS_KEY, SECRET_KEY, REGION, proc, workdir)


def _wait_ready(srv: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if srv.proc.poll() is not None:
            raise RuntimeError((srv.workdir / "weed.log").read_text(errors="replace")[-3000:])
        try:
            urllib.request.urlopen(srv.endpoint + "/", timeout=2).close()
        except urllib.error.HTTPError:
            pass
        except OSError as exc:
            last = exc
            time.sleep(0.2)
            continue
        try:
            srv.client().list_buckets()
            return
        except Exception as exc:  # filer and volume still registering
            last = exc
            time.sleep(0.2)
    raise TimeoutError(f"SeaweedFS not ready: {last}")


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[Server]:
    workdir = Path(tempfile.mkdtemp(prefix="audiofeed-s3-"))
    srv = None
    try:
        for attempt in range(3):
            srv = _start(workdir)
            try:
                _wait_ready(srv)
                break
            except Exception:
                srv.stop()
                if attempt == 2:
                    raise
        yield srv
    finally:
        if srv is not None:
            srv.stop()
        shutil.rmtree(workdir, ignore_errors=True)
