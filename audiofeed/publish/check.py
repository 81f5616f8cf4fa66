"""``audiofeed check``: every problem of config, episodes and recordings, in one pass."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import feed, media, rules, shownotes
from ..errors import AudiofeedError, Problem
from ..show import catalog as catalog_mod
from ..show import config as config_mod
from ..show.catalog import Catalog
from . import mastering


@dataclass(frozen=True)
class Checked:
    """What ``check`` found: every problem, in file order (config.toml, then the episode
    files by name), and the sessions still waiting for a recording."""

    problems: list[Problem]
    waiting: tuple[catalog_mod.Episode, ...] = ()
    held: tuple[catalog_mod.Episode, ...] = ()

    def summary(self) -> list[str]:
        """One line each for the sessions that are not published, and why."""
        lines = []
        if self.waiting:
            lines.append(f"{_sessions(len(self.waiting))} waiting for a recording")
        if self.held:
            lines.append(f"{_sessions(len(self.held))} marked do_not_record")
        return lines


def _sessions(n: int) -> str:
    return f"{n} session{'s' if n != 1 else ''}"


def check_show(config_path: Path, now: dt.datetime | None = None) -> Checked:
    """Validate config.toml, every episode file and every recording in one pass; never
    raises for input problems, returns them all (errors and warnings)."""
    try:
        config, problems = config_mod.read(config_path)
    except AudiofeedError as exc:  # not readable at all: nothing else can be checked
        return Checked([Problem(exc.path, exc.field, exc.message)])
    config_ok = not any(p.severity == "error" for p in problems)
    cat = catalog_mod.load(config, collect=True)
    problems += cat.warnings
    now = now or dt.datetime.now(dt.UTC)
    problems += catalog_mod.overdue(cat.waiting, config.publish.late_after_hours, now)
    if not cat.sessions and config_ok:
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
        found = recording_problems(config, episode)
        if isinstance(found, list):
            problems += found
        else:
            problems += found[1]
            items.append(preview_item(cat, found[0], found[2]))
    problems += rules.check_artwork(config.podcast.image)
    if items and not any(p.severity == "error" for p in problems):
        problems += feed_problems(cat, items)
    return Checked(in_file_order(config, problems), cat.waiting, cat.held)


def recording_problems(
    config: config_mod.Config, episode: catalog_mod.Episode
) -> list[Problem] | tuple[catalog_mod.Episode, list[Problem], Any]:
    """The problems of one episode's recording: a list when it cannot be published, else
    (the episode as published, its warnings, the mastering preview)."""
    try:
        info = mastering.preview(config, episode)
    except AudiofeedError as exc:
        return [
            catalog_mod.about_episode(episode, Problem(exc.path, exc.field or "audio", exc.message))
        ]
    problems = []
    if info.warning:
        problems.append(Problem(episode.audio, "audio", info.warning, "warning"))
    try:
        if info.trimmed:
            episode = mastering.shifted(episode, info.offset, info.duration)
        media.validate_chapters(episode.chapters, info.duration, episode.path)
    except AudiofeedError as exc:
        problems.append(Problem(exc.path, exc.field, exc.message))
    return episode, problems, info


def in_file_order(config: config_mod.Config, problems: list[Problem]) -> list[Problem]:
    """config.toml first, then the episode files by name, then anything else (a recording
    named by itself); within a file, in the order found."""
    files = [config.path, *catalog_mod.episode_files(config)]
    rank = {p: i for i, p in enumerate(files)}
    return sorted(problems, key=lambda p: rank.get(p.path, len(files)) if p.path else -1)


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
