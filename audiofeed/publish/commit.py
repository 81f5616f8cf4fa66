"""The manifest is the commit point: two publishers, one destination (docs/reliability.md).

A publish reads the live manifest with its version token (ETag) and, at the end, writes
its own with a conditional write (``If-Match``, or ``If-None-Match: *`` for the first
publish). Before that write it uploads only content-addressed objects (media, art,
transcripts, chapters: their keys name their bytes), which nobody sees until a feed names
them. The conditional write either wins — then, holding a short *lease* recorded in the
manifest, it writes pages and feeds in place, prunes, and writes the final manifest — or
fails, and nothing of this run went live.

Also here: the check that a stale folder cannot drop published episodes, the probe for
stores that ignore conditional writes, and what the show folder remembers about both
(``.audiofeed/commit.json``).
"""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..common.checkpoint import checkpoint
from ..errors import ConcurrentPublishError, Problem, RemovalError, StorageError
from ..storage import (
    Action,
    Backend,
    Plan,
    RemoteObject,
    Tagged,
    cache_control_for,
    content_type_for,
)
from .deploy import Applied, NoProgress, Progress, apply
from .state import MANIFEST_KEY, Manifest, write_atomic

log = logging.getLogger("audiofeed")

STATE_FILE = Path(".audiofeed") / "commit.json"
PROBE_KEY = ".audiofeed/probe"
LEASE_SECONDS = 600  # how long a committed publish may take to write pages and feeds
#: keys whose name carries their content hash (``audio/talk-0123456789.mp3``): safe to
#: upload before the commit, a reader cannot see them until a feed or page names them
CONTENT_ADDRESSED = re.compile(r"-[0-9a-f]{10}(\.[A-Za-z0-9]+)+$")
_MEDIA_SLUG = re.compile(r"^audio/(?P<slug>.+)-[0-9a-f]{10}\.[A-Za-z0-9]+$")
AGAIN = "pull the show folder (e.g. git pull) and run publish again"


# -- what the show folder remembers ----------------------------------------------------------
class FolderState:
    """``.audiofeed/commit.json``: this folder's id, every episode guid it has published
    (so removing one of its own episodes needs no flag) and, per destination, whether the
    store enforces conditional writes (probed once)."""

    def __init__(self, root: Path):
        self.root = root
        self.path = root / STATE_FILE
        try:
            data = json.loads(self.path.read_text())
            self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            self.data = {}

    def save(self) -> None:
        write_atomic(self.path, json.dumps(self.data, sort_keys=True, indent=1).encode())

    @property
    def owner(self) -> str:
        """Who holds a lease: this folder on this machine (a copy elsewhere is another)."""
        folder = self.data.get("folder")
        if not isinstance(folder, str):
            folder = self.data["folder"] = uuid.uuid4().hex
            self.save()
        where = f"{folder} {os.path.realpath(self.root)} {socket.gethostname()}"
        return hashlib.sha256(where.encode()).hexdigest()[:16]

    @property
    def known(self) -> set[str]:
        return {str(g) for g in self.data.get("known_guids", [])}

    def remember(self, guids: set[str]) -> None:
        if not guids <= self.known:
            self.data["known_guids"] = sorted(self.known | guids)
            self.save()

    def conditional(self, where: str) -> bool | None:
        value = self.data.get("conditional", {}).get(where)
        return value if isinstance(value, bool) else None

    def set_conditional(self, where: str, enforced: bool) -> None:
        self.data.setdefault("conditional", {})[where] = enforced
        self.save()


def at(where: str) -> dict[str, str]:
    """Where an error happened: a folder as a path (the CLI shows it relative), an S3
    destination as the first part of the line (a path would mangle ``s3://``)."""
    return {"field": where} if where.startswith("s3://") else {"path": where}


