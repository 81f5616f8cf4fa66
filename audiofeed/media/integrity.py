"""Cheap structural checks that catch truncated files mutagen would happily measure.

mutagen reads a duration from the headers (MP4 ``mvhd``, FLAC STREAMINFO, the last Ogg page),
so a file cut short in transfer still "probes". These walk the container instead: MP4 boxes,
Ogg pages, RIFF chunks, and the CRC of the last FLAC frame. None decodes audio.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path
from typing import Any

from ..errors import MediaError
from . import digests

TAIL = 256 * 1024  # how much of a FLAC file's end to search for its last frame
#: containers checked before mutagen parses them (their walk needs nothing from mutagen)
BEFORE_PARSING = ("MP4", "WAVE", "OggVorbis", "OggOpus")


def sniff(path: Path) -> str | None:
    """The mutagen class name the first bytes of ``path`` announce; None if unsure."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if head[:4] == b"fLaC":
        return "FLAC"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "WAVE"
    if head[4:8] == b"ftyp":
        return "MP4"
    if head[:4] == b"OggS":
        if b"OpusHead" in head[:200]:
            return "OggOpus"
        if b"\x01vorbis" in head[:200]:
            return "OggVorbis"
        return "Ogg"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return None if head[:3] == b"ID3" else "MP3"
    return None


def check(path: Path, kind: str, size: int, info: Any) -> None:
    """Raise MediaError if the container of ``path`` is cut short or inconsistent."""
    with open(path, "rb") as f:
        if kind == "MP3":
            _mp3(f, size, path, info)
        elif kind == "MP4":
            _mp4(f, size, path)
        elif kind in ("OggVorbis", "OggOpus"):
            _ogg(f, size, path)
        elif kind == "WAVE":
            _wav(f, size, path)
        elif kind == "FLAC":
            _flac(f, size, path, info)


def _mp4(f: Any, size: int, path: Path) -> None:
    pos, names = 0, set()
    while pos < size:
        f.seek(pos)
        head = f.read(8)
        if len(head) < 8:
            raise MediaError(f"truncated: incomplete MP4 box header at byte {pos}", path=path)
        length, name = struct.unpack(">I4s", head)
        if length == 1:
            big = f.read(8)
            if len(big) < 8:
                raise MediaError("truncated: incomplete MP4 box header", path=path)
            length = struct.unpack(">Q", big)[0]
        elif length == 0:
            length = size - pos
        if length < 8:
            raise MediaError(f"corrupt: invalid MP4 box size at byte {pos}", path=path)
        if pos + length > size:
            box = name.decode("latin-1")
            raise MediaError(
                f"truncated: the MP4 '{box}' box needs {pos + length - size:,} more bytes than "
                "the file has; copy or export it again",
                path=path,
            )
        names.add(name)
        pos += length
    if b"mdat" not in names:
        raise MediaError("corrupt: the MP4 file has no audio data ('mdat' box)", path=path)


