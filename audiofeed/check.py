"""``audiofeed check``: every problem of config, episodes and recordings, in one pass."""

from __future__ import annotations

from pathlib import Path

from . import catalog as catalog_mod
from . import config as config_mod
from . import feed, mastering, media, rules, shownotes
from .catalog import Catalog
from .errors import AudiofeedError, Problem, ValidationError


def check_show(config_path: Path) -> list[Problem]:
    """Validate config.toml, every episode file and every recording; never raises for input
    problems, returns them (errors and warnings)."""
    try:
        config = config_mod.load(config_path)
    except ValidationError as exc:
        return exc.problems
    except AudiofeedError as exc:
        return [Problem(exc.path, exc.field, exc.message)]
    try:
        cat = catalog_mod.load(config)
    except ValidationError as exc:
        return exc.problems
    problems = list(cat.warnings)
    if not cat.episodes:
        problems.append(
            Problem(
                config.episodes_dir,
                None,
                "no episodes yet; add one with 'audiofeed new'",
                "warning",
            )
        )
    items = []
    for episode in cat.episodes:
        if episode.audio is None:
            continue
        try:
            info = mastering.preview(config, episode)
        except AudiofeedError as exc:
            problems.append(Problem(exc.path, exc.field or "audio", exc.message))
            continue
        if info.warning:
            problems.append(Problem(episode.audio, "audio", info.warning, "warning"))
        try:
            if info.trimmed:
                episode = mastering.shifted(episode, info.offset, info.duration)
            media.validate_chapters(episode.chapters, info.duration, episode.path)
        except AudiofeedError as exc:
            problems.append(Problem(exc.path, exc.field, exc.message))
        items.append(preview_item(cat, episode, info))
    problems += rules.check_artwork(config.podcast.image)
    if items and not any(p.severity == "error" for p in problems):
        problems += feed_problems(cat, items)
    return problems


def preview_item(
    cat: Catalog, episode: catalog_mod.Episode, info: mastering.Preview
) -> feed.FeedItem:
    """A feed item as publish would make it, from the source recording (sizes are close:
    publish re-checks the feed it really builds before anything goes out)."""
    config = cat.config
    ext = {"audio/mpeg": ".mp3", "audio/x-m4a": ".m4a"}.get(info.mime) or (
        episode.audio.suffix.lower() if episode.audio else ".mp3"
    )
    transcript = (
        feed.TRANSCRIPT_TYPES.get(episode.transcript.suffix.lower()) if episode.transcript else None
    )
    return feed.FeedItem(
        episode=episode,
        notes=shownotes.render(episode),
        media_url=config.url(f"audio/{episode.slug}{ext}"),
        media_length=info.size,
        media_type=info.mime,
        duration=info.duration,
        transcript_url=config.url(f"transcripts/{episode.slug}{episode.transcript.suffix}")
        if episode.transcript
        else None,
        transcript_type=transcript,
    )


def feed_problems(cat: Catalog, items: list[feed.FeedItem]) -> list[Problem]:
    """The feed rules on every feed the config declares, built in memory."""
    config = cat.config
    image_url = config.url("images/cover" + config.podcast.image.suffix.lower())
    problems: list[Problem] = []
    for key, data in feed.build_all(cat, items, image_url).items():
        problems += rules.check_feed(key, data)
    if cat.episodes:
        for episode in cat.episodes:
            if (
                episode.transcript
                and episode.transcript.suffix.lower() not in feed.TRANSCRIPT_TYPES
            ):
                kinds = ", ".join(sorted(feed.TRANSCRIPT_TYPES))
                problems.append(Problem(episode.path, "transcript", f"must be one of {kinds}"))
    return problems
