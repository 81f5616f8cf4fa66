"""The podcast feed(s): RSS 2.0 with iTunes and Podcasting 2.0 tags, built with feedgen."""

from .build import (
    GENERATOR,
    FeedAssets,
    FeedItem,
    build,
    build_all,
    filter_values,
    format_duration,
    newest_first,
    podcast_guid,
    rfc2822,
    select,
)
from .podcast20 import ITUNES_NS, PODCAST_NS, TRANSCRIPT_TYPES

__all__ = [
    "GENERATOR",
    "ITUNES_NS",
    "PODCAST_NS",
    "TRANSCRIPT_TYPES",
    "FeedAssets",
    "FeedItem",
    "build",
    "build_all",
    "filter_values",
    "format_duration",
    "newest_first",
    "podcast_guid",
    "rfc2822",
    "select",
]
