"""What a cluster worker runs (audiofeed/executor.py sends it): master one recording on a
machine that shares nothing with the coordinator but the sources (and an S3 destination).

The worker reads the source itself (a path on a shared filesystem, or ``s3://bucket/key``
with its own credentials) and masters it into its own cache (``$TMPDIR/audiofeed-worker``).
For an S3 destination (``Task.upload``) it then tags a copy, hashes and uploads it
(upload.py) and sends back the media record and the master's facts, not its bytes.
Otherwise (a folder destination, or a worker that cannot write the destination) it sends
back the master's bytes and the facts; the coordinator keeps them under the same
content-addressed name a local run would (media.master.store). Those bytes travel in the
task's result, so a master must fit in the coordinator's and the worker's memory (an hour
at 128 kb/s is ~58 MB); docs/cluster.md. A task that runs twice gives the same bytes.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AudiofeedError, MediaError
from ..show.masterconfig import MasterSettings
from . import sources


@dataclass(frozen=True)
class Task:
    """One recording to master. ``source``: a path the workers see or ``s3://…``;
    ``shown``: the recording as the coordinator names it (in facts and errors)."""

    source: str
    shown: Path
    sha256: str | None
    settings: MasterSettings
    stream: int = 0
    start: float | None = None
    end: float | None = None
    where: Path | None = None
    endpoint_url: str | None = None
    upload: Any = None  # upload.Upload: tag, hash and upload the master here


@dataclass(frozen=True)
class Done:
    """A worker's answer: the source's sha256, the facts, the master's bytes (None when
    the recording is published as it is, or when the worker uploaded its tagged copy:
    then ``record`` and the master's ``probe``) and who did it."""

    sha256: str
    facts: dict[str, Any]
    data: bytes | None
    worker: str
    record: Any = None  # state.MediaRecord
    probe: dict[str, Any] | None = None


def home() -> Path:
    """This worker's own folder (its cache of sources and masters)."""
    return Path(tempfile.gettempdir()) / "audiofeed-worker"


def run(task: Task) -> Done | MediaError:
    """Master ``task`` here; a bad recording comes back as the MediaError a local run gives."""
    try:
        return _run(task)
    except MediaError as exc:
        return exc
    except AudiofeedError as exc:  # the source could not be read (storage)
        return MediaError(f"{task.source}: {exc.message}", path=task.where, field="audio")


def _run(task: Task) -> Done:
    from ..media import sha256_file
    from ..media.master import Job, master
    from .executor import worker_name

    root = home()
    if sources.is_s3(task.source):
        local, sha = _fetch(task, root)
    else:
        local = Path(task.source)
        sha = task.sha256 or sha256_file(local)
    job = Job(
        source=local,
        sha256=sha,
        settings=task.settings,
        cache_dir=root / "master",
        stream=task.stream,
        start=task.start,
        end=task.end,
        where=task.where,
    )
    try:
        path, facts = master(job)
    except MediaError as exc:
        if exc.path == local:  # name the recording as the coordinator knows it
            raise MediaError(exc.message, path=task.shown, field=exc.field) from None
        raise
    if path is not None and task.upload is not None:
        from .upload import publish_master

        record, probe = publish_master(task.upload, path, facts, task.where, worker_name())
        return Done(sha, facts, None, worker_name(), record, probe)
    data = path.read_bytes() if path is not None else None
    return Done(sha, facts, data, worker_name())


def _fetch(task: Task, root: Path) -> tuple[Path, str]:
    """The object copied into this worker's cache (once per content), and its sha256."""
    name = task.shown.name
    if task.sha256:
        kept = root / "sources" / task.sha256[:32] / name
        if kept.is_file():
            return kept, task.sha256
    incoming = root / "sources" / ".incoming" / f"{os.getpid()}-{uuid.uuid4().hex}" / name
    try:
        sha = sources.download(task.source, incoming, task.endpoint_url, task.sha256)
        kept = root / "sources" / sha[:32] / name
        kept.parent.mkdir(parents=True, exist_ok=True)
        os.replace(incoming, kept)
    finally:
        incoming.unlink(missing_ok=True)
        incoming.parent.rmdir() if incoming.parent.is_dir() else None
    return kept, sha


def preflight(names: list[str], endpoint_url: str | None, dest: Any) -> dict[str, Any]:
    """Run on every worker before any work: which sources it cannot read (and why), and
    why it cannot write the destination ``dest`` (an upload.Destination; None: not asked)."""
    from .upload import unwritable

    return {
        "unreadable": unreadable(names, endpoint_url),
        "unwritable": unwritable(dest) if dest is not None else None,
    }


def unreadable(names: list[str], endpoint_url: str | None) -> dict[str, str]:
    """Which of these sources this machine cannot read, and why (run on every worker)."""
    out = {}
    for name in names:
        if sources.is_s3(name):
            why = sources.readable(name, endpoint_url)
        else:
            path = Path(name)
            why = (
                "no such file here (is the folder shared with the workers?)"
                if not path.is_file()
                else None
                if os.access(path, os.R_OK)
                else "permission denied"
            )
        if why:
            out[name] = why
    return out
