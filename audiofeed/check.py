"""``audiofeed check``: every problem of config, episodes and recordings, in one pass."""

from __future__ import annotations

from pathlib import Path

from . import catalog as catalog_mod
from . import config as config_mod
from . import media
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
    for episode in cat.episodes:
        if episode.audio is None:
            continue
        try:
            info = media.probe(episode.audio)
        except AudiofeedError as exc:
            problems.append(Problem(exc.path, "audio", exc.message))
            continue
        try:
            media.validate_chapters(episode.chapters, info.duration, episode.path)
        except AudiofeedError as exc:
            problems.append(Problem(exc.path, exc.field, exc.message))
    return problems
