"""Names of recordings kept in object storage (``s3://BUCKET/KEY``) and where the
coordinator keeps its copy; reading them is ``publish/sources.py``."""

from __future__ import annotations

import re
from pathlib import Path

SOURCES_DIR = Path(".audiofeed") / "sources"
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def is_s3(value: str) -> bool:
    return value.startswith("s3://")


def split(url: str) -> tuple[str, str]:
    """``s3://bucket/some/key.wav`` -> ("bucket", "some/key.wav"); ValueError says why not."""
    bucket, _, key = url[len("s3://") :].partition("/")
    if not BUCKET_RE.match(bucket):
        raise ValueError("the bucket name must be 3-63 lower-case letters, digits, '.' or '-'")
    parts = key.split("/")
    if not key or key.endswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError("name one object: s3://BUCKET/KEY (no empty, '.' or '..' parts)")
    return bucket, key


def local_path(root: Path, url: str) -> Path:
    """Where the coordinator keeps its copy of an ``s3://`` recording."""
    bucket, key = split(url)
    return root / SOURCES_DIR / bucket / key
