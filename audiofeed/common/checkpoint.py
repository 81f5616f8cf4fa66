"""Named points in a publish where the crash-safety tests kill the process (tests only).

    AUDIOFEED_TEST_KILL_AT=uploaded:feed.xml   SIGKILL this process when that point is reached
    AUDIOFEED_TEST_CHECKPOINTS=/tmp/points     append every point reached, one name a line
    AUDIOFEED_TEST_STOP_AT=built               SIGSTOP this process there (a test SIGCONTs it)

None of these is set in normal use; a checkpoint is then three dictionary look-ups.
Depends on nothing, so any module (storage included) may call it. See docs/reliability.md.
"""

from __future__ import annotations

import os
import signal

KILL_ENV = "AUDIOFEED_TEST_KILL_AT"
RECORD_ENV = "AUDIOFEED_TEST_CHECKPOINTS"
STOP_ENV = "AUDIOFEED_TEST_STOP_AT"
_seen: dict[str, int] = {}


def checkpoint(name: str) -> None:
    """Mark point ``name``; record it and/or die here when the test environment asks.
    The second time a name is reached in one process it is ``name#2``, and so on."""
    if KILL_ENV not in os.environ and RECORD_ENV not in os.environ and STOP_ENV not in os.environ:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] > 1:
        name = f"{name}#{_seen[name]}"
    record = os.environ.get(RECORD_ENV)
    if record:
        with open(record, "a", encoding="utf-8") as f:
            f.write(name + "\n")
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(STOP_ENV) == name:  # a race test runs another publish meanwhile
        os.kill(os.getpid(), signal.SIGSTOP)
