"""(n) Mastering a day of WAV masters on a Dask cluster against the local pool.

    python bench/cluster.py            # 4 x 3 min 48 kHz 24-bit stereo speech (~5 min)
    python bench/cluster.py --quick    # 4 x 30 s (development)
    python bench/cluster.py --seconds 600 --runs 3   # longer masters, medians of 3 runs

The same masters (bench/mastering.py makes them: espeak-ng speech looped to length, at four
levels) are published four times, each from a fresh copy of the show (nothing cached):

- ``audiofeed publish --jobs 1`` and ``--jobs 2`` (the local process pool);
- ``audiofeed publish --cluster`` against a real ``dask scheduler`` with 1 and then 2
  ``dask worker`` processes (one thread each, own folder and TMPDIR, on 127.0.0.1;
  tests/support/dask_cluster.py), the sources read from the same disk (a shared folder).

Wall time of the whole publish comes from ``harness.run``; every run's published MP3s are
compared byte for byte with the ``--jobs 1`` run. Prints a Markdown table and the speed-ups.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from harness import REPO, run
from mastering import make_masters, make_show

sys.path.insert(0, str(REPO))
from tests.support.dask_cluster import run_dask_cluster


def log(msg: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def digests(show: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((show / "public" / "audio").glob("*.mp3"))
    }


def publish(template: Path, work: Path, name: str, *args: str) -> tuple[float, dict[str, str]]:
    show = work / name
    shutil.copytree(template, show)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    sample = run([sys.executable, "-m", "audiofeed", "publish", *args], cwd=show, env=env)
    done = re.findall(r"^mastered \S+ on (\S+):", sample.output, re.M)
    if done:
        log("  mastered by " + ", ".join(f"{w} x{done.count(w)}" for w in sorted(set(done))))
    return sample.wall, digests(show)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 x 30 s masters")
    parser.add_argument("--seconds", type=int, default=180, help="length of each master")
    parser.add_argument("--runs", type=int, default=1, help="runs per setting (median)")
    opts = parser.parse_args()
    n, seconds = 4, 30 if opts.quick else opts.seconds
    work = Path(tempfile.mkdtemp(prefix="audiofeed-bench-cluster-"))
    try:
        log(f"making {n} x {seconds} s masters")
        masters = make_masters(work / "masters", n, seconds)
        template = make_show(work / "template", masters)
        walls: dict[str, list[float]] = {}
        reference: dict[str, str] | None = None
        for k in range(opts.runs):
            for jobs in (1, 2):
                log(f"run {k + 1}: local pool, --jobs {jobs}")
                wall, got = publish(template, work, f"local-{jobs}-{k}", "--jobs", str(jobs))
                walls.setdefault(f"local pool, --jobs {jobs}", []).append(wall)
                reference = reference or got
                assert got == reference, "the local pool made different bytes"
            for workers in (1, 2):
                log(f"run {k + 1}: Dask, {workers} worker process(es)")
                # the workers import this checkout's audiofeed, as the coordinator does
                with run_dask_cluster(workers, env={"PYTHONPATH": str(REPO)}) as cluster:
                    wall, got = publish(template, work, f"dask-{workers}-{k}", "--cluster",
                                        cluster.address)  # fmt: skip
                walls.setdefault(f"Dask, {workers} worker(s)", []).append(wall)
                assert got == reference, "the cluster made different bytes"
            for done in work.glob(f"*-{k}"):
                shutil.rmtree(done, ignore_errors=True)
        rows = {name: statistics.median(values) for name, values in walls.items()}
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\n{n} x {seconds} s WAV (48 kHz 24-bit stereo speech), whole publish, "
              f"{os.cpu_count()} cores, median of {opts.runs} run(s), "
              f"load average after: {load}\n")  # fmt: skip
        print("| run | wall s (median) | runs | speed-up |\n|---|---:|---|---:|")
        for name, wall in rows.items():
            base = rows["local pool, --jobs 1"] if name.startswith("local") else rows[
                "Dask, 1 worker(s)"]  # fmt: skip
            each = ", ".join(f"{w:.1f}" for w in walls[name])
            print(f"| {name} | {wall:.1f} | {each} | {base / wall:.2f}x |")
        local = rows["local pool, --jobs 1"] / rows["local pool, --jobs 2"]
        dask = rows["Dask, 1 worker(s)"] / rows["Dask, 2 worker(s)"]
        print(f"\nspeed-up 1 -> 2: local pool {local:.2f}x, Dask workers {dask:.2f}x; "
              "published MP3s byte-identical in all four runs")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
