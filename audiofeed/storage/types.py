"""Fixed Content-Type and Cache-Control tables (never mimetypes: it varies by machine)."""

from __future__ import annotations

CONTENT_TYPES: dict[str, str] = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/x-m4a",
    ".m4b": "audio/x-m4a",
    ".mp4": "audio/mp4",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/opus",
    ".flac": "audio/flac",
    ".wav": "audio/wav",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".xml": "application/rss+xml",
    ".rss": "application/rss+xml",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".chapters.json": "application/json+chapters",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".txt": "text/plain; charset=utf-8",
}
MEDIA_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=300"


def content_type_for(key: str) -> str:
    """Content-Type for an object key, by its (double) extension."""
    name = key.rsplit("/", 1)[-1].lower()  # as PurePosixPath(key).name, without its cost
    if name.endswith(".chapters.json"):
        return CONTENT_TYPES[".chapters.json"]
    dot = name.rfind(".")
    suffix = name[dot:] if 0 < dot < len(name) - 1 else ""  # PurePosixPath(name).suffix
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


def cache_control_for(key: str) -> str:
    """Media and art never change behind a URL (their keys carry a hash); the rest is short."""
    ctype = content_type_for(key)
    if ctype.startswith(("audio/", "image/")):
        return MEDIA_CACHE
    return SHORT_CACHE