_MP3_RATES = {  # (version bits, bitrate index) -> kbit/s for layer III
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


BUFFER = 1 << 20  # the MP3 walk reads through one reused buffer of this size


def _mp3_lengths() -> list[int]:
    """Frame length in bytes for every (second, third) header byte of an MPEG layer III frame
    (0: not a valid layer III header), so the walk costs one table look-up per frame."""
    table = [0] * 65536
    for b1 in range(0xE0, 0x100):
        version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
        if version == 1 or layer != 1:
            continue
        for b2 in range(256):
            index, sr_index = b2 >> 4, (b2 >> 2) & 3
            if index in (0, 15) or sr_index == 3:
                continue
            rate = _MP3_SAMPLE_RATES[version][sr_index]
            kbps = _MP3_RATES[3 if version == 3 else 2][index]
            per_frame = 144 if version == 3 else 72
            table[b1 << 8 | b2] = per_frame * kbps * 1000 // rate + ((b2 >> 1) & 1)
    return table


_LENGTHS = _mp3_lengths()


def _mp3(f: Any, size: int, path: Path, info: Any) -> None:
    """Walk the MPEG layer III frames from the first one mutagen found: the last must end
    inside the file, and together they must last about as long as the headers say.

    One sequential pass through a reused buffer (memory stays flat for any file size), which
    also hashes the whole file: ``sha256_file`` of the same file version then reads nothing.
    """
    if size < 4:
        return
    key = digests.stamp(path, os.fstat(f.fileno()))
    f.seek(max(0, size - 128))
    end = size - 128 if size >= 128 and f.read(3) == b"TAG" else size
    f.seek(0)
    i = int(getattr(info, "frame_offset", 0) or 0)
    digest = hashlib.sha256()
    buf = bytearray(BUFFER + 4)
    view = memoryview(buf)
    lengths = _LENGTHS
    frames, first, walking = 0, -1, True
    base = carry = 0  # file offset of buf[0]; bytes kept from the previous read at buf[0:carry]
    while n := f.readinto(view[carry:]):
        digest.update(view[carry : carry + n])
        filled = carry + n
        if walking:
            j, stop = i - base, min(end, base + filled) - 4 - base
            if first < 0 and j >= 0 and j + 2 < filled:
                first = buf[j + 1] << 8 | buf[j + 2]
            while j <= stop:  # one frame per turn: the hot loop of publishing a recording
                length = lengths[buf[j + 1] << 8 | buf[j + 2]]
                if not length or buf[j] != 0xFF:
                    walking = False
                    break
                j += length
                frames += 1
            i = base + j
            if i > end:
                raise MediaError(
                    "truncated: the last MP3 frame is cut short; copy or export it again",
                    path=path,
                )
        carry = filled - (i - base) if walking and 0 <= i - base < filled else 0
        if carry:
            buf[0:carry] = buf[filled - carry : filled]
        base += filled - carry
    del view
    if base + carry == size and digests.stamp(path) == key:
        digests.remember(key, digest.hexdigest())
    if frames and first >= 0 and lengths[first]:
        b1, b2 = first >> 8, first & 0xFF
        version = (b1 >> 3) & 3
        rate = _MP3_SAMPLE_RATES[version][(b2 >> 2) & 3]
        samples = 1152 if version == 3 else 576
        walked = frames * samples / rate
        if walked < 0.98 * float(info.length) - 0.5:
            raise MediaError(
                f"truncated: the MP3 stream holds {walked:.1f} s of audio but its headers say "
                f"{float(info.length):.1f} s; copy or export it again",
                path=path,
            )


def _ogg(f: Any, size: int, path: Path) -> None:
    pos, last_flags = 0, 0
    while pos < size:
        f.seek(pos)
        head = f.read(27)
        if len(head) < 27:
            raise MediaError(f"truncated: incomplete Ogg page at byte {pos}", path=path)
        if head[:4] != b"OggS":
            raise MediaError(f"corrupt: no Ogg page where one should start (byte {pos})", path=path)
        segments = f.read(head[26])
        if len(segments) < head[26]:
            raise MediaError(f"truncated: incomplete Ogg page at byte {pos}", path=path)
        last_flags = head[5]
        pos += 27 + head[26] + sum(segments)
    if pos > size:
        raise MediaError("truncated: the last Ogg page is cut short", path=path)
    if not last_flags & 0x04:
        raise MediaError(
            "truncated: the Ogg stream has no end-of-stream page; copy or export it again",
            path=path,
        )


def _wav(f: Any, size: int, path: Path) -> None:
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise MediaError("corrupt: not a RIFF/WAVE file", path=path)
    pos, found = 12, False
    while pos + 8 <= size:
        f.seek(pos)
        cid, length = struct.unpack("<4sI", f.read(8))
        if cid == b"data":
            found = True
            if length in (0, 0xFFFFFFFF):  # streamed WAV: data runs to the end
                return
        if pos + 8 + length > size:
            raise MediaError(
                f"truncated: the WAV '{cid.decode('latin-1').strip()}' chunk needs "
                f"{pos + 8 + length - size:,} more bytes than the file has",
                path=path,
            )
        pos += 8 + length + (length & 1)
    if not found:
        raise MediaError("corrupt: the WAV file has no 'data' chunk", path=path)


# -- FLAC -------------------------------------------------------------------------------------
def _crc8_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xFF if c & 0x80 else (c << 1) & 0xFF
        table.append(c)
    return table


def _crc16_table() -> list[int]:
    table = []
    for i in range(256):
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x8005) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
        table.append(c)
    return table


