"""Shared pieces of the bad-input corpus (tests/test_corpus_*.py): a one-episode show,
an in-process CLI run, and the invariants every run must hold.

Every case must end in success or in clean ``error:`` lines naming the file, exit 1,
with the published folder unchanged (never partly written) and the sources untouched.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from click.testing import CliRunner
from lxml import etree

from tests.support.media import make_audio
from tests.support.show import copy_demo_show

BASE_URL = "http://127.0.0.1:8000/"


def examples(n: int) -> int:
    """CI's example count, times $AUDIOFEED_CORPUS_SCALE for a longer run by hand."""
    return n * int(os.environ.get("AUDIOFEED_CORPUS_SCALE", "1"))


EPISODE = "episodes/01-outcomes-measurement.md"
RECORDING = "recordings/01-outcomes-measurement.mp3"


def make_mini_show(root: Path) -> Path:
    """The demo show cut to its first episode (with transcript and people), 1 s of audio,
    published once so ``public/`` holds an 'old' feed a failed run must leave alone."""
    show = copy_demo_show(root)
    for path in (show / "episodes").glob("0*.md"):
        if path.name != Path(EPISODE).name:
            path.unlink()
    for path in (show / "recordings").iterdir():
        if path.suffix != ".vtt":
            path.unlink()
    make_audio(show / RECORDING, 20.0)  # the demo episode has chapters up to 17.9 s
    result = invoke(show, "publish")
    assert result.exit_code == 0, result.stderr
    return show


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None


def invoke(show: Path, *args: str) -> Outcome:
    """Run ``audiofeed -q -c show/config.toml ARGS`` in-process (click's CliRunner); -q keeps
    progress lines out, so stderr holds only ``error:`` and ``warning:`` lines."""
    from audiofeed.cli import cli

    result = CliRunner().invoke(cli, ["-q", "-c", str(show / "config.toml"), *args])
    exc = result.exception
    if isinstance(exc, SystemExit):
        exc = None
    return Outcome(result.exit_code, result.stdout, result.stderr, exc)


@contextmanager
def scratch_copy(base: Path) -> Iterator[Path]:
    """A throwaway copy of ``base`` (hypothesis examples cannot use function fixtures)."""
    with tempfile.TemporaryDirectory(prefix="af-corpus-") as tmp:
        dest = Path(tmp) / "show"
        shutil.copytree(base, dest, symlinks=True)
        yield dest


def snapshot(folder: Path) -> dict[str, str]:
    """key -> sha256 of every file under ``folder`` (empty when it does not exist)."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def check_outcome(out: Outcome, show: Path, before: dict[str, str], names: set[str]) -> str:
    """The corpus invariants; returns "ok" or "error" (for hypothesis' event statistics).

    ``names``: file names one of which an error line must mention (the input that was broken).
    """
    assert out.exception is None, f"unexpected {out.exception!r}\n{out.stderr}"
    assert "Traceback" not in out.stderr + out.stdout, out.stderr
    if out.exit_code == 0:
        check_published(show / "public")
        return "ok"
    assert out.exit_code == 1, (out.exit_code, out.stderr)
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert lines, "failed without saying why"
    bad = [ln for ln in lines if not ln.startswith(("error: ", "warning: "))]
    assert not bad, f"unexpected output lines: {bad}"
    errors = [ln for ln in lines if ln.startswith("error: ")]
    assert errors, lines
    assert any(any(n in ln for n in names) for ln in errors), (names, errors)
    assert snapshot(show / "public") == before, "a failed publish changed the destination"
    return "error"


def check_published(public: Path) -> None:
    """Every feed parses as XML (strict) and every enclosure it names exists, right size."""
    feeds = sorted(public.glob("*.xml"))
    assert feeds, "no feed published"
    for path in feeds:
        root = etree.fromstring(path.read_bytes())  # raises on any ill-formed byte
        for enc in root.iter("enclosure"):
            url = enc.get("url")
            assert url.startswith(BASE_URL), url
            target = public / urlsplit(url).path.lstrip("/")
            assert target.is_file(), f"{path.name} refers to missing {url}"
            assert target.stat().st_size == int(enc.get("length")), url
