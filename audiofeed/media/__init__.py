"""Recordings: probe, read and write tags, cover art and chapters for MP3, M4A/M4B/MP4 (AAC,
ALAC), Ogg Vorbis, Ogg Opus, FLAC and WAV. This package is the only code importing mutagen.

- :mod:`.formats`: the table mapping each logical tag to ID3 / MP4 / Vorbis keys, and ``Tags``
- :mod:`.probe`: ``probe`` (measure, reject corrupt, truncated, mislabelled files)
- :mod:`.tagger`: ``tag_copy`` (atomic), ``read_file``, ``read_tags``, ``diff``
- :mod:`.id3`, :mod:`.mp4`, :mod:`.vorbis`: one writer/reader per tag family
- :mod:`.chapters`: validation, ID3/MP4/Vorbis chapters, the Podcasting 2.0 JSON file
- :mod:`.inspect`: the ``audiofeed inspect`` report
"""

from __future__ import annotations

from .chapters import JSON_TYPE
from .chapters import to_json as chapters_json
from .chapters import validate as validate_chapters
from .formats import FIELDS, Field, Tags
from .model import ChapterMark, FileTags, Picture
from .probe import FORMATS, AudioInfo, probe, sha256_file
from .tagger import diff, read_file, read_tags, tag_copy

__all__ = [
    "FIELDS",
    "FORMATS",
    "JSON_TYPE",
    "AudioInfo",
    "ChapterMark",
    "Field",
    "FileTags",
    "Picture",
    "Tags",
    "chapters_json",
    "diff",
    "probe",
    "read_file",
    "read_tags",
    "sha256_file",
    "tag_copy",
    "validate_chapters",
]
