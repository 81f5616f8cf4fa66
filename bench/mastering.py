"""(m) Mastering a day of WAV masters: audiofeed against ffmpeg-normalize and a hand-written
two-pass loudnorm script, side by side in one run, on the same files.

    python bench/mastering.py            # 4 x 10 min 48 kHz 24-bit stereo WAV (~10 min)
    python bench/mastering.py --quick    # 2 x 1 min (development)

The masters are speech (espeak-ng, looped to length) at four levels (about -14 to -40 LUFS),
made here and deleted after. Every tool makes a 128 kb/s MP3 at -16 LUFS / -1 dBTP:

- ``audiofeed publish`` on a show of the masters (mastering, tagging, feed, site: the whole
  publish), its default ``--jobs`` (the cores);
- ``ffmpeg-normalize IN... -t -16 -tp -1 -c:a libmp3lame -b:a 128k`` (one file after
  another, as a script would);
- a two-pass loudnorm script (pass 1 measures, pass 2 applies with ``linear=true``).

All three run the same ffmpeg binary (the one imageio-ffmpeg ships; ffmpeg-normalize is
pointed at it with FFMPEG_PATH). Wall and CPU (user + sys of the whole process tree) come
from ``harness.run``; the output loudness is measured independently with the system
ffmpeg's ebur128 filter. Needs: espeak-ng, ffmpeg (ffmpeg-normalize comes with the peers).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import REPO, install_peers, run

TEXT = (
    "Good morning and welcome to the second day of the conference. Before we start, a few "
    "words about the programme: the first session looks at how outcomes are measured, the "
    "second at what public bodies buy and why. Please keep your questions for the end, "
    "and speak into the microphone so that the recording can hear you. Thank you."
)
LEVELS = (-14.0, -22.0, -30.0, -40.0)  # LUFS, roughly
TARGET, CEILING = -16.0, -1.0
LOOP = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", "-1", "-i"]
METER = ["-af", "ebur128=peak=true", "-f", "null", "-"]
NORMALIZE = ["-t", "-16", "-tp", "-1", "-c:a", "libmp3lame", "-b:a", "128k", "-ext", "mp3"]

TWO_PASS = r"""
import json, re, subprocess, sys
ff, out = sys.argv[1], sys.argv[2]
for src in sys.argv[3:]:
    p1 = subprocess.run([ff, "-nostdin", "-hide_banner", "-i", src, "-af",
        "loudnorm=I=-16:TP=-1:LRA=11:print_format=json", "-f", "null", "-"],
        capture_output=True, text=True, check=True).stderr
    m = json.loads(p1[p1.rindex("{"):p1.rindex("}") + 1])
    af = ("loudnorm=I=-16:TP=-1:LRA=11:linear=true:measured_I={input_i}:measured_TP={input_tp}"
          ":measured_LRA={input_lra}:measured_thresh={input_thresh}:offset={target_offset}"
          ).format(**m)
    name = src.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    subprocess.run([ff, "-nostdin", "-hide_banner", "-v", "error", "-y", "-i", src, "-af", af,
        "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "128k", f"{out}/{name}.mp3"], check=True)
"""


def log(msg: str) -> None:
    print(f"[mastering {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def bundled_ffmpeg() -> str:
    sys.path.insert(0, str(REPO))
    from audiofeed.media import ffmpeg

    return ffmpeg.executable()


def make_masters(folder: Path, n: int, seconds: int) -> list[Path]:
    """n speech masters of ``seconds`` each, 48 kHz 24-bit stereo, at LEVELS."""
    folder.mkdir(parents=True, exist_ok=True)
    clip = folder / "clip.wav"
    subprocess.run(["espeak-ng", "-v", "en-gb", "-w", str(clip), TEXT], check=True)
    base = measure(clip)[0]
    out = []
    for i in range(n):
        level = LEVELS[i % len(LEVELS)]
        path = folder / f"{i + 1:02d}-session.wav"
        af = f"aresample=48000,pan=stereo|c0=c0|c1=c0,volume={level - base - 3:.1f}dB"
        subprocess.run(
            [*LOOP, str(clip), "-t", str(seconds), "-af", af, "-c:a", "pcm_s24le", str(path)],
            check=True,
        )
        out.append(path)
    clip.unlink()
    return out


def measure(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) by the system ffmpeg: independent of every tool."""
    err = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), *METER],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    summary = err[err.rfind("Summary:") :]
    i = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary)[1])
    tp = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary)[1])
    return i, tp


