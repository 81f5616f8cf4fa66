"""``python -m audiofeed``."""

from .cli import main

main()
