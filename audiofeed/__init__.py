"""audiofeed: conference session recordings -> podcast feed + audio archive."""

__version__ = "0.1.0"
