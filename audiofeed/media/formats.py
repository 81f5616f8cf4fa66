"""The one table that says where each logical tag lives in each format (as mediafile does).

ID3 keys are frame ids (MP3 and the ``id3 `` chunk of WAV); MP4 keys are iTunes atoms (a
``----:mean:name`` key is a freeform atom); Vorbis keys are Vorbis comment names (Ogg Vorbis,
Ogg Opus, FLAC). ``None``: the format has no place for the field. docs/tagging.md shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..show.catalog import Chapter


@dataclass(frozen=True)
class Field:
    """One logical tag and its key in each tag family."""

    name: str
    label: str
    id3: str | None
    mp4: str | None
    vorbis: str | None
    kind: str = "text"  # text | int | bool | url


FIELDS: tuple[Field, ...] = (
    Field("title", "Title", "TIT2", "\xa9nam", "TITLE"),
    Field("artist", "Artist (speakers)", "TPE1", "\xa9ART", "ARTIST"),
    Field("album_artist", "Album artist (organiser)", "TPE2", "aART", "ALBUMARTIST"),
    Field("album", "Album (podcast)", "TALB", "\xa9alb", "ALBUM"),
    Field("date", "Date", "TDRC", "\xa9day", "DATE"),
    Field("track", "Track (episode number)", "TRCK", "trkn", "TRACKNUMBER", "int"),
    Field("grouping", "Grouping (day / track)", "TIT1", "\xa9grp", "GROUPING"),
    Field("genre", "Genre", "TCON", "\xa9gen", "GENRE"),
    Field("comment", "Comment (summary)", "COMM", "\xa9cmt", "COMMENT"),
    Field("description", "Description (summary, 255 chars)", None, "desc", None),
    Field("long_description", "Long description", "TDES", "ldes", "DESCRIPTION"),
    Field("copyright", "Copyright / licence", "TCOP", "cprt", "COPYRIGHT"),
    Field("language", "Language", "TLAN", "----:com.apple.iTunes:LANGUAGE", "LANGUAGE"),
    Field("url", "Episode web page", "WOAF", "----:com.apple.iTunes:WEBSITE", "WEBSITE", "url"),
    Field("podcast", "Podcast flag", "PCST", "pcst", "PODCAST", "bool"),
    Field("guid", "Episode GUID", "TGID", "egid", "EPISODEGUID"),
    Field("feed_url", "Feed URL", "WFED", "purl", "PODCASTURL", "url"),
    Field("category", "Podcast category", "TCAT", "catg", "PODCASTCATEGORY"),
    Field("keywords", "Keywords", "TKWD", "keyw", "PODCASTKEYWORDS"),
)
BY_NAME = {f.name: f for f in FIELDS}
DESCRIPTION_LIMIT = 255  # MP4 'desc' is the short description; 'ldes' holds the rest


@dataclass(frozen=True)
class Tags:
    """The logical tags audiofeed writes into a copy of a recording."""

    title: str
    artist: str
    album: str
    album_artist: str
    date: str
    comment: str = ""
    genre: str = "Podcast"
    guid: str | None = None
    cover: bytes | None = None
    cover_mime: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    track: int | None = None
    grouping: str | None = None
    long_description: str = ""
    copyright: str | None = None
    language: str | None = None
    url: str | None = None
    feed_url: str | None = None
    category: str | None = None
    keywords: tuple[str, ...] = ()
    podcast: bool = True
    chapters: tuple[Chapter, ...] = ()
    chapter_images: tuple[bytes | None, ...] = ()  # per chapter: JPEG/PNG embedded in ID3 CHAP

    def values(self, family: str | None = None) -> dict[str, str]:
        """Every table field as the text a reader gives back (absent fields left out); with
        ``family``, only the fields that family has a key for."""
        raw: dict[str, Any] = {
            "title": self.title,
            "artist": self.artist,
            "album_artist": self.album_artist,
            "album": self.album,
            "date": self.date,
            "track": self.track,
            "grouping": self.grouping,
            "genre": self.genre,
            "comment": self.comment,
            "description": shorten(self.comment, DESCRIPTION_LIMIT),
            "long_description": self.long_description,
            "copyright": self.copyright,
            "language": self.language,
            "url": self.url,
            "podcast": "1" if self.podcast else None,
            "guid": self.guid,
            "feed_url": self.feed_url,
            "category": self.category,
            "keywords": ", ".join(self.keywords),
        }
        return {
            k: str(v)
            for k, v in raw.items()
            if v not in (None, "") and (family is None or getattr(BY_NAME[k], family))
        }


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary with an ellipsis if longer than ``limit`` characters."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.- ") + "…"


def keys_of(family: str) -> dict[str, Field]:
    """Format key -> field for one family (``id3``, ``mp4`` or ``vorbis``)."""
    return {getattr(f, family): f for f in FIELDS if getattr(f, family)}
