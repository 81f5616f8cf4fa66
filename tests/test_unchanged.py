"""A publish that finds nothing to do decides so cheaply — and only when that is true.

The fast answer comes from ``.audiofeed/published.json`` (a stamp of every input and the
sha256 of the manifest last published) and one look at the destination. Any change to an
input, to the published manifest or to a published file means the full publish runs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.cli import run

HEAVY = ("feedgen", "mutagen", "lxml", "jinja2", "markdown_it", "boto3")


def publish_importing(show: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """``audiofeed publish`` with -X importtime: the output and the top-level modules loaded."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "audiofeed", "publish"],
        cwd=show,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    modules = {
        line.split("|")[-1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    return proc, modules


def test_second_publish_is_decided_without_building(show: Path) -> None:
    first = run("publish", cwd=show, check=True)
    assert first.stdout.startswith("uploaded ")
    proc, modules = publish_importing(show)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("nothing changed: ") and "objects already up to date at" in lines[0]
    assert lines[1:] == first.stdout.splitlines()[1:]  # feed and archive addresses
    assert not modules & set(HEAVY), modules & set(HEAVY)


def test_edited_episode_runs_the_full_publish(show: Path) -> None:
    run("publish", cwd=show, check=True)
    episode = sorted((show / "episodes").glob("0*.md"))[0]
    episode.write_text(episode.read_text() + "\nOne more sentence.\n")
    proc = run("publish", cwd=show, check=True)
    assert proc.stdout.startswith("uploaded ")
    assert "feed.xml" in proc.stderr
    again, _ = publish_importing(show)
    assert again.stdout.startswith("nothing changed: ")


def test_a_deleted_published_file_is_put_back(show: Path) -> None:
    run("publish", cwd=show, check=True)
    (show / "public" / "feed.xml").unlink()
    proc = run("publish", cwd=show, check=True)
    assert proc.stdout.startswith("uploaded 1 objects")
    assert (show / "public" / "feed.xml").is_file()


def test_a_changed_published_manifest_runs_the_full_publish(show: Path) -> None:
    run("publish", cwd=show, check=True)
    manifest = show / "public" / ".audiofeed" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"version"', '"version" ', 1))
    proc = run("publish", cwd=show, check=True)
    assert proc.stdout.startswith("uploaded 1 objects")  # the manifest, rewritten
    assert "reading published state" in proc.stderr


def test_other_options_are_their_own_record(show: Path) -> None:
    run("publish", cwd=show, check=True)
    proc = run("publish", "--base-url", "https://cdn.example.org/soc22", cwd=show, check=True)
    assert proc.stdout.startswith("uploaded ")  # every URL in the feed and pages changed
    assert "feed: https://cdn.example.org/soc22/feed.xml" in proc.stdout
    proc = run("publish", "--dry-run", cwd=show, check=True)
    assert "total: " in proc.stdout  # a dry run always shows the real plan
