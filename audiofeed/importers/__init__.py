"""Conference programmes (frab / pretalx schedule.json and schedule.xml, CSV exports)
-> episode files, and recordings -> episodes. Plain functions; only ``cli`` knows click.

- :func:`import_schedule` creates or updates ``episodes/<slug>.md`` per session.
- :func:`import_recordings` attaches audio files to episodes by a documented rule.

Both return a report with ``lines()``; both raise :class:`ScheduleError` (an
``AudiofeedError``) naming the file and session when the input is wrong.
"""

from .model import Programme, ScheduleError, Session
from .recordings import MatchReport, import_recordings
from .schedule import Change, ImportReport, import_schedule, load_programme

__all__ = [
    "Change",
    "ImportReport",
    "MatchReport",
    "Programme",
    "ScheduleError",
    "Session",
    "import_recordings",
    "import_schedule",
    "load_programme",
]
