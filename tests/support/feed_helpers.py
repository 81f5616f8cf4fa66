"""Build the demo show's feeds in memory (real catalog, real show notes) for feed tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from lxml import etree

from audiofeed import feed, shownotes
from audiofeed.publish import mastering
from audiofeed.show import catalog as catalog_mod
from audiofeed.show import config as config_mod

NS = {
    "itunes": feed.ITUNES_NS,
    "podcast": feed.PODCAST_NS,
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}


def load(show: Path):
    config = config_mod.load(show / "config.toml")
    return catalog_mod.load(config)


def items(cat, **overrides) -> list[feed.FeedItem]:
    """Feed items for what publish would publish (probed for real; a recording that would
    be mastered counts as the MP3/M4A it becomes, as ``audiofeed check`` sees it)."""
    out = []
    for e in cat.episodes:
        info = mastering.preview(cat.config, e)
        ext = {"audio/mpeg": ".mp3", "audio/x-m4a": ".m4a"}.get(info.mime, e.audio.suffix)
        out.append(
            feed.FeedItem(
                episode=e,
                notes=shownotes.render(e),
                media_url=cat.config.url(f"audio/{e.slug}{ext}"),
                media_length=info.size,
                media_type=info.mime,
                duration=info.duration,
                **overrides,
            )
        )
    return out


def build(show: Path, image_url: str = "https://cdn.example.org/cover.jpg", **kw) -> bytes:
    cat = load(show)
    assets = feed.FeedAssets(cat.config.url("feed.xml"), image_url)
    return feed.build(cat, items(cat, **kw), assets)


def xml(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def replace_episode(cat, n: int, **changes):
    eps = list(cat.episodes)
    eps[n] = dataclasses.replace(eps[n], **changes)
    return dataclasses.replace(cat, episodes=tuple(eps))
