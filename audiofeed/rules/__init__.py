"""Feed and artwork rules (ids from docs/feed.md / feed-rules.md) run on what was built.

``check_feed(name, xml_bytes)`` and ``check_artwork(path)`` return ``Problem``s whose
line reads ``feed.xml: IT-03: item 2 ("Title"): …``; severity ``error`` or ``warning``.
"""

from .artwork import check_artwork
from .feedrules import check_feed

__all__ = ["check_artwork", "check_feed"]
