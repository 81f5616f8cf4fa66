"""Network faults between boto3 and a real SeaweedFS (tests/support/faultproxy.py)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from lxml import etree

from tests.support.faultproxy import KINDS, fault_proxy

FIGURES: dict[str, dict] = {}  # what the last run saw (printed by the summary test)


def run_env(show: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audiofeed", *args],
        cwd=show,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


def client_via(proxy_url: str, seaweedfs, *, attempts: int = 10):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=proxy_url,
        region_name=seaweedfs.region,
        aws_access_key_id=seaweedfs.access_key,
        aws_secret_access_key=seaweedfs.secret_key,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"mode": "standard", "max_attempts": attempts},
            connect_timeout=2,
            read_timeout=0.5,
        ),
    )


def test_proxy_injects_every_fault_and_boto3_retries_through_them(seaweedfs) -> None:  # type: ignore[no-untyped-def]
    bucket = f"faults-{uuid.uuid4().hex[:10]}"
    seaweedfs.client().create_bucket(Bucket=bucket)
    with fault_proxy(seaweedfs.endpoint, rate=0.3, seed=9, stall_seconds=0.8) as proxy:
        s3 = client_via(proxy.url, seaweedfs)
        blobs = {f"obj-{i}": hashlib.sha256(str(i).encode()).digest() * (i + 1) for i in range(12)}
        for key, data in blobs.items():
            s3.put_object(Bucket=bucket, Key=key, Body=data)
        for key, data in blobs.items():
            assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(data)
    assert all(proxy.counts[k] >= 1 for k in KINDS), proxy.counts
    direct = seaweedfs.client()
    for key, data in blobs.items():
        assert direct.get_object(Bucket=bucket, Key=key)["Body"].read() == data


def test_persistent_fault_is_an_error_after_the_retries(seaweedfs) -> None:  # type: ignore[no-untyped-def]
    bucket = f"faults-{uuid.uuid4().hex[:10]}"
    seaweedfs.client().create_bucket(Bucket=bucket)
    with fault_proxy(seaweedfs.endpoint, persistent=lambda m, p: m == "PUT") as proxy:
        s3 = client_via(proxy.url, seaweedfs, attempts=3)
        with pytest.raises(ClientError, match="SlowDown"):
            s3.put_object(Bucket=bucket, Key="x", Body=b"x")
    assert proxy.counts["503"] >= 3  # every attempt refused


# -- audiofeed publish through the faults --------------------------------------------------
def s3_env(seaweedfs, endpoint: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "AWS_ACCESS_KEY_ID": seaweedfs.access_key,
        "AWS_SECRET_ACCESS_KEY": seaweedfs.secret_key,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": seaweedfs.region,
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def verified(seaweedfs, bucket: str, prefix: str, show: Path, build: bool = True) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every object under the prefix: bytes match their sha256 metadata and the build copy;
    every enclosure of the live feed is there. Returns key -> sha256."""
    client = seaweedfs.client()
    out = {}
    listing = client.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")["Contents"]
    for item in listing:
        key = item["Key"][len(prefix) + 1 :]
        obj = client.get_object(Bucket=bucket, Key=item["Key"])
        data = obj["Body"].read()
        sha = hashlib.sha256(data).hexdigest()
        assert obj["Metadata"].get("sha256") in (sha, None), key
        built = show / ".audiofeed" / "build" / key
        if build and built.is_file() and key != ".audiofeed/manifest.json":
            assert built.read_bytes() == data, key
        out[key] = sha
    feed = client.get_object(Bucket=bucket, Key=f"{prefix}/feed.xml")["Body"].read()
    for enclosure in etree.fromstring(feed).iter("enclosure"):
        key = enclosure.get("url").removeprefix("http://127.0.0.1:8000/")
        assert key in out and int(enclosure.get("length")) == len(
            client.get_object(Bucket=bucket, Key=f"{prefix}/{key}")["Body"].read()
        ), key
    return out


def test_publish_completes_through_ten_percent_faults(seaweedfs, show: Path) -> None:  # type: ignore[no-untyped-def]
    bucket = f"faults-{uuid.uuid4().hex[:10]}"
    seaweedfs.client().create_bucket(Bucket=bucket)
    to = ("--to", f"s3://{bucket}/show")
    with fault_proxy(seaweedfs.endpoint, rate=0.1, seed=11, stall_seconds=0.5) as proxy:
        proc = run_env(show, "publish", *to, env=s3_env(seaweedfs, proxy.url))
    assert proc.returncode == 0, proc.stderr
    assert proxy.faulted >= 3, proxy.counts
    state = verified(seaweedfs, bucket, "show", show)
    # nothing left to do: the faulted run uploaded everything, each object verified
    proc = run_env(show, "publish", *to, env=s3_env(seaweedfs, seaweedfs.endpoint))
    assert proc.returncode == 0 and "nothing changed" in proc.stdout, proc.stdout
    assert verified(seaweedfs, bucket, "show", show) == state
    FIGURES["faulted_publish"] = dict(proxy.counts)


def test_persistent_fault_fails_clearly_keeps_the_old_feed_and_resumes(
    seaweedfs,
    show: Path,  # type: ignore[no-untyped-def]
) -> None:
    bucket = f"faults-{uuid.uuid4().hex[:10]}"
    seaweedfs.client().create_bucket(Bucket=bucket)
    to = ("--to", f"s3://{bucket}/show")
    direct = s3_env(seaweedfs, seaweedfs.endpoint)
    assert run_env(show, "publish", *to, env=direct).returncode == 0
    old = verified(seaweedfs, bucket, "show", show)
    ep = show / "episodes/02-impact-bond-model.md"
    ep.write_text(ep.read_text() + "\nSlides are online.\n")
    with fault_proxy(
        seaweedfs.endpoint, persistent=lambda m, p: m == "PUT" and p.endswith("/feed.xml")
    ) as proxy:
        quick = {"AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "3"}  # less backoff
        proc = run_env(show, "publish", *to, env={**s3_env(seaweedfs, proxy.url), **quick})
    assert proc.returncode == 1
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and "feed.xml" in errors[0] and "SlowDown" in errors[0], errors
    assert "Traceback" not in proc.stderr
    assert proxy.counts["503"] >= 2, proxy.counts  # retried before giving up
    FIGURES["persistent"] = {"error": errors[0], **proxy.counts}
    now = verified(seaweedfs, bucket, "show", show, build=False)
    assert now["feed.xml"] == old["feed.xml"], "the old feed must stay live"
    proc = run_env(show, "publish", *to, env=direct)  # the network is back
    assert proc.returncode == 0, proc.stderr
    final = verified(seaweedfs, bucket, "show", show)
    assert final["feed.xml"] != old["feed.xml"]


def test_zz_figures(capsys) -> None:  # type: ignore[no-untyped-def]
    """Print what the fault tests saw (for docs/reliability.md); runs last in this file."""
    with capsys.disabled():
        for name, figures in FIGURES.items():
            print(f"\n[faults] {name}: {figures}")