def make_show(folder: Path, masters: list[Path]) -> Path:
    """An audiofeed show whose episodes are the masters."""
    subprocess.run(
        [sys.executable, "-m", "audiofeed", "init", str(folder), "--title", "Bench day"],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    for n, src in enumerate(masters, 1):
        shutil.copy(src, folder / "recordings" / src.name)
        (folder / "episodes" / f"{n:02d}.md").write_text(
            f'+++\ntitle = "Session {n}"\nstart = 2024-05-16T{9 + n:02d}:00:00+01:00\n'
            f'audio = "recordings/{src.name}"\nguid = "bench-{n}"\n+++\nSession {n}.\n'
        )
    return folder


def outputs_of(tool: str, folder: Path) -> list[Path]:
    if tool == "audiofeed":
        return sorted((folder / "public" / "audio").glob("*.mp3"))
    return sorted(folder.glob("*.mp3"))


def normalizer() -> str:
    """ffmpeg-normalize: the one on PATH, else the bench's peers venv (installed there)."""
    return shutil.which("ffmpeg-normalize") or install_peers(log).ffmpeg_normalize


def run_case(work: Path, *, quick: bool) -> dict:
    n, seconds = (2, 60) if quick else (4, 600)
    log(f"making {n} masters of {seconds} s")
    masters = make_masters(work / "masters", n, seconds)
    ff = bundled_ffmpeg()
    env = {**os.environ, "PYTHONPATH": str(REPO), "FFMPEG_PATH": ff}
    script = work / "two_pass.py"
    script.write_text(TWO_PASS)
    show = make_show(work / "show", masters)
    tools = {
        "audiofeed": ([sys.executable, "-m", "audiofeed", "-q", "publish"], show),
        "ffmpeg-normalize": (
            [normalizer(), *map(str, masters), *NORMALIZE, "-of", str(work / "fn")],
            work / "fn",
        ),
        "two-pass loudnorm": (
            [sys.executable, str(script), ff, str(work / "ln"), *map(str, masters)],
            work / "ln",
        ),
    }
    rows = {}
    for name, (cmd, out) in tools.items():
        out.mkdir(parents=True, exist_ok=True)
        log(f"running {name}")
        sample = run(cmd, env=env, cwd=show if name == "audiofeed" else work)
        files = outputs_of(name, out)
        readings = [measure(p) for p in files]
        errors = [abs(i - TARGET) for i, _ in readings]
        rows[name] = {
            "wall_s": round(sample.wall, 1),
            "cpu_s": round(sample.cpu, 1),
            "files": len(files),
            "mean_error_lu": round(sum(errors) / len(errors), 2),
            "max_error_lu": round(max(errors), 2),
            "max_true_peak": round(max(tp for _, tp in readings), 1),
            "outputs": [[round(i, 1), round(tp, 1)] for i, tp in readings],
        }
        log(f"{name}: {rows[name]}")
    return {"masters": n, "seconds": seconds, "levels": LEVELS[:n], "rows": rows}


def markdown(data: dict) -> str:
    rows = data["rows"]
    peer = rows["ffmpeg-normalize"]
    out = [
        f"{data['masters']} WAV masters x {data['seconds'] // 60} min (48 kHz 24-bit stereo "
        f"speech at about {', '.join(f'{x:g}' for x in data['levels'])} LUFS) -> 128 kb/s "
        "MP3 at -16 LUFS / -1 dBTP; one run each, output measured with the system ffmpeg.",
        "",
        "| tool | wall s | wall vs ffmpeg-normalize | CPU s | CPU vs ffmpeg-normalize "
        "| loudness error LU (mean / max) | max true peak dBTP |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        out.append(
            f"| {name} | {r['wall_s']:.1f} | {r['wall_s'] / peer['wall_s']:.2f}× "
            f"| {r['cpu_s']:.1f} | {r['cpu_s'] / peer['cpu_s']:.2f}× "
            f"| {r['mean_error_lu']:.2f} / {r['max_error_lu']:.2f} | {r['max_true_peak']:.1f} |"
        )
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 x 1 min instead of 4 x 10 min")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="audiofeed-mastering-") as tmp:
        data = run_case(Path(tmp), quick=args.quick)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "mastering.json").write_text(json.dumps(data, indent=1))
    table = markdown(data)
    (args.out / "mastering.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
