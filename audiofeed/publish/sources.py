"""Recordings in object storage: ``audio = "s3://ingest-bucket/day1/room-a-0930.wav"``.

The AV team uploads masters to an ingest bucket; an episode names the object. Its bytes are
read through the storage layer (boto3 stays in storage/s3.py), with credentials from the
standard chain only and the endpoint from ``[cluster] source_endpoint_url``, else
``[publish] endpoint_url``, else the environment (``AWS_ENDPOINT_URL_S3``) or AWS.

Locally an object is copied once into ``.audiofeed/sources/BUCKET/KEY`` (kept while its
ETag and size stay the same) and mastered as a file; on a cluster each worker reads it
itself (audiofeed/remote.py). Its sha256 (the mastering cache key) comes from the object's
``sha256`` metadata when it has one (no download), else from an earlier copy with the same
ETag and size, else from hashing the bytes as they arrive. docs/cluster.md has the details.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import MediaError
from ..show.sourceurl import SOURCES_DIR, is_s3, local_path, split  # noqa: F401

INDEX = "index.json"


def settings(endpoint_url: str | None) -> Any:
    from ..storage import RemoteSettings

    return RemoteSettings(
        endpoint_url=endpoint_url, addressing_style="path" if endpoint_url else None
    )


_backends: dict[tuple[str, str | None], Any] = {}


def _backend(bucket: str, endpoint_url: str | None) -> Any:
    from ..storage.s3 import S3Backend

    key = (bucket, endpoint_url)
    if key not in _backends:
        _backends[key] = S3Backend(f"s3://{bucket}", settings(endpoint_url))
    return _backends[key]


def stat(url: str, endpoint_url: str | None) -> dict[str, Any] | None:
    """Size, ETag and sha256 metadata of the object (None: no such object)."""
    bucket, key = split(url)
    return _backend(bucket, endpoint_url).stat(key)


def download(url: str, dest: Path, endpoint_url: str | None, sha256: str | None = None) -> str:
    """Copy the object to ``dest``; its sha256 (checked against ``sha256`` when given)."""
    bucket, key = split(url)
    got = _backend(bucket, endpoint_url).download(key, dest)
    if sha256 and got != sha256:
        dest.unlink(missing_ok=True)
        raise MediaError(
            f"{url}: its sha256 metadata does not match its bytes; upload it again",
            field="audio",
        )
    return got


def readable(url: str, endpoint_url: str | None) -> str | None:
    """Why ``url`` cannot be read from here, or None."""
    from ..errors import AudiofeedError

    try:
        found = stat(url, endpoint_url)
    except AudiofeedError as exc:
        return exc.message.split("; ")[0]  # what, not the hint meant for publishing
    return None if found is not None else "no such object"


class Index:
    """``.audiofeed/sources/index.json``: url -> {etag, size, sha256} of copies and hashes
    already made, so an unchanged object is neither copied nor hashed again."""

    def __init__(self, root: Path):
        self.path = root / SOURCES_DIR / INDEX
        try:
            self.data: dict[str, dict[str, Any]] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.data = {}
        self.stats: dict[str, dict[str, Any]] = {}  # this run's look at each object

    def sha256(self, url: str, found: dict[str, Any]) -> str | None:
        """The object's sha256 without reading it: its metadata, or an earlier hash of the
        same ETag and size."""
        self.stats[url] = found
        if found.get("sha256"):
            return str(found["sha256"])
        seen = self.data.get(url) or {}
        same = seen.get("etag") == found["etag"] and seen.get("size") == found["size"]
        return seen.get("sha256") if same else None

    def put(self, url: str, found: dict[str, Any], sha256: str) -> None:
        self.data[url] = {"etag": found["etag"], "size": found["size"], "sha256": sha256}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".tmp-{INDEX}-{os.getpid()}")
        tmp.write_text(json.dumps(self.data, sort_keys=True, indent=1))
        os.replace(tmp, self.path)


def look(url: str, endpoint_url: str | None, where: Path) -> dict[str, Any]:
    """The object's stat, or a MediaError naming the episode file when it cannot be read."""
    from ..errors import AudiofeedError

    try:
        found = stat(url, endpoint_url)
    except AudiofeedError as exc:
        raise MediaError(f"{url}: {exc.message}", path=where, field="audio") from None
    if found is None:
        raise MediaError(
            f"{url}: no such object; upload it or fix audio", path=where, field="audio"
        )
    return found


def ensure_local(url: str, dest: Path, endpoint_url: str | None, index: Index, where: Path) -> str:
    """Copy the object to ``dest`` unless the copy there is of the same ETag and size; its
    sha256."""
    found = look(url, endpoint_url, where)
    seen = index.data.get(url) or {}
    fresh = seen.get("etag") == found["etag"] and seen.get("size") == found["size"]
    if fresh and dest.is_file() and dest.stat().st_size == found["size"] and seen.get("copied"):
        return str(seen["sha256"])
    from ..errors import AudiofeedError

    try:
        sha = download(url, dest, endpoint_url, found.get("sha256"))
    except AudiofeedError as exc:
        raise MediaError(exc.message, path=where, field="audio") from None
    index.put(url, found, sha)
    index.data[url]["copied"] = True
    return sha
