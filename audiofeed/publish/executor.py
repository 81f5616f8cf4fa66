"""Where the per-recording work runs: a local process pool (default, ``--jobs``) or a Dask
cluster (``publish --cluster tcp://HOST:8786`` or ``[cluster] address``).

The only module that imports ``distributed`` (the optional extra ``audiofeed[cluster]``),
and only when a cluster is asked for. Both give a ``concurrent.futures`` executor, so the
mastering stage has one code path (``distributed.Client.get_executor()``); docs/cluster.md.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from ..errors import AudiofeedError, ConfigError

#: seconds to reach the scheduler before giving up (one line, nothing published)
CONNECT_TIMEOUT = 5.0
INSTALL_HINT = "pip install 'audiofeed[cluster]' (the same audiofeed version as the workers)"


class ClusterError(AudiofeedError):
    """The cluster cannot be used (not installed, unreachable, no workers)."""


@contextmanager
def local(jobs: int) -> Iterator[Executor]:
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield pool


class Cluster:
    """A connected Dask client: an executor, and the workers to ask things of."""

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise ClusterError(f"--cluster needs Dask: {INSTALL_HINT}", field="cluster") from None
        self.address = address
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(
                f"cannot reach the Dask scheduler at {address} ({type(exc).__name__}); "
                "start it (dask scheduler) or fix --cluster / [cluster] address",
                field="cluster.address",
            ) from None

    def workers(self, wait: float = CONNECT_TIMEOUT) -> dict[str, str]:
        """Worker address -> name; waits a little for at least one."""
        try:
            self.client.wait_for_workers(1, timeout=wait)
        except (TimeoutError, OSError):
            raise ClusterError(
                f"the Dask scheduler at {self.address} has no workers; start some "
                f"(dask worker {self.address})",
                field="cluster.address",
            ) from None
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        return {addr: str(w.get("name", addr)) for addr, w in info.items()}

    def run_everywhere(self, fn: Callable[..., Any], *args: Any) -> dict[str, Any]:
        """``fn(*args)`` on every worker; worker name -> its answer."""
        names = self.workers()
        try:
            answers = self.client.run(fn, *args, workers=list(names))
        except Exception as exc:  # e.g. a worker without audiofeed (ModuleNotFoundError)
            raise ClusterError(
                f"the workers of {self.address} cannot run audiofeed ({type(exc).__name__}: "
                f"{exc}); {INSTALL_HINT.replace('pip install', 'on every worker: pip install')}",
                field="cluster.address",
            ) from None
        return {names.get(addr, addr): answer for addr, answer in answers.items()}

    def executor(self) -> Executor:
        # pure=False: a task that ran once is not answered from the cluster's memory of
        # another run (results are content-addressed on the coordinator anyway)
        return self.client.get_executor(pure=False)

    def close(self) -> None:
        self.client.close()


def connect(address: str) -> Cluster:
    if not address.startswith(("tcp://", "tls://", "ws://", "wss://", "inproc://")):
        raise ConfigError(
            f"{address!r} is not a scheduler address (tcp://HOST:8786)", field="cluster.address"
        )
    return Cluster(address)


def worker_name() -> str:
    """Who runs this task: the Dask worker's name, else host and process id."""
    if "distributed" in sys.modules:  # a Dask worker (a local pool never imports it)
        from distributed import get_worker

        try:
            return str(get_worker().name)
        except ValueError:
            pass
    return f"{socket.gethostname()}:{os.getpid()}"
