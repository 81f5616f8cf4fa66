"""``audiofeed check --remote``: what a podcast app sees of the published show.

Fetches the feed from its public URL without credentials, then checks the show art and every
enclosure the way podcast apps and CDNs use them: HEAD (200, Content-Length equal to the
feed's ``length``, the right Content-Type) and a Range request (206 with a matching
Content-Range, so players can seek and resume). Standard library only.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import Problem

if TYPE_CHECKING:
    from pathlib import Path

TIMEOUT = 20
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
PODCAST = "{https://podcastindex.org/namespace/1.0}"
USER_AGENT = "audiofeed-check"
FEED_TYPES = ("application/rss+xml", "application/xml", "text/xml")


@dataclass(frozen=True)
class Enclosure:
    url: str
    length: int | None
    type: str


@dataclass(frozen=True)
class RemoteResult:
    feed_url: str
    enclosures: int
    problems: list[Problem]
    urls: frozenset[str] = frozenset()


def _open(url: str, method: str = "GET", headers: dict[str, str] | None = None):
    request = urllib.request.Request(
        url, method=method, headers={"User-Agent": USER_AGENT, **(headers or {})}
    )
    return urllib.request.urlopen(request, timeout=TIMEOUT)  # anonymous; follows redirects


def _mime(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def check_published(config_path: Path, base_url: str | None = None) -> tuple[list[Problem], str]:
    """``check --remote``: the problems with every feed config.toml declares, as published at
    ``base_url`` (from config.toml unless given), and the line to print when there are none."""
    from ..show.config import load

    config = load(config_path)
    base = base_url.rstrip("/") + "/" if base_url else config.publish.base_url
    problems: list[Problem] = []
    enclosures = set()
    for spec in config.feeds:
        result = check_remote(base + spec.key)
        problems += [x for x in result.problems if x not in problems]  # shared enclosures
        enclosures |= result.urls
    feeds = ", ".join(base + spec.key for spec in config.feeds)
    ok = (
        f"ok: {feeds} and {len(enclosures)} enclosure(s) reachable anonymously "
        "(HEAD 200, Range 206, lengths and types match)"
    )
    return problems, ok


def check_remote(feed_url: str) -> RemoteResult:
    """Every problem a listener would hit with the published feed (none: all good)."""
    problem = _problem_for(feed_url)
    try:
        with _open(feed_url) as resp:
            body = resp.read()
            ctype = resp.headers.get("Content-Type")
    except urllib.error.HTTPError as exc:
        return RemoteResult(feed_url, 0, [problem(f"HTTP {exc.code} for an anonymous GET")])
    except (OSError, ValueError) as exc:
        return RemoteResult(feed_url, 0, [problem(f"cannot fetch: {_reason(exc)}")])
    problems = []
    if _mime(ctype) not in FEED_TYPES:
        problems.append(problem(f"served as {ctype!r}, expected 'application/rss+xml'"))
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        return RemoteResult(feed_url, 0, [*problems, problem(f"not well-formed XML: {exc}")])
    enclosures = []
    for item in root.iter("item"):
        enc = item.find("enclosure")
        title = item.findtext("title") or "?"
        if enc is None or not enc.get("url"):
            problems.append(problem(f"item {title!r} has no enclosure"))
            continue
        length = enc.get("length", "")
        enclosures.append(
            Enclosure(
                enc.get("url", ""), int(length) if length.isdigit() else None, enc.get("type", "")
            )
        )
    images = {(e.get("href"), "image/") for e in root.iter(f"{ITUNES}image") if e.get("href")}
    images |= {(u.text.strip(), "image/") for u in root.iter("url") if u.text}
    others = images | {
        (t.get("url"), _mime(t.get("type")))
        for t in root.iter(f"{PODCAST}transcript")
        if t.get("url")
    }
    with ThreadPoolExecutor(max_workers=8) as pool:
        for found in pool.map(check_enclosure, enclosures):
            problems.extend(found)
        for found in pool.map(lambda u: check_other(*u), sorted(others)):
            problems.extend(found)
    urls = frozenset(e.url for e in enclosures)
    return RemoteResult(feed_url, len(enclosures), problems, urls)


def check_enclosure(enc: Enclosure) -> list[Problem]:
    """HEAD and Range-GET one enclosure anonymously."""
    problem = _problem_for(enc.url)
    problems = []
    if enc.length is None:
        problems.append(problem("the feed gives no byte length"))
    try:
        with _open(enc.url, "HEAD") as resp:
            size = resp.headers.get("Content-Length")
            ctype = resp.headers.get("Content-Type")
    except urllib.error.HTTPError as exc:
        return [problem(f"HTTP {exc.code} for an anonymous HEAD")]
    except (OSError, ValueError) as exc:
        return [problem(f"cannot reach: {_reason(exc)}")]
    if enc.length is not None and size != str(enc.length):
        problems.append(problem(f"Content-Length is {size}, the feed says {enc.length}"))
    if _mime(ctype) != _mime(enc.type):
        problems.append(problem(f"served as {ctype!r}, the feed says {enc.type!r}"))
    try:
        with _open(enc.url, headers={"Range": "bytes=0-1"}) as resp:
            status = resp.status
            content_range = resp.headers.get("Content-Range", "")
            resp.read(4)
    except urllib.error.HTTPError as exc:
        return [*problems, problem(f"HTTP {exc.code} for a Range request")]
    except (OSError, ValueError) as exc:
        return [*problems, problem(f"Range request failed: {_reason(exc)}")]
    if status != 206:
        problems.append(problem(f"Range request answered {status}, expected 206 (players seek)"))
    elif enc.length is not None and content_range != f"bytes 0-1/{enc.length}":
        problems.append(
            problem(f"Content-Range is {content_range!r}, expected 'bytes 0-1/{enc.length}'")
        )
    return problems


def check_other(url: str, expected_type: str) -> list[Problem]:
    """HEAD the show art or a transcript: 200 and a Content-Type starting as expected."""
    problem = _problem_for(url)
    try:
        with _open(url, "HEAD") as resp:
            ctype = resp.headers.get("Content-Type")
    except urllib.error.HTTPError as exc:
        return [problem(f"HTTP {exc.code} for an anonymous HEAD")]
    except (OSError, ValueError) as exc:
        return [problem(f"cannot reach: {_reason(exc)}")]
    if not _mime(ctype).startswith(expected_type):
        return [problem(f"served as {ctype!r}, expected {expected_type!r}")]
    return []


def _problem_for(url: str):  # type: ignore[no-untyped-def]
    return lambda message: Problem(None, url, message)


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
    return str(reason)
