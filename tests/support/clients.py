"""Real podcast clients, parsers and a real browser, for tests (loopback URLs only).

    r = gpo(feed_url, tmp_path)              # gPodder: subscribe, update, list, download
    r.check()                                # raise GpoError (with all output) on any error
    r.files, r.episodes, r.podcasts          # downloaded files, sqlite rows as dicts

    pt = partytime(feed_url_or_path)         # podcast-partytime (Podcast Index's parser)
    pt.ok, pt.channel, pt.items, pt.pc20support

    podcastparser_parse(url_or_path)         # dict; raises podcastparser.FeedParseError
    feedparser_parse(url_or_path)            # FeedParserDict; never raises (see .bozo)

    with chromium() as browser:              # Playwright Browser on Debian's chromium
        page = browser.new_page(); page.goto(url)
        violations = run_axe(page)           # axe-core; AXE_JS is axe.min.js

gpo always exits 0, even when the feed does not parse or a download 404s: GpoResult
collects such messages in ``errors`` (and ``ok`` is False). The non-Python parts are
installed by scripts/install-test-deps.sh; a missing one raises ``MissingTool`` (tests
fail rather than skip: CI must run them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import NODE_DIR, REPO_ROOT

INSTALL_HINT = "run: bash scripts/install-test-deps.sh"


class MissingTool(RuntimeError):
    """An external program the tests need is not installed."""


def _testdeps_dir() -> Path:
    return Path(os.environ.get("AUDIOFEED_TESTDEPS_DIR") or REPO_ROOT / ".cache" / "testdeps")


# --------------------------------------------------------------------------- gPodder


def gpo_path() -> str:
    """The gpo wrapper made by install-test-deps.sh ($AUDIOFEED_GPO overrides)."""
    override = os.environ.get("AUDIOFEED_GPO")
    if override:
        return override
    wrapper = _testdeps_dir() / "gpodder" / "bin" / "gpo"
    if wrapper.is_file() and os.access(wrapper, os.X_OK):
        return str(wrapper)
    system = shutil.which("gpo")
    if system:
        return system
    raise MissingTool(f"gPodder's gpo not found at {wrapper}: {INSTALL_HINT}")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Lines (stdout or stderr) that mean something went wrong although gpo exits 0.
GPO_ERROR_PATTERNS = [
    re.compile(p)
    for p in (
        r"\bERROR:",  # [gpodder.download] ERROR: HTTP 404 while downloading
        r"\bCRITICAL:",
        r"Traceback \(most recent call last\)",
        r"Could not parse feed",
        r"Cannot subscribe",
        r"Action could not be completed",  # update/download step failed
        r"\[FAIL\]",
        r"You are not subscribed",
        r"No episode with the specified GUID",
        r"Invalid (url|URL|command|option)",
        r"Wrong argument count",
    )
]


class GpoError(AssertionError):
    """gpo reported an error (its exit code is always 0)."""


@dataclass
class GpoCommand:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str


@dataclass
class GpoResult:
    """What a gpo session did. ``episodes``/``podcasts`` are rows of gPodder's sqlite
    tables as dicts (columns e.g. guid, title, url, file_size, mime_type, total_time,
    published, episode_art_url, download_filename, state)."""

    feed_url: str
    home: Path
    download_dir: Path
    commands: list[GpoCommand] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    partial_files: list[Path] = field(default_factory=list)
    episodes: list[dict[str, Any]] = field(default_factory=list)
    podcasts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def stdout(self) -> str:
        return "".join(f"$ gpo {' '.join(c.args)}\n{c.stdout}" for c in self.commands)

    @property
    def stderr(self) -> str:
        return "".join(f"$ gpo {' '.join(c.args)}\n{c.stderr}" for c in self.commands)

    @property
    def subscribed(self) -> bool:
        return any(
            c.args[:1] == ["subscribe"] and "Successfully added" in c.stdout for c in self.commands
        )

    @property
    def errors(self) -> list[str]:
        """Every output line that signals a failure (see GPO_ERROR_PATTERNS)."""
        found = []
        for c in self.commands:
            for line in (c.stdout + "\n" + c.stderr).splitlines():
                if any(p.search(line) for p in GPO_ERROR_PATTERNS):
                    found.append(line.strip())
            if c.returncode != 0:
                found.append(f"gpo {' '.join(c.args)} exited {c.returncode}")
        return found

    @property
    def ok(self) -> bool:
        return self.subscribed and not self.errors and not self.partial_files

    def check(self) -> GpoResult:
        """Raise GpoError with the full output unless ``ok``; return self."""
        if not self.ok:
            problems = self.errors or (["not subscribed"] if not self.subscribed else [])
            problems += [f"partial download: {p.name}" for p in self.partial_files]
            raise GpoError(
                "gpo failed: "
                + "; ".join(problems)
                + "\n--- stdout\n"
                + self.stdout
                + "\n--- stderr\n"
                + self.stderr
            )
        return self

    def episode(self, guid: str) -> dict[str, Any]:
        for e in self.episodes:
            if e.get("guid") == guid:
                return e
        raise KeyError(
            f"no episode with guid {guid!r}; have {[e.get('guid') for e in self.episodes]}"
        )


class GpoSession:
    """gpo with its own throwaway GPODDER_HOME; run() any gpo command in it.

    Use this for multi-step scenarios (subscribe, change the feed, update again);
    gpo() below is the one-call version.
    """

    def __init__(self, home: str | os.PathLike[str], *, timeout: float = 120.0):
        self.home = Path(home)
        self.download_dir = self.home / "Downloads"
        self.download_dir.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        self.exe = gpo_path()
        self.commands: list[GpoCommand] = []

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTHON", "VIRTUAL_ENV", "GPODDER_"))
        }
        env.update(
            GPODDER_HOME=str(self.home),
            GPODDER_DOWNLOAD_DIR=str(self.download_dir),
            HOME=str(self.home),
            LANG="C.UTF-8",
            LC_ALL="C.UTF-8",
        )
        return env

    def run(self, *args: str) -> GpoCommand:
        proc = subprocess.run(
            [self.exe, *args],
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=self.timeout,
            cwd=self.home,
        )
        cmd = GpoCommand(
            list(args), proc.returncode, _ANSI.sub("", proc.stdout), _ANSI.sub("", proc.stderr)
        )
        self.commands.append(cmd)
        return cmd

    def _rows(self, table: str) -> list[dict[str, Any]]:
        db = self.home / "Database"
        if not db.exists():
            return []
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute(f"SELECT * FROM {table} ORDER BY id")]
        except sqlite3.OperationalError:
            return []
        finally:
            con.close()

    def result(self, feed_url: str) -> GpoResult:
        files = sorted(p for p in self.download_dir.rglob("*") if p.is_file())
        return GpoResult(
            feed_url=feed_url,
            home=self.home,
            download_dir=self.download_dir,
            commands=list(self.commands),
            files=[p for p in files if not p.name.endswith(".partial")],
            partial_files=[p for p in files if p.name.endswith(".partial")],
            episodes=self._rows("episode"),
            podcasts=self._rows("podcast"),
        )


def gpo(
    feed_url: str,
    tmpdir: str | os.PathLike[str],
    *,
    guid: str | None = None,
    download: bool = True,
    timeout: float = 120.0,
) -> GpoResult:
    """Subscribe gPodder to ``feed_url`` in a fresh home under ``tmpdir``, update, list the
    episodes (``episodes --guid``) and download all new episodes (or only ``guid``).

    Never raises for gpo's own failures: inspect ``.ok``/``.errors`` or call ``.check()``.
    Downloaded files are in ``result.download_dir / <podcast title> /``.
    """
    home = Path(tmpdir) / "gpodder-home"
    if home.exists() and any(home.iterdir()):
        raise ValueError(f"{home} is not empty: use a fresh tmpdir (or GpoSession)")
    s = GpoSession(home, timeout=timeout)
    sub = s.run("subscribe", feed_url)
    if "Successfully added" in sub.stdout:
        s.run("update", feed_url)
        s.run("episodes", "--guid", feed_url)
        if download:
            s.run("download", feed_url, *([guid] if guid else []))
    return s.result(feed_url)


# --------------------------------------------------------------------------- partytime

PARTYTIME_JS = NODE_DIR / "partytime.js"
_PT_MARKER = "AUDIOFEED-PARTYTIME-RESULT "


@dataclass
class PartytimeResult:
    ok: bool
    channel: dict[str, Any]
    items: list[dict[str, Any]]
    pc20support: dict[str, list[str]]
    error: str | None
    logs: list[str]  # partytime's own log lines (pino JSON), e.g. skipped items
    returncode: int


def partytime(feed: str | os.PathLike[str], *, timeout: float = 60.0) -> PartytimeResult:
    """Parse a feed (http(s) URL or file path) with podcast-partytime 5 under node.

    ``ok`` is False when partytime returned null (bad XML, no <channel>) or the fetch
    failed; items without a guid or enclosure are dropped by partytime (see ``logs``).
    """
    node = shutil.which("node")
    if not node:
        raise MissingTool(f"node not found: {INSTALL_HINT}")
    if not (NODE_DIR / "node_modules" / "podcast-partytime").is_dir():
        raise MissingTool(f"podcast-partytime not installed in {NODE_DIR}: {INSTALL_HINT}")
    proc = subprocess.run(
        [node, str(PARTYTIME_JS), os.fspath(feed)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=NODE_DIR,
        stdin=subprocess.DEVNULL,
    )
    result_line = None
    logs = []
    for line in proc.stdout.splitlines():
        if line.startswith(_PT_MARKER):
            result_line = line[len(_PT_MARKER) :]
        elif line.strip():
            logs.append(line)
    logs += [line for line in proc.stderr.splitlines() if line.strip()]
    if result_line is None:
        raise RuntimeError(
            f"partytime.js printed no result (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    data = json.loads(result_line)
    return PartytimeResult(
        ok=bool(data.get("ok")),
        channel=data.get("channel") or {},
        items=data.get("items") or [],
        pc20support=data.get("pc20support") or {},
        error=data.get("error"),
        logs=logs,
        returncode=proc.returncode,
    )


# --------------------------------------------------------------------------- Python parsers


def podcastparser_parse(url_or_path: str | os.PathLike[str], *, timeout: float = 30.0) -> dict:
    """Parse with podcastparser (gPodder's parser, PyPI version). Raises FeedParseError
    on malformed XML. For a path, the feed URL is its file:// URL."""
    import podcastparser

    src = os.fspath(url_or_path)
    if re.match(r"^https?://", src):
        with urllib.request.urlopen(src, timeout=timeout) as f:
            return podcastparser.parse(src, f)
    path = Path(src.removeprefix("file://")).resolve()
    with open(path, "rb") as f:
        return podcastparser.parse(path.as_uri(), f)


def feedparser_parse(url_or_path: str | os.PathLike[str]):
    """Parse with feedparser (URL, path or XML string). Never raises: check ``.bozo``
    and ``.bozo_exception``; on a URL, ``.status`` is the HTTP status."""
    import feedparser

    return feedparser.parse(os.fspath(url_or_path))


# --------------------------------------------------------------------------- browser

CHROMIUM_ARGS = [
    "--no-sandbox",  # root in a container: the setuid sandbox cannot work
    "--disable-gpu",
    "--disable-background-networking",  # no calls home, no component/safe-browsing fetches
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

AXE_JS = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
"""axe-core's browser bundle (inject with page.add_script_tag(path=AXE_JS))."""


def chromium_path() -> str:
    exe = os.environ.get("AUDIOFEED_CHROMIUM") or shutil.which("chromium")
    if not exe:
        raise MissingTool(f"Debian's chromium not found: {INSTALL_HINT}")
    return exe


def axe_js_path() -> Path:
    if not AXE_JS.is_file():
        raise MissingTool(f"axe-core not installed at {AXE_JS}: {INSTALL_HINT}")
    return AXE_JS


@contextmanager
def chromium(*, headless: bool = True, timeout_ms: float = 30_000) -> Iterator[Any]:
    """A Playwright ``Browser`` running Debian's chromium (never `playwright install`).

    Uses the sync API, so do not call it from inside a running asyncio loop.
    """
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=exe, headless=headless, args=CHROMIUM_ARGS, timeout=timeout_ms
        )
        try:
            yield browser
        finally:
            browser.close()


def run_axe(page, *, context: Any = None, options: dict | None = None) -> list[dict[str, Any]]:
    """Inject axe-core into ``page`` and return ``axe.run()``'s violations
    (dicts with id, impact, help, nodes, ...)."""
    page.add_script_tag(path=str(axe_js_path()))
    return page.evaluate(
        "async ([ctx, opts]) => (await axe.run(ctx || document, opts || {})).violations",
        [context, options],
    )