def publisher(owner: str) -> dict[str, str]:
    """Who commits, for the next publisher's messages: host, user, time (never a secret)."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {"host": socket.gethostname(), "user": user, "at": now, "by": owner}


def who(manifest: Manifest) -> str:
    p = manifest.published
    if not p:
        return "an older audiofeed (no name recorded)"
    return f"{p.get('host', '?')} by {p.get('user', '?')} at {p.get('at', '?')}"


def core_bytes(data: bytes | None) -> bytes:
    """The manifest without who wrote it when: what two publishes compare."""
    return dataclasses.replace(Manifest.from_bytes(data), published={}, lease={}).to_bytes()


# -- checks before anything is built -----------------------------------------------------------
def begin(
    backend: Backend, root: Path, guids: set[str], allowed: tuple[str, ...], dry_run: bool
) -> tuple[Tagged, FolderState]:
    """Read the live manifest with its version; stop for a stale folder or another
    publisher's lease; remember this folder's episodes."""
    start = backend.get_tagged(MANIFEST_KEY)
    live = Manifest.from_bytes(start.data)
    folder = FolderState(root)
    where = backend.describe()
    if not dry_run:
        check_lease(live, folder.owner, where)
    check_removals(live, guids, folder.known, allowed, where)
    if not dry_run:
        folder.remember(guids)
    return start, folder


def comparable(remote: dict[str, RemoteObject], start: Tagged) -> dict[str, RemoteObject]:
    """The published state as the plan compares it: the manifest by its content without
    who published it when, the probe object left out (never pruned)."""
    remote.pop(PROBE_KEY, None)
    if MANIFEST_KEY in remote:
        core = core_bytes(start.data)
        remote[MANIFEST_KEY] = RemoteObject(
            MANIFEST_KEY, len(core), hashlib.sha256(core).hexdigest()
        )
    return remote


def check_lease(live: Manifest, owner: str, where: str) -> None:
    """Stop if another publisher committed and is still writing pages and feeds."""
    lease = live.lease
    if not lease or lease.get("owner") == owner:
        return  # none, or this folder's own run that died half-way: resume it
    until = float(lease.get("until", 0))
    if until > time.time():
        ends = datetime.fromtimestamp(until, UTC).replace(microsecond=0).isoformat()
        raise ConcurrentPublishError(
            f"a publish from {who(live)} is still writing pages and feeds (until "
            f"{ends.replace('+00:00', 'Z')} at the latest); run publish again when it has "
            "finished",
            **at(where),
        )
    log.info("taking over from %s, whose publish stopped half-way", who(live))


def check_removals(
    live: Manifest, guids: set[str], known: set[str], allowed: tuple[str, ...], where: str
) -> list[str]:
    """The live episodes this folder lacks; raise for those it never published itself and
    that ``--allow-removal`` (a guid or slug each) does not name."""
    missing = sorted(set(live.media) - guids)
    names = {g: slug_of(live.media[g].key) for g in missing}
    unknown = [
        g for g in missing if g not in known and g not in allowed and names[g] not in allowed
    ]
    if unknown:
        listed = ", ".join(f"{names[g]!r} (guid {g})" for g in unknown)
        raise RemovalError(
            f"the live feed has {len(unknown)} episode(s) this folder does not have: {listed}, "
            f"last published from {who(live)}; {AGAIN}, or remove them on purpose with "
            "--allow-removal GUID (once per episode)",
            **at(where),
        )
    return missing


def slug_of(key: str) -> str:
    match = _MEDIA_SLUG.match(key)
    return match.group("slug") if match else key


# -- the probe ---------------------------------------------------------------------------------
def probe(backend: Backend) -> bool:
    """Does the store enforce ``If-None-Match: *`` and ``If-Match``? Writes the tiny
    object ``PROBE_KEY`` at most three times, then deletes it (if the credentials allow;
    else it stays, and is never pruned)."""
    try:
        return _probe(backend)
    finally:
        try:
            backend.delete(PROBE_KEY)
        except StorageError as exc:  # no s3:DeleteObject: it stays (never pruned)
            log.debug("cannot delete %s: %s", PROBE_KEY, exc)


def _probe(backend: Backend) -> bool:
    kind = {"content_type": "text/plain; charset=utf-8", "cache_control": "no-store"}
    try:
        backend.put_if(PROBE_KEY, b"audiofeed probe 1\n", None, **kind)
        backend.put_if(PROBE_KEY, b"audiofeed probe 2\n", None, **kind)
        return False  # overwrote what If-None-Match: * should have protected
    except ConcurrentPublishError:
        pass  # refused (the first write too, once the probe object exists)
    except StorageError as exc:
        if "NotImplemented" in exc.message or "501" in exc.message:
            return False
        raise
    try:
        backend.put_if(PROBE_KEY, b"audiofeed probe 3\n", '"audiofeed-no-such-etag"', **kind)
        return False
    except ConcurrentPublishError:
        return True


def enforced(backend: Backend, state: FolderState) -> bool:
    where = backend.describe()
    known = state.conditional(where)
    if known is None:
        known = probe(backend)
        state.set_conditional(where, known)
        log.info("%s %s conditional writes", where, "enforces" if known else "ignores")
    return known


def weak_warning(where: str) -> Problem:
    return Problem(
        None,
        None,
        f"{where} ignores conditional writes (If-Match / If-None-Match): two publishes at "
        "the same moment are caught only by a re-read just before each manifest write, "
        "not atomically (docs/reliability.md, 'Stores without conditional writes')",
        severity="warning",
    )


# -- the commit --------------------------------------------------------------------------------
class Commit:
    """One publish's writes, with the live manifest it started from (``start``)."""

    def __init__(
        self,
        backend: Backend,
        start: Tagged,
        state: FolderState,
        warnings: list[Problem],
    ):
        self.backend = backend
        self.start = Manifest.from_bytes(start.data)
        self.start_core = core_bytes(start.data)
        self.etag = start.etag
        self.state = state
        self.warnings = warnings
        self.strong = True
        self.lease_until = 0.0
        self.lock = threading.Lock()
        self.live: bytes | None = start.data  # the manifest live when this run ends
        self.final: bytes | None = None  # the manifest this run commits, if any
        self.stamp: dict[str, str] = {}

    def needed(self, the_plan: Plan, new_core: bytes) -> bool:
        """Whether this run must commit: it writes in place or deletes, or the manifest
        says something new. Re-uploading a content-addressed object alone (one deleted
        behind audiofeed's back) changes nothing anyone else could see: no commit."""
        late = [a for a in the_plan.actions if a.key != MANIFEST_KEY and in_place(a)]
        return bool(late) or new_core != self.start_core or bool(self.start.lease)

    def prepare(self, the_plan: Plan, new_core: bytes, *, dry_run: bool = False) -> Plan:
        """The plan to apply: the manifest uploaded (stamped with who publishes when)
        whenever anything changes, else skipped even though the stamps differ. Unless
        ``dry_run``, its build file then holds what will be live (``unchanged`` records
        that)."""
        art = next(a.artifact for a in the_plan.actions if a.key == MANIFEST_KEY)
        assert art is not None and art.path is not None
        if not self.needed(the_plan, new_core):
            self.final = None
            if self.live is not None and not dry_run:
                write_atomic(art.path, self.live)
            return the_plan
        self.stamp = publisher(self.state.owner)
        new = Manifest.from_bytes(new_core)
        self.final = dataclasses.replace(new, published=self.stamp).to_bytes()
        if not dry_run:
            write_atomic(art.path, self.final)
        size, sha = len(self.final), hashlib.sha256(self.final).hexdigest()
        art = dataclasses.replace(art, size=size, sha256=sha)
        actions = tuple(
            dataclasses.replace(
                a, kind="upload", size=size, artifact=art, reason=a.reason or "commit"
            )
            if a.key == MANIFEST_KEY
            else a
            for a in the_plan.actions
        )
        return dataclasses.replace(the_plan, actions=actions)

    def run(self, the_plan: Plan, progress: Progress | None) -> Applied:
        """Content-addressed uploads, the commit, then (under the lease) pages, feeds,
        deletions and the final manifest. Raises ConcurrentPublishError when another
        publish committed first: nothing of this run is then visible."""
        progress = Phases(progress or NoProgress(), the_plan)
        actions = [a for a in the_plan.actions if a.key != MANIFEST_KEY and a.kind != "skip"]
        early = [a for a in actions if not in_place(a)]
        late = [a for a in actions if in_place(a)]
        if self.final is None:
            applied = apply(Plan(tuple(early)), self.backend, progress)
            progress.done()
            return applied
        self.strong = enforced(self.backend, self.state)
        if not self.strong:
            self.warnings.append(weak_warning(self.backend.describe()))
        total = len(the_plan.uploads)
        applied = [apply(Plan(tuple(early)), self.backend, progress, (0, total))]
        if late:
            new = Manifest.from_bytes(self.final)
            overwritten = {a.key for a in late if a.kind == "upload"} & set(self.start.objects)
            kept = {k: v for k, v in new.objects.items() if k not in overwritten}
            self.lease_until = time.time() + LEASE_SECONDS
            lease = {"owner": self.stamp["by"], "until": int(self.lease_until)}
            self.write(dataclasses.replace(new, objects=kept, lease=lease).to_bytes(), "commit")
            checkpoint("committed")
            leased = Leased(self.backend, self.keep)
            done = (len(applied[0].uploaded), total)
            applied.append(apply(Plan(tuple(late)), leased, progress, done))
        self.write(self.final, "final" if late else "commit")
        progress.file_done(MANIFEST_KEY, len(self.final))
        progress.done()
        result = merged(applied)
        result.uploaded.append(MANIFEST_KEY)
        result.uploaded_bytes += len(self.final)
        log.info(
            "uploaded %d/%d %s (%s bytes, verified)",
            total,
            total,
            MANIFEST_KEY,
            f"{len(self.final):,}",
        )
        return result

    def keep(self) -> None:
        """Before each in-place write: renew the lease when half of it is gone (a
        conditional write, so a successful renewal also proves nobody took over)."""
        with self.lock:
            if time.time() < self.lease_until - LEASE_SECONDS / 2 or self.live is None:
                return
            current = Manifest.from_bytes(self.live)
            self.lease_until = time.time() + LEASE_SECONDS
            lease = {**current.lease, "until": int(self.lease_until)}
            self.write(dataclasses.replace(current, lease=lease).to_bytes(), "lease renewal")

    def write(self, data: bytes, what: str) -> None:
        """The manifest, conditionally on the version this run last saw."""
        checkpoint(f"upload:{MANIFEST_KEY}")
        kind = {
            "content_type": content_type_for(MANIFEST_KEY),
            "cache_control": cache_control_for(MANIFEST_KEY),
        }
        try:
            if self.strong:
                self.etag = self.backend.put_if(MANIFEST_KEY, data, self.etag, **kind)
            else:
                self.etag = self._write_weak(data, kind)
        except ConcurrentPublishError:
            raise self.lost(what) from None
        self.live = data
        checkpoint(f"uploaded:{MANIFEST_KEY}")

    def _write_weak(self, data: bytes, kind: dict[str, str]) -> str:
        """Re-read, compare, write, read back: the best a store without conditions allows."""
        if self.backend.get_tagged(MANIFEST_KEY).etag != self.etag:
            raise ConcurrentPublishError(f"{MANIFEST_KEY} changed since this publish read it")
        self.backend.put_if(MANIFEST_KEY, data, self.etag, force=True, **kind)
        back = self.backend.get_tagged(MANIFEST_KEY)
        if back.data != data or back.etag is None:
            raise ConcurrentPublishError(f"{MANIFEST_KEY} was overwritten by another publish")
        return back.etag

    def lost(self, what: str) -> ConcurrentPublishError:
        where = self.backend.describe()
        try:
            now = Manifest.from_bytes(self.backend.get_tagged(MANIFEST_KEY).data)
            by = who(now)
        except StorageError:
            by = "unknown"
        if what == "commit":
            gone = "nothing of this run went live (its new media stay unreferenced until --prune)"
        else:  # lost the lease while writing in place (stalled past it): rare, see the docs
            gone = "pages and feeds of this run may be live beside theirs"
        if not self.strong:  # the warning of a successful run would not be printed
            gone += "; this store ignores conditional writes (caught here by re-reading)"
        return ConcurrentPublishError(
            f"another publish got there first (from {by}) after this one read the "
            f"destination; {gone}; {AGAIN}",
            **at(where),
        )


