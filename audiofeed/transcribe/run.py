"""``audiofeed transcribe``: a WebVTT and an SRT transcript for every published episode
that has no hand-made one, recognised from the audio file the build publishes.

For each episode, in this order:

1. a ``transcript`` in its episode file that is not the generated ``transcripts/SLUG.vtt``
   is hand-made: it wins, nothing is recognised;
2. a ``transcripts/SLUG.vtt`` or ``.srt`` that differs from what audiofeed wrote (or that
   audiofeed never wrote) is kept as it is;
3. otherwise the episode's published copy (``.audiofeed/build/audio/…``, the file the feed's
   enclosure points at) is recognised, unless the cache already holds the result for that
   audio, model and prompt; both files are written. An episode file without a
   ``transcript`` uses ``transcripts/SLUG.vtt`` (see ``catalog``), and ``publish`` uploads
   the ``.srt`` beside it too.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import media
from ..errors import EpisodeError, MediaError, Problem, ValidationError
from ..publish.build import Builder, latest_copy
from ..publish.pipeline import assign_guids, batch_gc, load_show
from ..publish.state import STATE_DIR, Manifest, write_atomic
from ..show.catalog import TRANSCRIPTS_DIR, Catalog, Episode
from . import captions
from .engine import Recogniser, engine_version, model_identity, model_label, resolve_model
from .prompt import prompt_for
from .store import Cache, Record, cache_key, sha256_text

log = logging.getLogger("audiofeed")


#: what happened to one episode
TRANSCRIBED = "transcribed"  # the model ran
FROM_CACHE = "from cache"  # written from the cache, the model did not run
CURRENT = "up to date"  # the generated files are there and made from this audio
HAND_MADE = "hand-made"  # the episode names its own transcript
EDITED = "edited"  # a generated file was changed by someone: kept
FOREIGN = "not generated"  # a file of that name exists that audiofeed did not write: kept
SILENT = "no speech"  # nothing recognised: no file written
WOULD_RUN = "would transcribe"  # --dry-run
WOULD_REUSE = "would write from cache"  # --dry-run


@dataclass(frozen=True)
class Outcome:
    """One episode handled by ``audiofeed transcribe``."""

    episode: Path
    slug: str
    action: str
    files: tuple[Path, ...] = ()
    audio_seconds: float = 0.0
    seconds: float = 0.0  # spent recognising (0 unless the model ran)


@batch_gc()
def transcribe_show(
    config_path: Path, selected: Sequence[str] = (), *, dry_run: bool = False
) -> list[Outcome]:
    """Transcribe every published episode (or the ``selected`` ones: slug or file name)."""
    _, catalog = load_show(config_path)
    catalog, _ = assign_guids(catalog, dry_run=dry_run)
    episodes = select(catalog, selected)
    version = engine_version()  # the install hint first, even for a dry run
    run = _Run(catalog, version, dry_run)
    outcomes, problems = [], []
    for episode in episodes:
        try:
            outcomes.append(run.episode(episode))
        except (MediaError, EpisodeError) as exc:
            problems.append(Problem(exc.path, exc.field or "audio", exc.message))
    run.builder.cache.save()
    run.builder.tagged.save()
    if problems:
        raise ValidationError(problems=problems)
    return outcomes


def select(catalog: Catalog, selected: Sequence[str]) -> list[Episode]:
    """The episodes named by slug, file name or path (all of them when none is named)."""
    if not selected:
        return list(catalog.episodes)
    found, problems = [], []
    for name in selected:
        match = [
            e
            for e in catalog.episodes
            if name in (e.slug, e.path.name, e.path.stem)
            or os.path.realpath(name) == os.path.realpath(e.path)
        ]
        if match:
            found += [e for e in match if e not in found]
        else:
            problems.append(
                Problem(None, name, "no episode has this slug or file name; see 'audiofeed check'")
            )
    if problems:
        raise ValidationError(problems=problems)
    return found


class _Run:
    def __init__(self, catalog: Catalog, version: str, dry_run: bool):
        config = catalog.config
        self.config = config
        self.settings = config.transcripts
        self.dry_run = dry_run
        self.folder = config.root / TRANSCRIPTS_DIR
        self.record = Record(self.folder)
        self.cache = Cache(config.root / STATE_DIR / "transcripts")
        self.builder = Builder(config, catalog, Manifest(), {})
        self.cover = config.podcast.image.read_bytes()
        self.model = resolve_model(self.settings, config.root)
        self.identity = f"{model_identity(self.model)}|faster-whisper {version}"
        self.recogniser: Recogniser | None = None

    def episode(self, e: Episode) -> Outcome:
        vtt, srt = self.folder / f"{e.slug}.vtt", self.folder / f"{e.slug}.srt"
        ours = e.transcript is not None and os.path.realpath(e.transcript) == os.path.realpath(vtt)
        if e.transcript is not None and not ours:
            return Outcome(e.path, e.slug, HAND_MADE, (e.transcript,))
        kept = [p for p in (vtt, srt) if p.exists() and not self.record.is_generated(p, e.slug)]
        if kept:
            made = self.record.files(e.slug)
            action = EDITED if any(p.name in made for p in kept) else FOREIGN
            return Outcome(e.path, e.slug, action, tuple(kept))
        prompt, hotwords = prompt_for(e) if self.settings.prompt else ("", "")
        audio, sha, duration = self.audio(e)
        key = cache_key(sha, self.identity, "", self.settings.language, f"{prompt}\0{hotwords}")
        if sha and ours and self.record.key(e.slug) == key and vtt.exists() and srt.exists():
            return Outcome(e.path, e.slug, CURRENT, (vtt, srt), duration)
        segments = self.cache.get(key) if sha else None
        if self.dry_run:
            action = WOULD_REUSE if segments is not None else WOULD_RUN
            return Outcome(e.path, e.slug, action, (vtt, srt), duration)
        assert audio is not None
        spent, ran = 0.0, segments is None
        if segments is None:
            if self.recogniser is None:
                self.recogniser = Recogniser(self.model, self.settings)
            log.info("recognising speech in %s (%.0f s)", e.path.name, duration)
            started = time.perf_counter()
            segments = self.recogniser.transcribe(audio, prompt, hotwords)
            spent = time.perf_counter() - started
            self.cache.put(key, segments)
        if not segments:
            return Outcome(e.path, e.slug, SILENT, (), duration, spent)
        self.write(e, vtt, srt, segments, duration, key)
        action = TRANSCRIBED if ran else FROM_CACHE
        return Outcome(e.path, e.slug, action, (vtt, srt), duration, spent)

    def audio(self, e: Episode) -> tuple[Path | None, str | None, float]:
        """The published copy of the episode's audio, its sha256 and duration. A dry run
        uses the newest copy already built (if any) and builds nothing."""
        if e.audio is None:
            raise MediaError("no recording attached", path=e.path, field="audio")
        if self.dry_run:
            copy = latest_copy(self.builder.build_dir, e)
            duration = float(self.builder.source_facts(e.audio)["duration"])
            return copy, (media.sha256_file(copy) if copy else None), duration
        _, record = self.builder.media(e, self.cover)
        return self.builder.build_dir / record.key, record.sha256, record.duration

    def write(
        self,
        e: Episode,
        vtt: Path,
        srt: Path,
        segments: list[captions.Segment],
        duration: float,
        key: str,
    ) -> None:
        """Both files and their digests."""
        model = model_label(self.model)
        note = (
            f"Recognised by audiofeed transcribe (faster-whisper, model {model}) from the "
            "published recording. Edit it freely: audiofeed never overwrites an edited file."
        )
        texts = {
            vtt: captions.to_vtt(segments, duration, note),
            srt: captions.to_srt(segments, duration),
        }
        for path, text in texts.items():
            write_atomic(path, text.encode("utf-8"))
        self.record.put(e.slug, key, {p.name: sha256_text(t) for p, t in texts.items()}, model)
        self.record.save()
