"""Apply a plan to the destination so that a publish that dies half-way is harmless (see
docs/reliability.md): stage order (media before pages before feeds before the manifest),
one publish of a show at a time, no stale checksum vouching for a replaced object."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .checkpoint import checkpoint
from .errors import AudiofeedError
from .state import MANIFEST_KEY, Manifest, write_atomic
from .storage import Backend, Plan, RemoteObject, cache_control_for, content_type_for

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("audiofeed")
STATE_DIR = ".audiofeed"


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


def forget_overwritten(
    the_plan: Plan, manifest: Manifest, backend: Backend, build_dir: Path
) -> None:
    """Before overwriting published objects in place (pages, feeds), publish the old manifest
    without them. A run that dies half-way then leaves no checksum vouching for an object it
    may have replaced, so the next run compares it afresh instead of trusting a stale entry
    (which, for a same-size edit that was reverted, would skip the object for ever)."""
    stale = [a.key for a in the_plan.uploads if a.key in manifest.objects and a.key != MANIFEST_KEY]
    if not stale:
        return
    interim = dataclasses.replace(
        manifest, objects={k: v for k, v in manifest.objects.items() if k not in stale}
    )
    path = build_dir / ".interim-manifest.json"
    data = interim.to_bytes()
    write_atomic(path, data)
    backend.put(
        MANIFEST_KEY,
        path,
        content_type=content_type_for(MANIFEST_KEY),
        cache_control=cache_control_for(MANIFEST_KEY),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    checkpoint("interim-manifest")


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


def apply(
    the_plan: Plan, backend: Backend, progress: Callable[[int, int, str], None] | None = None
) -> None:
    """Upload in stage order (media … feed, manifest), then delete what --prune removes."""
    uploads = the_plan.uploads
    for n, action in enumerate(uploads, 1):
        art = action.artifact
        assert art is not None and art.path is not None, f"nothing local to upload for {art}"
        log.info("uploading %d/%d %s (%s bytes)", n, len(uploads), art.key, f"{art.size:,}")
        checkpoint(f"upload:{art.key}")
        stored = backend.put(
            art.key,
            art.path,
            content_type=art.content_type,
            cache_control=art.cache_control,
            sha256=art.sha256,
        )
        if stored.size != art.size:
            raise AudiofeedError(
                f"{art.key}: destination holds {stored.size} bytes, "
                f"expected {art.size}; nothing after it was published"
            )
        checkpoint(f"uploaded:{art.key}")
    for action in the_plan.deletions:
        log.info("deleting %s", action.key)
        checkpoint(f"delete:{action.key}")
        backend.delete(action.key)
