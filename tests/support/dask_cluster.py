"""A real Dask cluster for tests: ``dask scheduler`` and ``dask worker`` processes on loopback.

    with run_dask_cluster(workers=2) as cluster:    # or the session fixture `dask_cluster`
        cluster.address                             # tcp://127.0.0.1:PORT
        cluster.kill_worker(0)                      # SIGKILL one worker by its own PID

Each worker runs in a folder of its own (``--local-directory``) with its own TMPDIR, so
nothing assumes a shared temp dir; every process binds to 127.0.0.1, dashboards are off,
and each is stopped by its own PID (SIGTERM, a short grace, then SIGKILL).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def dask_command() -> list[str]:
    """The ``dask`` command installed beside this Python (``pip install 'audiofeed[cluster]'``)."""
    beside = Path(sys.executable).parent / "dask"
    exe = str(beside) if os.access(beside, os.X_OK) else shutil.which("dask")
    if not exe:
        raise RuntimeError("`dask` not found: pip install -e '.[test]' (distributed)")
    return [exe]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dask scheduler exited: {log.read_text()[-2000:]}")
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"dask scheduler not listening on {port}: {log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@dataclass
class DaskCluster:
    address: str
    root: Path
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    logs: list[Any] = field(default_factory=list)

    def start_worker(self, name: str, cpus: set[int] | None = None) -> subprocess.Popen:
        """One more ``dask worker`` process (one thread, its own folder and TMPDIR); with
        ``cpus``, it and every ffmpeg it starts run only on those cores (Linux affinity)."""
        home = self.root / name
        (home / "tmp").mkdir(parents=True, exist_ok=True)
        env = {**self.env, "TMPDIR": str(home / "tmp")}
        log = open(home / "worker.log", "wb")  # noqa: SIM115 - closed in stop()
        self.logs.append(log)
        proc = subprocess.Popen(
            [*dask_command(), "worker", self.address, "--name", name, "--nthreads", "1",
             "--nworkers", "1", "--host", "127.0.0.1", "--dashboard-address", ":0",
             "--local-directory", str(home), "--no-nanny"],
            cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )  # fmt: skip
        self.workers.append(proc)
        return proc

    def wait_for_workers(self, n: int, timeout: float = 60) -> None:
        from distributed import Client

        with Client(self.address, timeout=timeout) as client:
            client.wait_for_workers(n, timeout=timeout)

    def kill_worker(self, i: int) -> None:
        """SIGKILL worker ``i`` by its own PID: no chance to hand over its work."""
        proc = self.workers[i]
        with suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self) -> None:
        for proc in self.workers:
            _stop(proc)
        _stop(self.scheduler)
        for log in self.logs:
            log.close()


@contextmanager
def run_dask_cluster(
    workers: int = 2, env: dict[str, str] | None = None, *, pin: bool = False
) -> Iterator[DaskCluster]:
    """A scheduler and ``workers`` worker processes on 127.0.0.1, stopped on exit; with
    ``pin``, worker i runs on core i alone (as if each had a machine of one core)."""
    root = Path(tempfile.mkdtemp(prefix="audiofeed-dask-"))
    port = _free_port()
    base = {**os.environ, **(env or {}), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    log_path = root / "scheduler.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
    scheduler = subprocess.Popen(
        [*dask_command(), "scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--dashboard-address", ":0", "--no-show"],
        cwd=root, env=base, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    cluster = DaskCluster(f"tcp://127.0.0.1:{port}", root, scheduler, env=base, logs=[log])
    try:
        _wait_for_port(port, scheduler, log_path)
        for i in range(workers):
            cores = sorted(os.sched_getaffinity(0))
            cluster.start_worker(f"worker-{i}", {cores[i % len(cores)]} if pin else None)
        cluster.wait_for_workers(workers)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
