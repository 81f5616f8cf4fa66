"""Show notes of an old feed (HTML) -> the Markdown body of an episode file.

The HTML is sanitised first with nh3 (an allow-list: paragraphs, emphasis, links, lists,
headings, quotes, code, images; scripts and styles dropped with their content, event
handlers and ``javascript:`` links removed), then converted by markdownify, so the body an
organiser edits holds no markup that could not be published. The show-notes renderer
sanitises again on output.
"""

from __future__ import annotations

import re

import nh3

from . import text

ALLOWED_TAGS = {
    "p", "br", "a", "em", "i", "strong", "b", "u", "ul", "ol", "li", "blockquote",
    "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}}
URL_SCHEMES = {"http", "https", "mailto"}
_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^>]*)?/?>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def sanitise(html_text: str) -> str:
    """The allow-listed part of ``html_text``."""
    return nh3.clean(
        html_text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
    )


def to_markdown(value: str | None) -> str:
    """Markdown for a feed's description: HTML sanitised and converted, plain text kept."""
    value = text.normalize(value)
    if not _HTML.search(value):
        return value
    import markdownify  # with BeautifulSoup: only when there is HTML to convert

    converted = markdownify.markdownify(
        sanitise(value), heading_style="ATX", bullets="-", strip=None, autolinks=True
    )
    return text.normalize(converted)
