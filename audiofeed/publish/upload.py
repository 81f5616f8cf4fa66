"""Publishing from a cluster worker (docs/cluster.md, "S3 destinations"): the worker that
made a master also tags a copy, hashes it and uploads it, with its own credentials, under
the key a local publish would use; it sends back the media record, not the bytes.

The coordinator sends the destination (bucket, prefix, endpoint, region, addressing style,
ACL, storage class: never a secret), the episode's ``media.Tags`` (its chapters as the
episode gives them) and the ``TagSettings``; the worker moves the chapters with the
master's cut as publish/build.py does, so its tagged copy is the one a local publish makes.
The upload is storage/s3.py's ``S3Backend.put`` (same Content-Type, Cache-Control, sha256
metadata and ``ChecksumSHA256``); a task that runs twice uploads the same bytes to the same
key. :class:`WorkerUploads` is the coordinator's side: what to send, and whether a master
known by its facts alone (its bytes stayed on a worker) is published already.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import media, shownotes
from ..errors import AudiofeedError, MediaError
from ..show.catalog import Episode
from ..show.config import TagSettings
from ..storage import RemoteSettings, cache_control_for, content_type_for
from . import mastering
from .state import MediaRecord
from .tagging import media_fingerprint, media_key, media_tags

#: what a worker writes (then deletes) to learn whether it may write the destination; the
#: commit's probe object, which a publish never prunes (commit.PROBE_KEY)
PROBE_KEY = ".audiofeed/probe"


@dataclass(frozen=True)
class Destination:
    """An S3 destination as the workers reach it (credentials: each worker's own)."""

    url: str  # s3://bucket/prefix
    settings: RemoteSettings


@dataclass(frozen=True)
class Upload:
    """Tag the master with ``tags``, hash it and upload it to ``destination``."""

    destination: Destination
    slug: str
    tags: media.Tags
    tag_settings: TagSettings


def destination(url: str, settings: RemoteSettings) -> Destination:
    """``[publish]``'s settings for the workers: no profile (a name on this machine);
    the endpoint this machine's environment gives when ``[publish]`` names none."""
    env = os.environ
    endpoint = settings.endpoint_url or env.get("AWS_ENDPOINT_URL_S3")
    endpoint = endpoint or env.get("AWS_ENDPOINT_URL")
    return Destination(url, dataclasses.replace(settings, endpoint_url=endpoint, profile=None))


_backends: dict[Destination, Any] = {}


def _backend(dest: Destination) -> Any:
    from ..storage.s3 import S3Backend

    if dest not in _backends:
        _backends[dest] = S3Backend(dest.url, dest.settings)
    return _backends[dest]


def publish_master(
    upload: Upload, master: Path, facts: dict[str, Any], where: Path | None, worker: str
) -> tuple[MediaRecord, dict[str, Any]]:
    """On a worker: tag a copy of ``master``, hash and upload it; (its media record, the
    master's probe: sha256, duration, type, as the coordinator's Builder measures it)."""
    info = media.probe(master)
    probe = {"sha256": media.sha256_file(master), "duration": info.duration, "mime": info.mime}
    tags = published_tags(upload.tags, facts, probe["duration"], where or master)
    media.validate_chapters(tags.chapters, probe["duration"], where)
    folder = Path(tempfile.gettempdir()) / "audiofeed-worker" / "tagged"
    tmp = folder / f"{upload.slug}-{os.getpid()}-{uuid.uuid4().hex}{master.suffix.lower()}"
    try:
        tagged = media.tag_copy(master, tmp, tags, upload.tag_settings)
        sha = media.sha256_file(tmp)
        key = media_key(upload.slug, sha, master.suffix)
        try:
            _put(_backend(upload.destination), key, tmp, sha)
        except AudiofeedError as exc:
            raise MediaError(
                f"worker {worker} could not upload {key}: {exc.message}", path=where, field="audio"
            ) from None
    finally:
        tmp.unlink(missing_ok=True)
    record = MediaRecord(
        fingerprint=media_fingerprint(probe["sha256"], tags, upload.tag_settings),
        key=key,
        size=tagged.size,
        sha256=sha,
        mime=content_type_for(key),
        duration=round(tagged.duration, 3),
    )
    return record, probe


def _put(backend: Any, key: str, path: Path, sha: str) -> None:
    """Upload unless the same bytes are there already (a task that ran before)."""
    have = backend.head(key)
    if have is not None and have.size == path.stat().st_size and have.sha256 == sha:
        return
    ctype = content_type_for(key)
    backend.put(key, path, content_type=ctype, cache_control=cache_control_for(key), sha256=sha)


def published_tags(tags: media.Tags, facts: dict[str, Any], duration: float, where: Path) -> Any:
    """The tags with the chapters moved by the master's cut (as Builder.published_episode)."""
    cut = facts.get("cut") or [0.0, None]
    if not tags.chapters or (not cut[0] and cut[1] is None):
        return tags
    kept = mastering.shift_chapters(
        tags.chapters, float(cut[0] or 0.0), duration, where, warn=False
    )
    images = tuple(tags.chapter_images[i] if i < len(tags.chapter_images) else None
                   for i, _ in kept)  # fmt: skip
    return dataclasses.replace(tags, chapters=tuple(c for _, c in kept), chapter_images=images)


def unwritable(dest: Destination) -> str | None:
    """Why this machine cannot write ``dest`` (a tiny object put, then deleted), or None."""
    import hashlib

    data = b"audiofeed worker write check\n"
    folder = Path(tempfile.gettempdir()) / "audiofeed-worker"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".probe-{os.getpid()}-{uuid.uuid4().hex}"
    tmp.write_bytes(data)
    kind = {"content_type": "text/plain; charset=utf-8", "cache_control": "no-store"}
    try:
        backend = _backend(dest)
        backend.put(PROBE_KEY, tmp, sha256=hashlib.sha256(data).hexdigest(), **kind)
    except AudiofeedError as exc:
        return exc.message.split("; ")[0]
    finally:
        tmp.unlink(missing_ok=True)
    with contextlib.suppress(AudiofeedError):  # no s3:DeleteObject: it stays (never pruned)
        backend.delete(PROBE_KEY)
    return None


class WorkerUploads:
    """The coordinator's side (mastering.Uploads) for a Builder publishing to ``dest``;
    ``send``: whether workers may upload (not in a dry run)."""

    def __init__(self, builder: Any, dest: Destination, cover: bytes, *, send: bool = True):
        self.builder = builder
        self.dest = dest
        self.cover = cover
        self.send = send

    def upload(self, episode: Episode) -> Upload | None:
        if not self.send:
            return None
        config = self.builder.config
        try:
            tags = media_tags(config, episode, self.cover, shownotes.render(episode))
        except MediaError:
            return None  # its master comes back; the Builder reports the problem
        return Upload(self.dest, episode.slug, tags, config.tags)

    def settled(self, episode: Episode, mastered: mastering.Mastered) -> bool:
        probe = mastered.probe
        assert probe is not None
        config = self.builder.config
        try:
            if mastered.trimmed:
                episode = mastering.shifted(episode, mastered.offset, probe["duration"], warn=False)
            tags = media_tags(config, episode, self.cover, shownotes.render(episode))
        except MediaError:
            return False
        fingerprint = media_fingerprint(probe["sha256"], tags, config.tags)
        return self.builder.published(episode, fingerprint) is not None
