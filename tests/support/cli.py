"""Run the real ``audiofeed`` CLI in a subprocess (as a user would)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(*args: str, cwd: Path, check: bool = False) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "audiofeed", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"audiofeed {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc
