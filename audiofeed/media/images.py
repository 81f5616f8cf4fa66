"""Cover art: type and size from the header bytes, and downscaling (with ffmpeg) on request."""

from __future__ import annotations

import hashlib
import struct
import tempfile
from pathlib import Path

from ..errors import MediaError

_SCALED: dict[tuple[str, int], bytes] = {}


def mime_of(data: bytes) -> str | None:
    """``image/jpeg`` or ``image/png`` from the magic bytes; None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    return None


def dimensions(data: bytes) -> tuple[int | None, int | None]:
    """(width, height) of a PNG or JPEG, read from its header; (None, None) if unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return w, h
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                i += 1 if marker == 0xFF else 2
                continue
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return w, h
            i += 2 + length
    return None, None


def fit(data: bytes, max_px: int | None, where: Path) -> bytes:
    """``data`` unchanged unless ``max_px`` is set and the image is larger: then a copy scaled
    (aspect kept) to fit ``max_px`` in the same format, made with ffmpeg."""
    if not max_px:
        return data
    width, height = dimensions(data)
    if width is None or height is None or max(width, height) <= max_px:
        return data
    key = (hashlib.sha256(data).hexdigest(), max_px)
    if key not in _SCALED:
        _SCALED[key] = _scale(data, max_px, where)
    return _SCALED[key]


def _scale(data: bytes, max_px: int, where: Path) -> bytes:
    from . import ffmpeg

    suffix = ".png" if mime_of(data) == "image/png" else ".jpg"
    with tempfile.TemporaryDirectory(prefix="audiofeed-cover-") as tmp:
        src, out = Path(tmp) / f"in{suffix}", Path(tmp) / f"out{suffix}"
        src.write_bytes(data)
        scale = f"scale='min({max_px},iw)':'min({max_px},ih)':force_original_aspect_ratio=decrease"
        cmd = ["-nostdin", "-v", "error", "-y", "-i", str(src), "-vf", scale]
        if suffix == ".jpg":
            cmd += ["-q:v", "2"]
        ffmpeg.run([*cmd, str(out)], path=where, doing="downscale the cover art", timeout=120)
        if not out.is_file():
            raise MediaError("cannot downscale the cover art: ffmpeg wrote nothing", path=where)
        return out.read_bytes()
