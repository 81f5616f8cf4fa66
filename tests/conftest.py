"""Shared fixtures. Helpers for real external programs live in tests/support/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.seaweed import SeaweedFS, run_seaweedfs


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[SeaweedFS]:
    """One real SeaweedFS S3 server for the whole test session (auth on, anonymous Read).

    ``.endpoint``, ``.access_key``, ``.secret_key``, ``.pid``, ``.client()`` (boto3),
    ``.public_url(bucket, key)``. Tests share it: use a bucket name of your own.
    """
    with run_seaweedfs() as srv:
        yield srv
