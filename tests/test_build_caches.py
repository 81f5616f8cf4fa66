"""The caches that keep a republish cheap never change what is published.

- tagged copies are reused across destinations (a local build, then another destination)
  while the built file is untouched, re-made when it is not;
- the show notes HTML of the last run is reused only for the same Markdown: an edited
  description is rendered again, and a cache from another renderer version is ignored.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.cli import run
from tests.support.show import tree_snapshot


def _publish(show: Path, *args: str) -> str:
    proc = run("-v", "publish", *args, cwd=show, check=True)
    return proc.stderr


def _destination(show: Path, folder: str) -> None:
    cfg = show / "config.toml"
    cfg.write_text(re.sub(r'destination = "[^"]*"', f'destination = "{folder}"', cfg.read_text()))


def _tree(folder: Path) -> dict[str, bytes]:
    """Every published file's bytes; the manifest's without who published it when."""
    tree = {k: v[0] for k, v in tree_snapshot(folder).items()}
    manifest = json.loads(tree[".audiofeed/manifest.json"])
    assert manifest.pop("published")["at"]
    tree[".audiofeed/manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return tree


def test_second_destination_reuses_the_tagged_copies(show: Path) -> None:
    log = _publish(show)
    assert log.count("tagging a copy of") == 6
    _destination(show, "elsewhere")
    log = _publish(show)
    assert "tagging a copy of" not in log
    # the same objects, byte for byte, at both destinations
    assert _tree(show / "elsewhere") == _tree(show / "public")


def test_a_changed_built_copy_is_tagged_again(show: Path) -> None:
    _publish(show)
    index = json.loads((show / ".audiofeed" / "tagged.json").read_text())
    key = next(iter(index.values()))["record"]["key"]
    built = show / ".audiofeed" / "build" / key
    built.write_bytes(built.read_bytes() + b"\0")  # someone touched the build folder
    _destination(show, "elsewhere")
    log = _publish(show)
    assert log.count("tagging a copy of") == 1
    assert _tree(show / "elsewhere") == _tree(show / "public")


def test_retag_ignores_the_index(show: Path) -> None:
    _publish(show)
    _destination(show, "elsewhere")
    log = _publish(show, "--retag")
    assert log.count("tagging a copy of") == 6


def test_edited_description_is_rendered_again(show: Path) -> None:
    _publish(show)
    cache = show / ".audiofeed" / "notes.json"
    assert json.loads(cache.read_text())["entries"]
    episode = sorted((show / "episodes").glob("0*.md"))[0]
    episode.write_text(episode.read_text() + "\nA brand-new closing line about *outcomes*.\n")
    _publish(show)
    feed = (show / "public" / "feed.xml").read_text()
    assert "A brand-new closing line about <em>outcomes</em>." in feed.replace("&lt;", "<")
    pages = (show / "public" / "episodes").glob("*.html")
    assert any("brand-new closing line" in p.read_text() for p in pages)


def test_notes_cache_of_another_renderer_is_ignored(show: Path) -> None:
    _publish(show)
    before = _tree(show / "public")
    cache = show / ".audiofeed" / "notes.json"
    data = json.loads(cache.read_text())
    poisoned = {k: ["<p>stale</p>", "stale"] for k in data["entries"]}
    cache.write_text(json.dumps({"version": "another renderer", "entries": poisoned}))
    (show / "public" / "feed.xml").unlink()  # force a rebuild of the feed
    _publish(show)
    assert _tree(show / "public") == before
    assert "stale" not in cache.read_text()
