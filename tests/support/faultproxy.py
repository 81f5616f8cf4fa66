"""A fault-injecting HTTP proxy on loopback, for tests: boto3 -> proxy -> SeaweedFS.

    with fault_proxy(seaweedfs.endpoint, rate=0.1, seed=7) as proxy:
        client = boto3.client("s3", endpoint_url=proxy.url, ...)   # or AWS_ENDPOINT_URL
        ...
        proxy.counts            # {"requests": 120, "forwarded": 109, "500": 3, "reset": 2, ...}
        proxy.rate = 0          # change the fault rate at any time
        proxy.persistent = lambda method, path: method == "PUT" and "feed.xml" in path

It is a reverse proxy, not a CONNECT proxy: the client talks plain HTTP to it as if it
were the S3 endpoint. The Host header is passed through unchanged, so SigV4 signatures
(which cover it) stay valid. With probability ``rate`` (or always, for requests matched by
``persistent``) a request gets one of ``kinds``:

    500          InternalError, not forwarded
    503          SlowDown (S3's throttling answer), not forwarded
    reset        connection reset (RST) before forwarding
    reset-after  forwarded (the server did the work), then the connection is reset:
                 the client cannot know it succeeded, so retries must be idempotent
    stall        the answer is held for ``stall_seconds``, then sent normally
    truncate     forwarded, the answer's headers promise the full body, half is sent

``refuse`` answers chosen requests with an S3 error of its own (a store that does not take
a header). Everything is counted; ``log`` lists (method, path, fault) for every request.
"""

from __future__ import annotations

import http.client
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

KINDS = ("500", "503", "reset", "reset-after", "stall", "truncate")
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "expect",  # the proxy has read the body already (and answered 100 Continue itself)
}
ERROR_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
    "<Message>{message}</Message><RequestId>faultproxy</RequestId></Error>"
)


@dataclass
class FaultProxy:
    upstream: str
    rate: float = 0.0
    kinds: tuple[str, ...] = KINDS
    stall_seconds: float = 1.0
    seed: int = 0
    persistent: Callable[[str, str], bool] | None = None
    persistent_kind: str = "503"
    #: (method, path, request headers) -> (status, code, message) to answer instead of
    #: forwarding (a store that refuses a header, say), or None to go on as usual
    refuse: Callable[[str, str, dict[str, str]], tuple[int, str, str] | None] | None = None
    counts: Counter = field(default_factory=Counter)
    log: list[tuple[str, str, str]] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def choose(self, method: str, path: str) -> str | None:
        """The fault for this request, or None (forward it untouched)."""
        with self._lock:
            self.counts["requests"] += 1
            if self.persistent and self.persistent(method, path):
                fault: str | None = self.persistent_kind
            elif self.rate and self._rng.random() < self.rate:
                fault = self._rng.choice(self.kinds)
            else:
                fault = None
            self.counts[fault or "forwarded"] += 1
            self.log.append((method, path, fault or ""))
            return fault

    @property
    def faulted(self) -> int:
        return sum(v for k, v in self.counts.items() if k in KINDS)


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    up = urlsplit(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _reset(self) -> None:
            """Close with RST (SO_LINGER 0): the client sees 'connection reset by peer'."""
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        def _error(self, status: int, code: str, message: str) -> None:
            body = ERROR_BODY.format(code=code, message=message).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            if status == 503:
                self.send_header("Retry-After", "0")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                if body or self.command in ("PUT", "POST"):
                    headers["Content-Length"] = str(len(body))
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                return resp.status, resp.reason, resp.getheaders(), data
            finally:
                conn.close()

        def _handle(self) -> None:
            body = self._body()
            if proxy.refuse:
                headers = {k.lower(): v for k, v in self.headers.items()}
                refused = proxy.refuse(self.command, self.path, headers)
                if refused:
                    with proxy._lock:
                        proxy.counts["refused"] += 1
                        proxy.log.append((self.command, self.path, "refused"))
                    return self._error(*refused)
            fault = proxy.choose(self.command, self.path)
            if fault == "500":
                return self._error(500, "InternalError", "injected by faultproxy")
            if fault == "503":
                return self._error(503, "SlowDown", "Please reduce your request rate.")
            if fault == "reset":
                return self._reset()
            status, reason, headers, data = self._forward(body)
            if fault == "reset-after":
                return self._reset()
            if fault == "stall":
                time.sleep(proxy.stall_seconds)
            self.send_response(status, reason)
            for k, v in headers:
                if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            upstream_length = dict((k.lower(), v) for k, v in headers).get("content-length")
            length = upstream_length if self.command == "HEAD" else str(len(data))
            self.send_header("Content-Length", length or "0")
            self.end_headers()
            if self.command == "HEAD":
                return None
            if fault == "truncate" and len(data) > 1:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                return self._reset()
            self.wfile.write(data)
            return None

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

    return Handler


@contextmanager
def fault_proxy(upstream: str, **settings: object) -> Iterator[FaultProxy]:
    """Run a FaultProxy in front of ``upstream`` (http://host:port) on a free loopback port."""
    proxy = FaultProxy(upstream, **settings)  # type: ignore[arg-type]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    proxy.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
