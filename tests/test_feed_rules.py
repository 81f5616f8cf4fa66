"""The rules checker catches a bad feed per important rule; publish and check use it."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest

from audiofeed.rules import check_artwork, check_feed
from tests.support.cli import run
from tests.support.feed_helpers import build


def lines(data: bytes, severity: str = "error") -> list[str]:
    return [p.line() for p in check_feed("feed.xml", data) if p.severity == severity]


def test_demo_feed_has_no_problem_at_all(show: Path) -> None:
    assert check_feed("feed.xml", build(show)) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (rb'<guid isPermaLink="false">8178c79c[^<]*</guid>', b"", "IT-03: item 6"),
        (b'<guid isPermaLink="false">', b"<guid>", "IT-04: item 1 ("),
        (b'length="', b'length="0" x="', "ENC-02: item 1"),
        (b'type="audio/mpeg"', b'type="audio/mp3"', "ENC-03: item 1"),
        (b'type="audio/x-m4a"', b'type="audio/mpeg"', "ENC-04: item 4"),
        (
            rb'<itunes:category text="Government"/>',
            b'<itunes:category text="Technology"><itunes:category text="Podcasting"/>'
            b"</itunes:category>",
            "CAT-01",
        ),
        (
            b"<itunes:explicit>false</itunes:explicit>",
            b"<itunes:explicit>no</itunes:explicit>",
            "CH-07",
        ),
        (
            b"<link>https://golab.bsg.ox.ac.uk/</link>",
            b"<link>http://127.0.0.1:8000/feed.xml</link>",
            "CH-03",
        ),
        (b"<itunes:episodeType>full", b"<itunes:episodeType>Full", "IT-11"),
        (
            rb"<pubDate>Thu, 08 Sep 2022 09:30:00 \+0100",
            b"<pubDate>2022-09-08T09:30:00+01:00",
            "XML-06",
        ),
        (b"<itunes:author>Government Outcomes Lab</itunes:author>", b"", "CH-08"),
        (b">yes</podcast:locked>", b">true</podcast:locked>", "P2-locked"),
        (b"&amp; public value</title>", b"& public value</title>", "XML-01: not well-formed"),
    ],
)
def test_a_broken_feed_is_caught_with_its_rule_id(show: Path, old, new, expected) -> None:
    good = build(show)
    bad = re.sub(old, new, good, count=1)
    assert bad != good, old
    found = lines(bad)
    assert any(expected in line for line in found), found
    assert all(line.startswith("feed.xml: ") for line in found)


def test_duplicate_guid_and_enclosure_are_errors(show: Path) -> None:
    good = build(show)
    guids = re.findall(rb'<guid isPermaLink="false">([^<]+)</guid>', good)
    bad = good.replace(guids[1], guids[0])
    assert any("IT-03: item 2" in x and "also used by item 1" in x for x in lines(bad))


def test_warnings_for_recommended_tags(show: Path) -> None:
    good = build(show)
    bad = good.replace(b"<copyright>Government", b"<copyright>(c) 2022 Government")
    assert any("CH-12" in x for x in lines(bad, "warning"))
    assert lines(bad) == []


def png(width: int, height: int, colour: int = 2) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    channels = {2: 3, 6: 4, 0: 1}[colour]
    raw = b"".join(b"\0" + b"\x80" * width * channels for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_artwork_rules(tmp_path: Path, show: Path) -> None:
    assert check_artwork(show / "cover.jpg") == []
    cases = {
        "wide.png": (png(1600, 1400), "ART-01: 1600x1400 px is not square"),
        "small.png": (png(600, 600), "ART-01: 600x600 px; must be between 1400 and 3000"),
        "alpha.png": (png(1400, 1400, 6), "ART-03: PNG has an alpha channel"),
        "gray.png": (png(1400, 1400, 0), "ART-01: colour model is gray"),
        "fake.jpg": (png(1400, 1400), "ART-02: named .jpg but the bytes are PNG"),
    }
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        found = [p.line() for p in check_artwork(tmp_path / name, name)]
        assert any(line.startswith(f"{name}: {expected}") for line in found), found


def test_check_reports_non_square_cover(show: Path) -> None:
    (show / "cover.png").write_bytes(png(1600, 1400))
    cfg = show / "config.toml"
    cfg.write_text(cfg.read_text().replace('image = "cover.jpg"', 'image = "cover.png"'))
    proc = run("check", cwd=show)
    assert proc.returncode == 1
    assert "ART-01: 1600x1400 px is not square; Apple needs 1:1" in proc.stderr


def test_demo_passes_check_strict_with_zero_warnings(show: Path) -> None:
    proc = run("check", "--strict", cwd=show)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.strip() == "ok: no errors"


def test_publish_refuses_a_feed_with_a_rule_error(show: Path) -> None:
    cfg = show / "config.toml"
    cfg.write_text(
        cfg.read_text().replace("http://127.0.0.1:8000/", "http://127.0.0.1:8000/médias/")
    )
    proc = run("publish", cwd=show)
    assert proc.returncode == 1
    assert (
        "error: feed.xml: ENC-05: item 1 ('Beyond impact bonds - unlocking investment for "
        "outcomes-focused social programmes'): enclosure URL must be ASCII without spaces\n"
    ) in proc.stderr
    assert not (show / "public").exists()
