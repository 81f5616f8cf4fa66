"""Where the show's config.toml is: found without importing the config parser, so a
no-op publish (``audiofeed.publish.unchanged``) can answer before ``config`` is even loaded."""

from __future__ import annotations

from pathlib import Path

CONFIG_NAME = "config.toml"


def find(start: Path) -> Path:
    """Find config.toml in ``start`` or its parents."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    from ..errors import ConfigError

    raise ConfigError(
        f"no {CONFIG_NAME} here or in any parent folder; run 'audiofeed init DIR' or pass --config",
        path=start,
    )
