"""Shared fixtures. Helpers for real external programs live in tests/support/."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from tests.support import REPO_ROOT
from tests.support.rclone import RcloneS3, run_rclone_s3
from tests.support.seaweed import SeaweedFS, run_seaweedfs

# Several checkouts (git worktrees, CI clones) can share one Python, whose editable
# install of audiofeed points at only one of them. Make THIS checkout's package win,
# here and in subprocesses (`python -m audiofeed`, the `audiofeed` script) run by tests.
_root = str(REPO_ROOT)
if sys.path[:1] != [_root]:
    sys.path.insert(0, _root)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_root, *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != _root]]
)


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[SeaweedFS]:
    """One real SeaweedFS S3 server for the whole test session (auth on, anonymous Read).

    ``.endpoint``, ``.access_key``, ``.secret_key``, ``.pid``, ``.client()`` (boto3),
    ``.public_url(bucket, key)``. Tests share it: use a bucket name of your own.

    ``AUDIOFEED_TEST_S3=rclone`` runs these tests against ``rclone serve s3`` instead (see
    docs/testing.md for what differs there).
    """
    if os.environ.get("AUDIOFEED_TEST_S3") == "rclone":
        with run_rclone_s3() as other:
            yield other  # type: ignore[misc]
        return
    with run_seaweedfs() as srv:
        yield srv


@pytest.fixture(scope="session")
def rclone_s3() -> Iterator[RcloneS3]:
    """A second, independent S3 server: ``rclone serve s3`` (auth on), which IGNORES
    conditional writes (If-Match / If-None-Match). The same interface as ``seaweedfs``:
    ``.endpoint``, ``.access_key``, ``.secret_key``, ``.pid``, ``.region``, ``.client()``,
    ``.public_url(bucket, key)`` (anonymous reads through a read-only twin, ``.http_pid``).
    """
    with run_rclone_s3() as srv:
        yield srv


@pytest.fixture
def show(tmp_path):
    """A fresh copy of the repo's demo show (config.toml, episodes/, recordings/, cover)."""
    from tests.support.show import copy_demo_show

    return copy_demo_show(tmp_path)
