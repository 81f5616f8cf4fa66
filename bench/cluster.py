"""(n) Mastering a day of WAV masters on a Dask cluster against the local pool.

    python bench/cluster.py            # 4 x 3 min 48 kHz 24-bit stereo speech (~5 min)
    python bench/cluster.py --quick    # 4 x 30 s (development)
    python bench/cluster.py --seconds 600 --runs 3   # longer masters, medians of 3 runs

The same masters (bench/mastering.py makes them: espeak-ng speech looped to length, at four
levels) are published six times, each from a fresh copy of the show (nothing cached):

- ``audiofeed publish --jobs 1`` and ``--jobs 2`` (the local process pool);
- ``audiofeed publish --cluster`` against a real ``dask scheduler`` with 1 and then 2
  ``dask worker`` processes (one thread each, own folder and TMPDIR, on 127.0.0.1;
  tests/support/dask_cluster.py), the sources read from the same disk (a shared folder);
- the same with each worker pinned to a core of its own (Linux affinity, inherited by its
  ffmpeg runs): what workers on machines of their own would give.

Beside them, the tool a user would otherwise reach for: the very ffmpeg runs the
``--jobs 1`` publish made (``AUDIOFEED_FFMPEG_TRACE``), one shell script per recording,
run by ``xargs -P 1`` and ``xargs -P 2``: the speed-up this machine allows for this work
with no Python, no pool and no scheduler at all.

Wall time of the whole publish comes from ``harness.run``; every run's published MP3s are
compared byte for byte with the ``--jobs 1`` run. Prints a Markdown table and the speed-ups.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import REPO, run
from mastering import bundled_ffmpeg, make_masters, make_show

sys.path.insert(0, str(REPO))
from tests.support.dask_cluster import run_dask_cluster


def log(msg: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def digests(show: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((show / "public" / "audio").glob("*.mp3"))
    }


def publish(
    template: Path, work: Path, name: str, *args: str, trace: Path | None = None
) -> tuple[float, dict[str, str]]:
    show = work / name
    shutil.copytree(template, show)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if trace:  # every ffmpeg run's arguments, one JSON line each (audiofeed/media/ffmpeg.py)
        env["AUDIOFEED_FFMPEG_TRACE"] = str(trace)
    sample = run([sys.executable, "-m", "audiofeed", "publish", *args], cwd=show, env=env)
    done = re.findall(r"^mastered \S+ on (\S+):", sample.output, re.M)
    if done:
        log("  mastered by " + ", ".join(f"{w} x{done.count(w)}" for w in sorted(set(done))))
    return sample.wall, digests(show)


def replay_scripts(trace: Path, folder: Path) -> list[Path]:
    """The traced ffmpeg runs as one shell script per recording (its analysis, encodes and
    measurements, in order); what audiofeed wrote into its cache goes into ``folder``."""
    ffmpeg = bundled_ffmpeg()
    folder.mkdir(parents=True)
    groups: list[list[list[str]]] = []
    source = None
    for line in trace.read_text().splitlines():
        args = json.loads(line)
        given = args[args.index("-i") + 1]
        if "/.tmp-" not in given and given != source:  # the next recording's analysis
            groups.append([])
            source = given
        args = [re.sub(r"^.*/(\.tmp-[^/]+)$", rf"{folder}/\1", a) for a in args]
        groups[-1].append([ffmpeg, *args])
    scripts = []
    for i, group in enumerate(groups):
        script = folder / f"recording-{i}.sh"
        script.write_text("set -e\n" + "".join(shlex.join(c) + " 2>/dev/null\n" for c in group))
        scripts.append(script)
    return scripts


def by_hand(scripts: list[Path], jobs: int) -> float:
    """``xargs -P JOBS`` over the scripts: the wall time."""
    listing = scripts[0].parent / "scripts.txt"
    listing.write_text("".join(f"{s}\n" for s in scripts))
    return run(["xargs", "-a", str(listing), "-P", str(jobs), "-n", "1", "sh"]).wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 x 30 s masters")
    parser.add_argument("--seconds", type=int, default=180, help="length of each master")
    parser.add_argument("--runs", type=int, default=1, help="runs per setting (median)")
    opts = parser.parse_args()
    n, seconds = 4, 30 if opts.quick else opts.seconds
    pin = hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2
    work = Path(tempfile.mkdtemp(prefix="audiofeed-bench-cluster-"))
    try:
        log(f"making {n} x {seconds} s masters")
        masters = make_masters(work / "masters", n, seconds)
        template = make_show(work / "template", masters)
        walls: dict[str, list[float]] = {}
        reference: dict[str, str] | None = None
        for k in range(opts.runs):
            trace = work / f"trace-{k}.jsonl"
            for jobs in (1, 2):
                log(f"run {k + 1}: local pool, --jobs {jobs}")
                wall, got = publish(template, work, f"local-{jobs}-{k}", "--jobs", str(jobs),
                                    trace=trace if jobs == 1 else None)  # fmt: skip
                walls.setdefault(f"local pool, --jobs {jobs}", []).append(wall)
                reference = reference or got
                assert got == reference, "the local pool made different bytes"
            scripts = replay_scripts(trace, work / f"replay-{k}")
            for jobs in (1, 2):
                log(f"run {k + 1}: the same ffmpeg runs by hand, xargs -P {jobs}")
                walls.setdefault(f"ffmpeg by hand, xargs -P {jobs}", []).append(
                    by_hand(scripts, jobs))  # fmt: skip
            for pinned in (False, True) if pin else (False,):
                family = "Dask, a core each" if pinned else "Dask"
                for workers in (1, 2):
                    log(f"run {k + 1}: {family}, {workers} worker process(es)")
                    # the workers import this checkout's audiofeed, as the coordinator does
                    env = {"PYTHONPATH": str(REPO)}
                    with run_dask_cluster(workers, env=env, pin=pinned) as cluster:
                        wall, got = publish(template, work, f"dask-{pinned:d}{workers}-{k}",
                                            "--cluster", cluster.address)  # fmt: skip
                    walls.setdefault(f"{family}, {workers} worker(s)", []).append(wall)
                    assert got == reference, "the cluster made different bytes"
            for done in work.glob(f"*-{k}"):
                shutil.rmtree(done, ignore_errors=True)
        rows = {name: statistics.median(values) for name, values in walls.items()}
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\n{n} x {seconds} s WAV (48 kHz 24-bit stereo speech), whole publish, "
              f"{os.cpu_count()} cores, median of {opts.runs} run(s), "
              f"load average after: {load}\n")  # fmt: skip
        print("| run | wall s (median) | runs | speed-up 1 -> 2 |\n|---|---:|---|---:|")
        first = {}  # each family's one-process row
        for name, wall in rows.items():
            family = name.rsplit(",", 1)[0]
            base = first.setdefault(family, wall)
            each = ", ".join(f"{w:.1f}" for w in walls[name])
            print(f"| {name} | {wall:.1f} | {each} | {base / wall:.2f}x |")
        ratio = {f: first[f] / rows[n] for n in rows if (f := n.rsplit(",", 1)[0]) in first}
        print("\nspeed-up 1 -> 2: " + ", ".join(f"{f} {r:.2f}x" for f, r in ratio.items()))
        print("published MP3s byte-identical in every audiofeed run")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
