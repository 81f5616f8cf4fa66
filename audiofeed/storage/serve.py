"""A small static server for the published folder: HEAD, byte ranges, fixed content types."""

from __future__ import annotations

import os
import re
import shutil
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import AudiofeedError
from .types import content_type_for

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Handler(SimpleHTTPRequestHandler):
    """Serves files under ``directory`` only; answers Range requests with 206."""

    server_version = "audiofeed"

    def guess_type(self, path):  # type: ignore[no-untyped-def]
        return content_type_for(str(path))

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # type: ignore[no-untyped-def]
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    def _file(self) -> Path | None:
        """The requested file, if it exists inside the served folder (symlinks included)."""
        root = Path(self.directory).resolve()
        rel = unquote(urlsplit(self.path).path).lstrip("/")
        try:  # a NUL byte or an over-long name is simply not found
            target = (root / rel).resolve()
            if not target.is_relative_to(root):
                return None
            if target.is_dir():
                target = target / "index.html"
            return target if target.is_file() else None
        except (OSError, ValueError):
            return None

    def send_head(self):  # type: ignore[no-untyped-def]
        path = self._file()
        if path is None:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        size = path.stat().st_size
        start, end = 0, size - 1
        header = self.headers.get("Range")
        status = HTTPStatus.OK
        if header:
            m = RANGE_RE.match(header.strip())
            if m and (m.group(1) or m.group(2)):
                if m.group(1):
                    start = int(m.group(1))
                    end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
                else:
                    start = max(0, size - int(m.group(2)))
                if start >= size or start > end:
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                status = HTTPStatus.PARTIAL_CONTENT
        f = open(path, "rb")  # noqa: SIM115 - closed by the base class after copyfile
        self.send_response(status)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Length", str(end - start + 1))
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Last-Modified", self.date_time_string(int(path.stat().st_mtime)))
        self.end_headers()
        f.seek(start)
        self._remaining = end - start + 1
        return f

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        remaining = getattr(self, "_remaining", None)
        if remaining is None:
            shutil.copyfileobj(source, outputfile)
            return
        while remaining > 0:
            chunk = source.read(min(1 << 16, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)


def served_folder(config_path: Path, destination: str, base_url: str) -> Path:
    """The published folder ``serve`` serves; an s3:// destination is served by its bucket."""
    if destination.startswith("s3://"):
        raise AudiofeedError(
            f"is {destination}: the show is served from there at {base_url}; 'serve' is for "
            "folder destinations (try 'audiofeed publish --to public --base-url "
            "http://127.0.0.1:8000/')",
            path=config_path,
            field="publish.destination",
        )
    folder = (config_path.parent / destination).resolve()
    if not folder.is_dir():
        raise AudiofeedError("not published yet; run 'audiofeed publish' first", path=folder)
    return folder


def make_server(
    directory: Path, host: str = "127.0.0.1", port: int = 8000, verbose: bool = False
) -> ThreadingHTTPServer:
    """A server for ``directory``; port 0 picks a free one (see ``server.server_port``)."""
    handler = partial(Handler, directory=os.fspath(directory))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.verbose = verbose  # type: ignore[attr-defined]
    return server
