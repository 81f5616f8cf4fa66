"""ART-01..04: cover art is square, 1400-3000 px, RGB JPEG/PNG whose bytes match its name.

Reads the image header itself (PNG IHDR, JPEG SOFn): no imaging library needed."""

from __future__ import annotations

import struct
from pathlib import Path

from ..errors import Problem

MIN_PX, MAX_PX = 1400, 3000
MAX_BYTES = 512_000
EXTENSIONS = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png"}
SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_info(data: bytes) -> tuple[str, int, int, str, bool] | None:
    """(format, width, height, colour model, has alpha) or None if not a JPEG/PNG."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        width, height, _depth, colour = struct.unpack(">IIBB", data[16:26])
        model = {0: "gray", 2: "rgb", 3: "palette", 4: "gray", 6: "rgb"}.get(colour, "unknown")
        alpha = colour in (4, 6) or b"tRNS" in data[: data.find(b"IDAT")]
        return "png", width, height, model, alpha
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 4 <= len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            if marker == 0xFF:
                i += 1
                continue
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            if marker in SOF_MARKERS:
                height, width, comps = struct.unpack(">HHB", data[i + 5 : i + 10])
                model = {1: "gray", 3: "rgb", 4: "cmyk"}.get(comps, "unknown")
                return "jpeg", width, height, model, False
            i += 2 + length
    return None


def check_artwork(path: Path, name: str | None = None) -> list[Problem]:
    """Every ART rule for one artwork file (``name``: what to call it in messages)."""
    where = Path(name) if name else path
    problems: list[Problem] = []

    def add(rule: str, message: str, severity: str = "error") -> None:
        problems.append(Problem(where, rule, message, severity))

    data = path.read_bytes()
    info = image_info(data)
    ext = path.suffix.lower()
    if info is None:
        add("ART-01", "not a JPEG or PNG image; export the cover as .jpg or .png")
        return problems
    fmt, width, height, model, alpha = info
    if ext not in EXTENSIONS:
        add("ART-02", f"file name must end .jpg or .png (it is a {fmt.upper()})")
    elif EXTENSIONS[ext] != fmt:
        add("ART-02", f"named {ext} but the bytes are {fmt.upper()}; rename it to match")
    if width != height:
        add("ART-01", f"{width}x{height} px is not square; Apple needs 1:1")
    if not (MIN_PX <= width <= MAX_PX and MIN_PX <= height <= MAX_PX):
        add("ART-01", f"{width}x{height} px; must be between {MIN_PX} and {MAX_PX} px a side")
    if model != "rgb":
        add("ART-01", f"colour model is {model}; save it as RGB")
    if fmt == "png" and alpha:
        add("ART-03", "PNG has an alpha channel (transparency); save without it", "warning")
    if len(data) > MAX_BYTES:
        add("ART-04", f"{len(data):,} bytes; keep cover art under 500 KB", "warning")
    return problems
