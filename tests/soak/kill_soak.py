"""Soak test, run by hand (not collected by pytest, not run in CI): 200 random SIGKILLs.

    python tests/soak/kill_soak.py [--runs 200] [--seed 1] [--keep] [--s3]

Each run copies a published demo show, applies the same edit as tests/test_crash.py (a
description, a re-titled session, a replaced and an added recording, a removed session)
and publishes it with --prune, killed with SIGKILL either at a random named checkpoint
(audiofeed/common/checkpoint.py, in a forked child) or after a random delay (a real
``python -m audiofeed publish`` subprocess, so kills land anywhere: inside a write, an
fsync, the tagger). After each kill it checks what tests/support/crash.py checks (live
feeds and pages old or new, enclosures complete, sources untouched), publishes again and
checks that the result is exactly what an uninterrupted run leaves. Prints one line per
run and a JSON summary; exits 1 on the first failure (the show is kept for inspection).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# this checkout's audiofeed, here and in the subprocesses (as tests/conftest.py does)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
)

from tests.support.crash import kill_and_resume, make_scenario  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--s3", action="store_true", help="publish to a real SeaweedFS instead")
    args = ap.parse_args()
    if args.s3:
        import uuid

        from tests.support.crash import S3Target
        from tests.support.seaweed import run_seaweedfs

        with run_seaweedfs() as server:
            bucket = f"soak-{uuid.uuid4().hex[:8]}"
            server.client().create_bucket(Bucket=bucket)
            return soak(args, S3Target(server, bucket))
    return soak(args, None)


def soak(args: argparse.Namespace, target) -> int:  # type: ignore[no-untyped-def]
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="audiofeed-soak-"))
    started = time.monotonic()
    sc = make_scenario(tmp, target)
    print(f"scenario: {len(sc.points)} checkpoints, uninterrupted publish {sc.seconds:.2f} s")
    summary = {"runs": 0, "checkpoint_kills": 0, "timed_kills": 0, "finished_before_kill": 0}
    points_hit: set[str] = set()
    try:
        return _loop(args, rng, sc, tmp, summary, points_hit, started)
    except KeyboardInterrupt:  # Ctrl+C: still print what was done
        summary["interrupted"] = True
        summary["distinct_checkpoints"] = len(points_hit)
        print(json.dumps(summary))
        return 130


def _loop(args, rng, sc, tmp, summary, points_hit, started) -> int:  # type: ignore[no-untyped-def]
    for n in range(1, args.runs + 1):
        dest = tmp / f"run-{n}"
        if rng.random() < 0.5:
            point, delay = rng.choice(sc.points), 0.0
        else:
            point, delay = None, rng.uniform(0.05, sc.seconds * 1.3)
        try:
            result = kill_and_resume(sc, dest, point, delay)
        except AssertionError as exc:
            print(f"run {n}: FAILED ({point or f'after {delay:.3f} s'}): {exc}")
            print(f"kept for inspection: {dest}")
            return 1
        summary["runs"] += 1
        if point is not None:
            summary["checkpoint_kills"] += 1
            points_hit.add(point)
        elif result.killed:
            summary["timed_kills"] += 1
        else:
            summary["finished_before_kill"] += 1
        print(f"run {n}: ok, killed {result.point}" + ("" if result.killed else " (finished)"))
    summary["distinct_checkpoints"] = len(points_hit)
    summary["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(summary))
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