CRC8, CRC16 = _crc8_table(), _crc16_table()
#: (mask, lead bits) of a UTF-8 style coded number with 0..6 continuation bytes
_UTF8_LEADS = (
    (0x80, 0x00),
    (0xE0, 0xC0),
    (0xF0, 0xE0),
    (0xF8, 0xF0),
    (0xFC, 0xF8),
    (0xFE, 0xFC),
    (0xFF, 0xFE),
)


def _crc8(data: bytes) -> int:
    c = 0
    for b in data:
        c = CRC8[c ^ b]
    return c


def _crc16(data: bytes) -> int:
    c = 0
    for b in data:
        c = ((c << 8) & 0xFFFF) ^ CRC16[(c >> 8) ^ b]
    return c


def _frame_header(buf: bytes, i: int) -> tuple[int, int, bool] | None:
    """(coded number, block size, variable) of a FLAC frame header at ``i`` with a valid CRC-8."""
    if i + 5 > len(buf):
        return None
    b2, b3 = buf[i + 2], buf[i + 3]
    bs_code, sr_code = b2 >> 4, b2 & 0x0F
    if bs_code == 0 or sr_code == 15 or b3 & 1 or (b3 >> 1) & 7 in (3, 7) or b3 >> 4 > 10:
        return None
    j = i + 4
    first = buf[j]
    extra = next((n for n, (m, b) in enumerate(_UTF8_LEADS) if first & m == b), None)
    if extra is None:
        return None
    value = first & ~_UTF8_LEADS[extra][0] & 0xFF
    if j + 1 + extra > len(buf):
        return None
    for k in range(extra):
        cont = buf[j + 1 + k]
        if cont & 0xC0 != 0x80:
            return None
        value = (value << 6) | (cont & 0x3F)
    j += 1 + extra
    if bs_code == 6:
        block = buf[j] + 1 if j < len(buf) else 0
        j += 1
    elif bs_code == 7:
        block = int.from_bytes(buf[j : j + 2], "big") + 1
        j += 2
    elif bs_code == 1:
        block = 192
    elif bs_code <= 5:
        block = 576 << (bs_code - 2)
    else:
        block = 256 << (bs_code - 8)
    j += {12: 1, 13: 2, 14: 2}.get(sr_code, 0)
    if j >= len(buf) or _crc8(buf[i:j]) != buf[j]:
        return None
    return value, block, bool(buf[i + 1] & 1)


def _flac(f: Any, size: int, path: Path, info: Any) -> None:
    total_samples = int(getattr(info, "total_samples", 0) or 0)
    fixed = int(getattr(info, "max_blocksize", 0) or 0)
    start = max(0, size - TAIL)
    f.seek(start)
    tail = f.read()
    if tail[-128:-125] == b"TAG":  # an ID3v1 tag after the audio
        tail = tail[:-128]
    stored = int.from_bytes(tail[-2:], "big")
    i = len(tail) - 4
    while i >= 0:
        i = tail.rfind(b"\xff", 0, i + 1)
        if i < 0:
            break
        if tail[i + 1] in (0xF8, 0xF9):
            header = _frame_header(tail, i)
            if header and _crc16(tail[i:-2]) == stored:
                number, block, variable = header
                first = number if variable else number * (fixed or block)
                if total_samples and first + block < total_samples:
                    break
                return
        i -= 1
    raise MediaError(
        "truncated: the last FLAC frame is incomplete or missing; copy or export it again",
        path=path,
    )
