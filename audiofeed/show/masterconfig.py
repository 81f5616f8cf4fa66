"""The ``[master]`` table of config.toml and an episode's ``master`` override -> MasterSettings.

Defaults (docs/mastering.md gives their sources): MP3 128 kb/s, channels kept, 44.1 kHz,
-16 LUFS integrated (mono measured as dual-mono, so a mono file reads -19 LUFS on a plain
BS.1770 meter), true peak at most -1 dBTP, 1 LU tolerance.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FORMATS = {"mp3": ".mp3", "aac": ".m4a"}
#: what ``publish`` masters and ``import recordings`` attaches: audio and video containers
RECORDING_EXTENSIONS = (
    ".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".oga", ".opus", ".mp3",
    ".m4a", ".m4b", ".mp4", ".aac", ".mov", ".m4v", ".mkv", ".mka", ".webm",
)  # fmt: skip
CHANNELS = ("keep", "mono")
SAMPLE_RATES = (22050, 32000, 44100, 48000)
MASTER_KEYS = {
    "enabled",
    "format",
    "bitrate",
    "channels",
    "sample_rate",
    "loudness",
    "true_peak",
    "tolerance",
    "trim_silence",
}
#: what an episode's ``master = { … }`` may override (``enabled``: use ``master = false``)
EPISODE_KEYS = MASTER_KEYS - {"enabled"}

Problem = Callable[[str, str], None]


@dataclass(frozen=True)
class MasterSettings:
    """How recordings are mastered. ``force``: master even a compliant MP3/AAC."""

    enabled: bool = True
    format: str = "mp3"
    bitrate: int = 128  # kb/s
    channels: str = "keep"
    sample_rate: int | None = 44100  # None: keep the source's
    loudness: float = -16.0  # LUFS integrated
    true_peak: float = -1.0  # dBTP ceiling
    tolerance: float = 1.0  # LU either side of the target
    trim_silence: bool = False
    force: bool = False

    @property
    def extension(self) -> str:
        return FORMATS[self.format]


def parse(value: Any, problem: Problem, prefix: str = "master.") -> MasterSettings:
    """The ``[master]`` table (every key optional)."""
    if value is None:
        return MasterSettings()
    if not isinstance(value, dict):
        problem(prefix.rstrip("."), "must be a table: [master]")
        return MasterSettings()
    return _apply(MasterSettings(), value, MASTER_KEYS, problem, prefix)


def for_episode(base: MasterSettings, value: Any, problem: Problem) -> MasterSettings:
    """An episode's ``master``: ``false`` (leave the file alone), ``true`` (master it even if
    it is already compliant) or a table of ``[master]`` keys to override."""
    if value is None:
        return base
    if isinstance(value, bool):
        return dataclasses.replace(base, enabled=value, force=value)
    if not isinstance(value, dict):
        problem("master", 'must be true, false or a table, e.g. master = { channels = "mono" }')
        return base
    return dataclasses.replace(_apply(base, value, EPISODE_KEYS, problem, "master."), force=True)


def _apply(
    base: MasterSettings, table: dict[str, Any], allowed: set[str], problem: Problem, prefix: str
) -> MasterSettings:
    for key in sorted(set(table) - allowed):
        problem(prefix + key, f"unknown key (allowed: {', '.join(sorted(allowed))})")
    out: dict[str, Any] = {}
    for key in ("enabled", "trim_silence"):
        if key in table:
            if isinstance(table[key], bool):
                out[key] = table[key]
            else:
                problem(prefix + key, "must be true or false")
    if "format" in table:
        if table["format"] in FORMATS:
            out["format"] = table["format"]
        else:
            problem(prefix + "format", 'must be "mp3" (default) or "aac" (AAC in M4A)')
    if "bitrate" in table:
        rate = _bitrate(table["bitrate"])
        if rate is None:
            problem(prefix + "bitrate", 'must be kb/s between 32 and 320, e.g. 128 or "128k"')
        else:
            out["bitrate"] = rate
    if "channels" in table:
        if table["channels"] in CHANNELS:
            out["channels"] = table["channels"]
        else:
            problem(prefix + "channels", 'must be "keep" (default) or "mono"')
    if "sample_rate" in table:
        rate = table["sample_rate"]
        if rate == "keep":
            out["sample_rate"] = None
        elif rate in SAMPLE_RATES and not isinstance(rate, bool):
            out["sample_rate"] = rate
        else:
            rates = ", ".join(map(str, SAMPLE_RATES))
            problem(prefix + "sample_rate", f'must be one of {rates} or "keep"')
    for key, low, high, unit in (
        ("loudness", -30.0, -5.0, "LUFS"),
        ("true_peak", -9.0, 0.0, "dBTP"),
        ("tolerance", 0.1, 5.0, "LU"),
    ):
        if key in table:
            v = table[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not low <= v <= high:
                problem(prefix + key, f"must be a number of {unit} from {low:g} to {high:g}")
            else:
                out[key] = float(v)
    return dataclasses.replace(base, **out)


def _bitrate(value: Any) -> int | None:
    if isinstance(value, str) and value.lower().endswith("k") and value[:-1].isdigit():
        value = int(value[:-1])
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 32 <= value <= 320 else None
