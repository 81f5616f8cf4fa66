"""What ``audiofeed transcribe`` remembers.

- **The cache** (``.audiofeed/transcripts/KEY.json``): the recognised segments, keyed by the
  sha256 of the published audio, the model, the engine's version and the prompt. A rerun
  with the same key never loads the model.
- **The record of generated files** (``transcripts/generated.json`` in the show, kept with
  it): the sha256 of each WebVTT/SRT file as it was written. A file whose bytes differ was
  edited by someone and is never overwritten; a file with no record was not made by
  audiofeed and is never touched.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..common.files import write_atomic
from .engine import Segment, Word

CACHE_FORMAT = 1
RECORD_NAME = "generated.json"


def cache_key(audio_sha256: str, model: str, engine: str, language: str | None, prompt: str) -> str:
    """The digest naming one recognition result."""
    text = json.dumps([CACHE_FORMAT, audio_sha256, model, engine, language, prompt])
    return hashlib.sha256(text.encode()).hexdigest()


class Cache:
    """Recognised segments by cache key, one JSON file each."""

    def __init__(self, folder: Path):
        self.folder = folder

    def get(self, key: str) -> list[Segment] | None:
        try:
            data = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            return [
                Segment(
                    start=s["start"],
                    end=s["end"],
                    text=s["text"],
                    words=tuple(Word(**w) for w in s["words"]),
                )
                for s in data["segments"]
            ]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, segments: list[Segment]) -> None:
        data = {"segments": [asdict(s) for s in segments]}
        write_atomic(self.folder / f"{key}.json", json.dumps(data).encode())


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class Record:
    """``transcripts/generated.json``: per slug, the digests of the files written for it and
    the cache key they were made from."""

    def __init__(self, folder: Path):
        self.path = folder / RECORD_NAME
        self.entries: dict[str, Any] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("generated"), dict):
                self.entries = data["generated"]
        except (OSError, ValueError):
            pass

    def files(self, slug: str) -> dict[str, str]:
        """File name -> sha256 as written, for ``slug``."""
        entry = self.entries.get(slug)
        files = entry.get("files") if isinstance(entry, dict) else None
        return dict(files) if isinstance(files, dict) else {}

    def key(self, slug: str) -> str | None:
        entry = self.entries.get(slug)
        return entry.get("key") if isinstance(entry, dict) else None

    def is_generated(self, path: Path, slug: str) -> bool:
        """True if ``path`` is a file audiofeed wrote for ``slug`` and nobody changed since."""
        want = self.files(slug).get(path.name)
        return want is not None and sha256_of(path) == want

    def put(self, slug: str, key: str, files: dict[str, str], model: str) -> None:
        self.entries[slug] = {"key": key, "model": model, "files": files}

    def save(self) -> None:
        data = {
            "about": "Written by 'audiofeed transcribe': the sha256 of each transcript file "
            "as generated. An edited file no longer matches and is never overwritten.",
            "generated": dict(sorted(self.entries.items())),
        }
        write_atomic(self.path, (json.dumps(data, indent=2) + "\n").encode())
