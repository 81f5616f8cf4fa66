"""An "old podcast host" for feed-import tests: a real-world sample feed whose enclosures,
art, chapters and transcripts are rewritten to small ffmpeg-made files served on 127.0.0.1
(Range / 206 via tests/support/http.py), plus redirects and cut-off downloads on demand.

    with old_host(tmp_path, "fireside.xml") as host:
        host.feed_url                 # the rewritten feed
        host.redirect("/feed.xml", new_url)   # answer 301 from now on
        host.cut("/media/1.mp3", 5000)        # next GET sends 5000 bytes, then closes
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from lxml import etree

from . import REPO_ROOT, http
from .media import make_audio, make_image

FEEDS = REPO_ROOT / "tests" / "data" / "feeds"
PODCAST_NS = (
    "https://podcastindex.org/namespace/1.0",
    "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
)
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"


@dataclass
class Host:
    root: Path
    server: http.StaticServer
    feed_path: str
    items: list[dict[str, object]] = field(default_factory=list)

    @property
    def feed_url(self) -> str:
        return self.server.url(self.feed_path)

    def redirect(self, path: str, location: str, status: int = 301) -> None:
        self.server._server.redirects[path] = (status, location)  # type: ignore[attr-defined]

    def cut(self, path: str, after: int) -> None:
        self.server._server.cuts[path] = after  # type: ignore[attr-defined]

    def gets(self, path: str) -> list[dict[str, str]]:
        """Headers of every GET of ``path`` so far."""
        return [h for m, p, h in self.server.requests if m == "GET" and p == path]


class _Handler(http._Handler):
    def send_head(self):  # type: ignore[no-untyped-def]
        redirect = self.server.redirects.get(self.path)
        if redirect:
            self.send_response(redirect[0])
            self.send_header("Location", redirect[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        body = super().send_head()
        after = self.server.cuts.pop(self.path, None)
        if body is not None and after is not None:
            data = body.read(after)
            body.close()
            self.wfile.write(data)
            self.wfile.flush()
            self.close_connection = True
            return io.BytesIO(b"")
        return body


class _Server(http._Server):
    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.redirects: dict[str, tuple[int, str]] = {}
        self.cuts: dict[str, int] = {}


@contextmanager
def serve(root: Path) -> Iterator[http.StaticServer]:
    """http.serve_directory with redirects and cut-offs."""
    server = _Server(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield http.StaticServer(root, port, f"http://127.0.0.1:{port}/", server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def rewrite(sample: str, root: Path, base: str, *, seconds: float = 1.0) -> list[dict[str, object]]:
    """Write ``root/feed.xml``: the sample with every enclosure (and item art, chapters,
    transcript, channel art) pointing at small files made here; returns per item the
    guid, title and the local file of its enclosure."""
    data = (FEEDS / sample).read_bytes().lstrip()
    tree = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
    channel = tree.find("channel")
    media = root / "media"
    media.mkdir(parents=True, exist_ok=True)
    cover = media / "cover.jpg"
    make_image(cover, 1400)
    for el in channel.iter(f"{{{ITUNES_NS}}}image"):
        el.set("href", base + "media/cover.jpg")
    for img in channel.findall("image/url"):
        img.text = base + "media/cover.jpg"
    items = []
    for n, item in enumerate(channel.findall("item"), start=1):
        audio = media / f"{n}.mp3"
        make_audio(audio, seconds=seconds + n / 4)
        enclosure = item.find("enclosure")
        enclosure.set("url", base + f"media/{n}.mp3")
        enclosure.set("length", str(audio.stat().st_size))
        enclosure.set("type", "audio/mpeg")
        for el in item.findall(f"{{{ITUNES_NS}}}image"):
            make_image(media / f"{n}.jpg", 1400)
            el.set("href", base + f"media/{n}.jpg")
        for ns in PODCAST_NS:
            for el in item.findall(f"{{{ns}}}chapters"):
                chapters = {"version": "1.2.0", "chapters": [
                    {"startTime": 0, "title": f"Start {n}"},
                    {"startTime": 0.5, "title": "Middle", "url": "https://example.org/m"},
                ]}  # fmt: skip
                (media / f"{n}.chapters.json").write_text(json.dumps(chapters))
                el.set("url", base + f"media/{n}.chapters.json")
            for el in item.findall(f"{{{ns}}}transcript"):
                (media / f"{n}.vtt").write_text(f"WEBVTT\n\n00:00.000 --> 00:01.000\nItem {n}\n")
                el.set("url", base + f"media/{n}.vtt")
                el.set("type", "text/vtt")
            for el in item.findall(f"{{{ns}}}person"):
                el.attrib.pop("img", None)
        guid = item.findtext("guid")
        items.append({"guid": guid.strip() if guid else None, "title": item.findtext("title"),
                      "file": audio})  # fmt: skip
    (root / "feed.xml").write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
    return items


@contextmanager
def old_host(tmp_path: Path, sample: str, *, seconds: float = 1.0) -> Iterator[Host]:
    root = tmp_path / "oldhost"
    root.mkdir(parents=True, exist_ok=True)
    with serve(root) as server:
        items = rewrite(sample, root, server.base_url, seconds=seconds)
        yield Host(root, server, "feed.xml", items)
