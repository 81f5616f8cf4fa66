"""Case (e), in one process: audiofeed's feed (+ archive) build of a big show against
feedgen alone plus the Markdown rendering, for the same entries.

    python bench/feedbuild.py prepare SHOW       # once: the published state (no tagging)
    python bench/feedbuild.py audiofeed SHOW N   # prints {"wall": s, "cpu": s, "phases": {...}}
    python bench/feedbuild.py feedgen SHOW

audiofeed runs its real republish path minus listing and upload, after one session's
description changed (run N edits session N): read the manifest, load config + catalog
(10,000 Markdown files), then ``Builder.build()`` — probe facts from the cache, show
notes, every declared feed, the rules check, the archive pages, the new manifest.
``prepare`` writes the manifest a previous publish would have left (each episode's
tagged copy "published" with its fingerprint, the feeds' guids) and builds once, so the
build caches are those of that publish; no recording is tagged. The baseline renders
every description with markdown-it and builds the same entries with feedgen (the
elements feedgen itself offers: guid, title, date, summary, notes HTML, enclosure, link,
iTunes duration, type, episode, author). Both clocks start with the files on disk (the
baseline reads and parses every episode file, as a script must; audiofeed loads its
show) and stop with the output built; imports happen before, in both modes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(REPO))

STATE = ".bench-manifest.json"


class Clock:
    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self.t0 = self.last = time.perf_counter()
        self.c0 = time.process_time()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = round(now - self.last, 4)
        self.last = now

    def done(self, **extra: object) -> None:
        print(
            json.dumps(
                {
                    "wall": time.perf_counter() - self.t0,
                    "cpu": time.process_time() - self.c0,
                    "phases": self.phases,
                    **extra,
                }
            )
        )


def _remote(manifest):  # type: ignore[no-untyped-def]
    from audiofeed.storage import RemoteObject

    return {
        key: RemoteObject(key=key, size=o["size"], sha256=o["sha256"])
        for key, o in manifest.objects.items()
    }


def prepare(show: Path) -> None:
    from audiofeed import shownotes
    from audiofeed.publish import pipeline as publish
    from audiofeed.publish import tagging
    from audiofeed.publish.state import Manifest, MediaRecord

    config, catalog = publish.load_show(show / "config.toml")
    builder = publish.Builder(config, catalog, Manifest(), {})
    cover = config.podcast.image.read_bytes()
    manifest = Manifest()
    for ep in catalog.episodes:
        facts = builder.source_facts(ep.audio)
        tags = tagging.media_tags(config, ep, cover, shownotes.render(ep))
        key = f"audio/{ep.slug}-{facts['sha256'][:10]}.mp3"
        size = ep.audio.stat().st_size + 30_000
        manifest.media[ep.guid] = MediaRecord(
            fingerprint=tagging.media_fingerprint(facts["sha256"], tags, config.tags),
            key=key,
            size=size,
            sha256=facts["sha256"],
            mime=facts["mime"],
            duration=round(facts["duration"], 3),
        )
        manifest.objects[key] = {"size": size, "sha256": facts["sha256"]}
    builder.cache.save()
    # build once against that state, as the publish did: its manifest has the feeds' guids
    builder = publish.Builder(config, catalog, manifest, _remote(manifest))
    builder.build()
    (show / STATE).write_bytes(builder.new_manifest.to_bytes())


def run_audiofeed(show: Path, run: int, phases: bool) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    import showgen

    from audiofeed.publish import pipeline as publish
    from audiofeed.publish.state import Manifest

    showgen.change_description(show, 1 + run * 37 % 9000, f"edited in run {run}")
    publish.batch_gc().__enter__()  # as publish() runs its build
    clock = Clock()
    manifest = Manifest.from_bytes((show / STATE).read_bytes())
    remote = _remote(manifest)
    clock.lap("read manifest")
    config, catalog = publish.load_show(show / "config.toml")
    clock.lap("load config + catalog")
    builder = publish.Builder(config, catalog, manifest, remote)
    if phases:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
    artifacts = builder.build()
    clock.lap("build (notes, feeds, rules, pages, manifest)")
    uploads = [a for a in artifacts if a.path is not None]
    if phases:
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    clock.done(episodes=len(catalog.episodes), artifacts=len(artifacts), local=len(uploads))


def run_feedgen(show: Path) -> None:
    """feedgen + markdown-it for the same entries, the way a hand-written script would."""
    import tomllib
    from datetime import datetime

    from feedgen.feed import FeedGenerator
    from markdown_it import MarkdownIt

    clock = Clock()
    entries = []
    for path in sorted((show / "episodes").glob("*.md")):
        _, front, body = path.read_text().split("+++\n", 2)
        entries.append((tomllib.loads(front), body))
    size = (show / "recordings" / "shared-0.mp3").stat().st_size
    clock.lap("read + parse the episode files")
    md = MarkdownIt("commonmark")
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.title("Benchmark Conference")
    fg.link(href="https://bench.example.org/", rel="alternate")
    fg.description("A synthetic show")
    fg.language("en")
    fg.podcast.itunes_author("The Organisers")
    fg.podcast.itunes_category("Technology")
    fg.podcast.itunes_image("https://bench.example.org/show/cover.jpg")
    fg.podcast.itunes_explicit("no")
    fg.podcast.itunes_owner(name="The Organisers", email="bench@example.org")
    for front, body in sorted(entries, key=lambda e: e[0]["start"], reverse=True):
        fe = fg.add_entry(order="append")
        fe.id(front["guid"])
        fe.guid(front["guid"], permalink=False)
        fe.title(front["title"])
        notes = md.render(body)
        fe.description(body.split("\n\n", 1)[0][:600])
        fe.content(notes, type="CDATA")
        fe.link(href=f"https://bench.example.org/show/episodes/{front['slug']}.html")
        start = front["start"]
        assert isinstance(start, datetime)
        fe.published(start)
        fe.enclosure(
            f"https://bench.example.org/show/audio/{front['slug']}.mp3", str(size), "audio/mpeg"
        )
        fe.podcast.itunes_duration(60)
        fe.podcast.itunes_episode_type("full")
        fe.podcast.itunes_episode(front.get("episode"))
        fe.podcast.itunes_author(front["speakers"][0]["name"])
    clock.lap("markdown + feedgen entries")
    data = fg.rss_str(pretty=False)
    clock.lap("serialise")
    clock.done(episodes=len(entries), bytes=len(data))


if __name__ == "__main__":
    mode, show_dir = sys.argv[1], Path(sys.argv[2]).resolve()
    if mode == "prepare":
        prepare(show_dir)
    elif mode.startswith("audiofeed"):
        number = int(sys.argv[3]) if len(sys.argv) > 3 else 0
        run_audiofeed(show_dir, number, phases=mode == "audiofeed-phases")
    else:
        run_feedgen(show_dir)
