"""A tiny static file server for tests: 127.0.0.1, a free port, in a thread.

    with serve_directory(tmp_path) as srv:
        srv.url("feed.xml")        # -> "http://127.0.0.1:PORT/feed.xml"
        srv.requests               # [(method, path, {header: value}), ...] seen so far

Unlike ``python -m http.server`` it answers ``Range`` requests (single range -> 206 with
Content-Range, unsatisfiable -> 416), sends ``Accept-Ranges: bytes``, an ``ETag`` and
answers conditional GETs (If-None-Match / If-Modified-Since -> 304), which is what
podcast clients and browsers' <audio> elements rely on. Missing files are 404.
Use it for self-tests and client tests until the project has its own server.
"""

from __future__ import annotations

import email.utils
import io
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

MIME_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".mp4": "video/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".wav": "audio/wav",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css",
    ".js": "text/javascript",
    ".txt": "text/plain; charset=utf-8",
}


def _parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """Return (first, last) for one satisfiable byte range, None to ignore the header
    (not a bytes range, or several ranges: a plain 200 is allowed), 'unsatisfiable'."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_s, sep, last_s = spec.strip().partition("-")
    if not sep:
        return None
    try:
        if first_s == "":  # suffix range: the last N bytes
            n = int(last_s)
            if n <= 0:
                return "unsatisfiable"
            return max(size - n, 0), size - 1
        first = int(first_s)
        last = int(last_s) if last_s else size - 1
    except ValueError:
        return None
    if first >= size or last < first:
        return "unsatisfiable"
    return first, min(last, size - 1)


class _Handler(SimpleHTTPRequestHandler):
    server_version = "audiofeed-test-http/1"
    protocol_version = "HTTP/1.1"
    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        **MIME_TYPES,
    }

    def log_message(self, format, *args):  # keep test output clean
        pass

    def _record(self):
        self.server.request_log.append((self.command, self.path, dict(self.headers.items())))

    def do_GET(self):
        self._record()
        super().do_GET()

    def do_HEAD(self):
        self._record()
        super().do_HEAD()

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            return super().send_head()  # redirect to "dir/", index.html or a listing
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed by the caller (do_GET/do_HEAD)
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        try:
            st = os.fstat(f.fileno())
            size = st.st_size
            etag = f'"{st.st_mtime_ns:x}-{size:x}"'
            last_modified = self.date_time_string(st.st_mtime)
            if self._not_modified(etag, st.st_mtime):
                self.send_response(HTTPStatus.NOT_MODIFIED)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", last_modified)
                self.end_headers()
                f.close()
                return None
            rng = None
            if "Range" in self.headers and size > 0:
                rng = _parse_range(self.headers["Range"], size)
            if rng == "unsatisfiable":
                f.close()
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if rng is None:
                self.send_response(HTTPStatus.OK)
                body, length = f, size
            else:
                first, last = rng
                f.seek(first)
                length = last - first + 1
                body = io.BytesIO(f.read(length))
                f.close()
                self.send_response(HTTPStatus.PARTIAL_CONTENT)
                self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Content-Length", str(length))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self.end_headers()
            return body
        except Exception:
            f.close()
            raise

    def _not_modified(self, etag: str, mtime: float) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                t = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
            return int(mtime) <= t
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_log: list[tuple[str, str, dict[str, str]]] = []


@dataclass
class StaticServer:
    root: Path
    port: int
    base_url: str
    _server: _Server = field(repr=False)

    def url(self, relpath: str = "") -> str:
        """Absolute URL of a file below root (path segments are percent-encoded)."""
        return self.base_url + quote(str(relpath).lstrip("/"))

    @property
    def requests(self) -> list[tuple[str, str, dict[str, str]]]:
        """(method, path, headers) of every GET/HEAD request served so far."""
        return list(self._server.request_log)


@contextmanager
def serve_directory(root: str | os.PathLike[str]) -> Iterator[StaticServer]:
    """Serve ``root`` on http://127.0.0.1:<free port>/ until the block ends."""
    root = Path(root).resolve()
    server = _Server(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name=f"static-http-{port}", daemon=True)
    thread.start()
    try:
        yield StaticServer(
            root=root, port=port, base_url=f"http://127.0.0.1:{port}/", _server=server
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