def in_place(action: Action) -> bool:
    """A deletion, or an upload under a key that does not name its bytes (pages, feeds):
    what only the holder of the commit may do."""
    if action.kind == "skip":
        return False
    return action.kind == "delete" or not CONTENT_ADDRESSED.search(action.key)


class Leased:
    """A backend whose in-place writes first make sure the lease is still held."""

    def __init__(self, backend: Backend, keep: Callable[[], None]):
        self._backend = backend
        self._keep = keep

    def put(self, key: str, source: Path, **kwargs: Any) -> Any:
        self._keep()
        return self._backend.put(key, source, **kwargs)

    def delete(self, key: str) -> None:
        self._keep()
        self._backend.delete(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


class Phases:
    """One progress display over the phases of a commit (``apply`` runs once per phase)."""

    def __init__(self, progress: Progress, the_plan: Plan):
        self.progress = progress
        self.progress.start(len(the_plan.uploads), the_plan.upload_bytes)

    def start(self, files: int, total_bytes: int) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        self.progress.advance(nbytes)

    def file_done(self, key: str, size: int) -> None:
        self.progress.file_done(key, size)

    def finish(self) -> None:
        pass

    def done(self) -> None:
        self.progress.finish()


def merged(parts: list[Applied]) -> Applied:
    out = Applied()
    for part in parts:
        out.uploaded += part.uploaded
        out.uploaded_bytes += part.uploaded_bytes
        out.deleted += part.deleted
        out.seconds += part.seconds
    return out
