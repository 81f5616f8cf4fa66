"""Network faults between boto3 and a real SeaweedFS (tests/support/faultproxy.py)."""

from __future__ import annotations

import hashlib
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.faultproxy import KINDS, fault_proxy


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
