"""Conference programmes (frab / pretalx schedule.json and schedule.xml, CSV exports)
and existing podcast feeds -> episode files, and recordings -> episodes. Plain functions;
only ``cli`` knows click.

- :func:`import_schedule` creates or updates ``episodes/<slug>.md`` per session.
- :func:`import_recordings` attaches audio files to episodes by a documented rule.
- :func:`import_feed` brings an existing podcast along from its RSS feed (guids kept).

Both return a report with ``lines()``; both raise :class:`ScheduleError` (an
``AudiofeedError``) naming the file and session when the input is wrong.
"""

from .feed_import import FeedReport, import_feed
from .model import Programme, ScheduleError, Session
from .recordings import MatchReport, import_recordings
from .schedule import Change, ImportReport, import_schedule, load_programme

__all__ = [
    "Change",
    "FeedReport",
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
