"""Downloads for the feed import: resumable, verified, atomic, a few at a time.

Each file goes into a hidden ``.NAME.part`` beside its destination. A later run that finds
the part file asks for the rest with ``Range: bytes=N-``; a ``206`` whose Content-Range
starts at N is appended, anything else starts over. The finished file must have the size
the server announced (and the size the feed's enclosure states, when it states one), then
it is fsynced and renamed into place: a destination file is always complete. A failure is
recorded and the other downloads go on.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__

log = logging.getLogger("audiofeed.import")

WORKERS = 3  # polite: never more than three requests to the old host at once
TIMEOUT = 30.0
CHUNK = 256 * 1024
USER_AGENT = f"audiofeed/{__version__} (feed import)"


@dataclass(frozen=True)
class Job:
    url: str
    dest: Path
    label: str  # how lines name it (the path relative to the show folder)
    expected: int | None = None  # the enclosure's length attribute
    max_bytes: int | None = None


@dataclass
class Outcome:
    job: Job
    ok: bool
    size: int = 0
    resumed_from: int = 0
    error: str | None = None
    note: str | None = None


def part_path(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.part")


def human(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def download_all(
    jobs: list[Job],
    *,
    workers: int = WORKERS,
    opener: Callable[..., Any] | None = None,
) -> list[Outcome]:
    """Fetch every job (at most ``workers`` at once); one log line per file, then totals."""
    if not jobs:
        return []
    started = time.monotonic()
    done = 0
    outcomes: list[Outcome] = []

    def run(job: Job) -> Outcome:
        try:
            return _fetch(job, opener or urllib.request.urlopen)
        except DownloadError as exc:
            return Outcome(job, False, error=str(exc))
        except (OSError, http.client.HTTPException, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            return Outcome(job, False, error=f"download failed ({reason}); run the import again")

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fetch") as pool:
        for outcome in pool.map(run, jobs):
            done += 1
            outcomes.append(outcome)
            if outcome.ok:
                at = outcome.resumed_from
                resumed = f", resumed at {human(at)}" if at else ""
                log.info(
                    "fetched %d/%d %s (%s%s)",
                    done,
                    len(jobs),
                    outcome.job.label,
                    human(outcome.size),
                    resumed,
                )
            else:
                log.warning(
                    "failed %d/%d %s: %s", done, len(jobs), outcome.job.label, outcome.error
                )
    ok = [o for o in outcomes if o.ok]
    total = sum(o.size - o.resumed_from for o in ok)
    log.info(
        "downloads: %d of %d files, %s in %.1f s%s",
        len(ok),
        len(jobs),
        human(total),
        time.monotonic() - started,
        f"; {len(jobs) - len(ok)} failed" if len(ok) < len(jobs) else "",
    )
    return outcomes


class DownloadError(Exception):
    """One download cannot complete; the message says why and what to do."""


_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


def _fetch(job: Job, opener: Callable[..., Any]) -> Outcome:
    if job.max_bytes and job.expected and job.expected > job.max_bytes:
        raise DownloadError(_too_big(job.expected, job.max_bytes))
    part = part_path(job.dest)
    job.dest.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(job.url, headers=headers)
    try:
        response = opener(request, timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the part file is already whole (or stale): start over
            part.unlink()
            return _fetch(job, opener)
        raise DownloadError(f"HTTP {exc.code} from the old host; check the URL") from None
    with response:
        status = response.status
        total: int | None = None
        start = 0
        if status == 206:
            match = _RANGE.match(response.headers.get("Content-Range", ""))
            if match and int(match[1]) == have:
                start = have
                total = int(match[3]) if match[3] != "*" else None
        if start == 0:
            have = 0
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() and status == 200 else None
        if job.max_bytes and total and total > job.max_bytes:
            raise DownloadError(_too_big(total, job.max_bytes))
        mode = "ab" if start else "wb"
        written = start
        with open(part, mode) as out:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                written += len(chunk)
                if job.max_bytes and written > job.max_bytes:
                    out.close()
                    part.unlink(missing_ok=True)
                    raise DownloadError(_too_big(written, job.max_bytes))
            out.flush()
            os.fsync(out.fileno())
    if total is not None and written != total:
        raise DownloadError(
            f"got {written} of {total} bytes; the rest is kept in {part.name}: run the import "
            "again to resume"
        )
    note = None
    if job.expected and written != job.expected:
        note = f"the feed says {job.expected} bytes, the host sent {written} (sizes are measured)"
    os.replace(part, job.dest)
    return Outcome(job, True, size=written, resumed_from=start, note=note)


def _too_big(size: int, limit: int) -> str:
    return f"{human(size)} is more than --max-size {human(limit)}; raise --max-size to fetch it"
