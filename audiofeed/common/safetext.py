"""Text that can reach a feed or a page: characters XML 1.0 cannot carry are removed.

Applied to every string read from config.toml and episode files (values, not keys), so no
later stage can meet them; the feed and show notes apply ``clean_text`` again to be sure.
"""

from __future__ import annotations

import re
from typing import Any

#: XML 1.0 forbids these (C0 controls but tab/newline/CR, DEL, lone surrogates, U+FFFE/FFFF).
_XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Remove characters XML cannot carry (control characters, lone surrogates)."""
    return _XML_FORBIDDEN.sub("", text)


def clean_tree(value: Any) -> Any:
    """``clean_text`` applied to every string value inside parsed TOML (tables, arrays)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {k: clean_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_tree(v) for v in value]
    return value
