"""Apply a plan: upload stage by stage, verify each object by HEAD, prune last.

Shared by every destination (local folder and S3 go through the same code); ``publish``
builds the artifacts and the plan, this module carries it out. Logs, never prints.
Also one publish of a show at a time (docs/reliability.md); the commit itself, with its
conditional manifest write, is commit.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Protocol

from ..common.checkpoint import checkpoint
from ..errors import AudiofeedError, StorageError
from ..storage import (
    Action,
    Artifact,
    Backend,
    Plan,
    RemoteObject,
    TransferCancelled,
)
from ..storage.plan import STAGE_FEED
from .state import MANIFEST_KEY, STATE_DIR, Manifest

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("audiofeed")

WORKERS = 16  # objects uploaded at once within a stage


class Progress(Protocol):
    """Receives transfer progress (the CLI draws it); ``advance`` is called from any thread."""

    def start(self, files: int, total_bytes: int) -> None: ...

    def advance(self, nbytes: int) -> None: ...

    def file_done(self, key: str, size: int) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def start(self, files: int, total_bytes: int) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def file_done(self, key: str, size: int) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass
class Applied:
    """What a real run did: uploaded (and verified) and deleted keys, and how long it took."""

    uploaded: list[str] = field(default_factory=list)
    uploaded_bytes: int = 0
    deleted: list[str] = field(default_factory=list)
    seconds: float = 0.0


def remote_state(
    manifest: Manifest, listing: dict[str, RemoteObject], manifest_bytes: bytes | None = None
) -> dict[str, RemoteObject]:
    """What is published: the listing, with checksums from the manifest where sizes agree."""
    state = {}
    if manifest_bytes is not None:
        manifest.objects.setdefault(
            MANIFEST_KEY,
            {"size": len(manifest_bytes), "sha256": hashlib.sha256(manifest_bytes).hexdigest()},
        )
    for key, obj in listing.items():
        known = manifest.objects.get(key)
        sha = obj.sha256 or (known["sha256"] if known and known.get("size") == obj.size else None)
        state[key] = dataclasses.replace(obj, sha256=sha)
    return state


def check_unknown(
    remote: dict[str, RemoteObject],
    artifacts: list[Artifact],
    backend: Backend,
    *,
    prune: bool = False,
) -> dict[str, RemoteObject]:
    """Ask the destination (HEAD) about objects the manifest does not vouch for.

    That is what lets an interrupted publish resume: objects it uploaded carry their sha256
    in metadata, so they are skipped. The feed is always asked about (it is overwritten in
    place, so an interrupted run may have changed it). With ``prune``, unknown objects are
    asked about too, to tell audiofeed's own (sha256 metadata) from anyone else's.
    """
    wanted = {a.key for a in artifacts}
    always = {a.key for a in artifacts if a.stage == STAGE_FEED}
    keys = [
        k
        for k, obj in remote.items()
        if k in always or (obj.sha256 is None and (k in wanted or prune))
    ]
    if not keys:
        return remote
    log.debug("checking %d object(s) at the destination", len(keys))
    result = dict(remote)
    with ThreadPoolExecutor(max_workers=min(8, len(keys))) as pool:
        for key, obj in zip(keys, pool.map(backend.head, keys), strict=True):
            if obj is None:
                result.pop(key, None)  # gone since the listing
            else:
                result[key] = obj
    return result


def verify(art: Artifact, stored: RemoteObject | None) -> None:
    """Raise unless the destination holds exactly ``art`` (size, sha256, Content-Type)."""
    where = "nothing that refers to it was published"
    if stored is None:
        raise StorageError(f"{art.key}: not found right after uploading it; {where}")
    if stored.size != art.size:
        raise StorageError(
            f"{art.key}: destination holds {stored.size:,} bytes, expected {art.size:,}; {where}"
        )
    if stored.sha256 is not None and stored.sha256 != art.sha256:
        raise StorageError(f"{art.key}: destination holds different bytes (sha256); {where}")
    if stored.content_type is not None and _mime(stored.content_type) != _mime(art.content_type):
        raise StorageError(
            f"{art.key}: served as {stored.content_type!r}, expected {art.content_type!r}; {where}"
        )


def _mime(value: str) -> str:
    return value.split(";")[0].strip().lower()


def apply(
    the_plan: Plan,
    backend: Backend,
    progress: Progress | None = None,
    numbering: tuple[int, int] | None = None,
) -> Applied:
    """Upload stage by stage (media and art, pages, the feed, the manifest), each object
    verified by HEAD before the next stage starts, so nothing is referenced before it is
    in place; then delete what --prune removes, after the new feed is live. ``numbering``
    (objects done before, objects in all): for log lines when a run applies in phases."""
    progress = progress or NoProgress()
    uploads = the_plan.uploads
    applied = Applied()
    started = time.monotonic()
    lock = threading.Lock()
    stop = threading.Event()  # set on Ctrl+C or a failed upload: the others abort mid-stream
    progress.start(len(uploads), the_plan.upload_bytes)
    try:
        for _, group in groupby(uploads, key=lambda a: a.artifact.stage if a.artifact else 0):
            actions = list(group)
            with ThreadPoolExecutor(max_workers=min(WORKERS, len(actions))) as pool:
                futures = [pool.submit(_upload, backend, a, progress, stop) for a in actions]
                try:
                    for future in as_completed(futures):
                        action = future.result()
                        with lock:
                            applied.uploaded.append(action.key)
                            applied.uploaded_bytes += action.size
                            n = len(applied.uploaded) + (numbering[0] if numbering else 0)
                        progress.file_done(action.key, action.size)
                        log.info(
                            "uploaded %d/%d %s (%s bytes, verified)",
                            n,
                            numbering[1] if numbering else len(uploads),
                            action.key,
                            f"{action.size:,}",
                        )
                except BaseException:
                    stop.set()
                    for f in futures:
                        f.cancel()
                    raise
        for action in the_plan.deletions:
            checkpoint(f"delete:{action.key}")
            backend.delete(action.key)
            applied.deleted.append(action.key)
            log.info("deleted %s", action.key)
    finally:
        applied.seconds = time.monotonic() - started
        progress.finish()
    return applied


def _upload(backend: Backend, action: Action, progress: Progress, stop: threading.Event) -> Action:
    art = action.artifact
    assert art is not None and art.path is not None, f"nothing local to upload for {action.key}"

    def advance(nbytes: int) -> None:
        if stop.is_set():
            raise TransferCancelled(art.key)
        progress.advance(nbytes)

    if stop.is_set():
        raise TransferCancelled(art.key)
    log.debug("uploading %s (%s bytes)", art.key, f"{art.size:,}")
    checkpoint(f"upload:{art.key}")
    stored = backend.put(
        art.key,
        art.path,
        content_type=art.content_type,
        cache_control=art.cache_control,
        sha256=art.sha256,
        progress=advance,
    )
    verify(art, stored if stored is not None else backend.head(art.key))
    checkpoint(f"uploaded:{art.key}")
    return action


@contextmanager
def publish_lock(root: Path, *, dry_run: bool) -> Iterator[None]:
    """One publish of a show at a time: a second one fails at once with a clear error.
    The kernel drops the lock when the process ends, however it ends (kill -9 included)."""
    if dry_run or fcntl is None:
        yield
        return
    path = root / STATE_DIR / "publish.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AudiofeedError(
                "another 'audiofeed publish' of this show is running; wait for it to finish",
                path=root,
            ) from None
        yield
