"""Conference programmes (frab / pretalx schedule.json and schedule.xml, CSV exports)
and existing podcast feeds -> episode files, and recordings -> episodes. Plain functions;
only ``cli`` knows click.

- :func:`import_schedule` creates or updates ``episodes/<slug>.md`` per session.
- :func:`import_recordings` attaches audio files to episodes by a documented rule.
- :func:`import_feed` brings an existing podcast along from its RSS feed (guids kept).

Both return a report with ``lines()``; both raise :class:`ScheduleError` (an
``AudiofeedError``) naming the file and session when the input is wrong.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import Programme, ScheduleError, Session
from .recordings import MatchReport, import_recordings
from .schedule import Change, ImportReport, import_schedule, load_programme

if TYPE_CHECKING:
    from pathlib import Path

    from .feed_import import FeedReport


def import_feed(show_dir: Path, source: str, **options: Any) -> FeedReport:
    """:func:`audiofeed.importers.feed_import.import_feed`, imported when used: lxml, tomlkit
    and the HTML converter cost start-up time the other imports do not need."""
    from .feed_import import import_feed as run

    return run(show_dir, source, **options)


__all__ = [
    "Change",
    "ImportReport",
    "MatchReport",
    "Programme",
    "ScheduleError",
    "Session",
    "import_feed",
    "import_recordings",
    "import_schedule",
    "load_programme",
]
