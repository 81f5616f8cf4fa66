"""Programme text -> the Markdown body of an episode file.

pretalx abstracts are Markdown; frab's are Markdown with inline HTML, sometimes all HTML.
Simple HTML (paragraphs, line breaks, emphasis, links, lists, code, headings) becomes
Markdown so organisers can read and edit the body; other tags are dropped with their
text kept, ``script``/``style`` with their content. The show-notes renderer sanitizes
whatever HTML is left.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

_HTML_TAG = re.compile(
    r"</?(?:p|br|a|em|i|strong|b|u|ul|ol|li|div|span|h[1-6]|code|pre|blockquote|img|hr)\b[^>]*>",
    re.IGNORECASE,
)
_DROP = {"script", "style", "head", "title"}


def normalize(text: str | None) -> str:
    """Unix newlines, no trailing spaces, at most one blank line in a row, no edge space."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def to_markdown(text: str | None, base_url: str | None = None) -> str:
    """Markdown for a programme text: HTML converted (relative links resolved against
    ``base_url``), Markdown and plain text kept."""
    text = normalize(text)
    if not _HTML_TAG.search(text):
        return text
    converter = _Converter(base_url)
    converter.feed(text)
    converter.close()
    return normalize(converter.result())


def body(abstract: str, description: str) -> str:
    """Abstract, then description (unless it repeats the abstract); both Markdown."""
    first, second = normalize(abstract), normalize(description)
    if first and second.startswith(first):
        first = ""
    return "\n\n".join(part for part in (first, second) if part)


def one_line(text: str | None) -> str | None:
    """A title-like value: whitespace collapsed, ``None`` when empty."""
    if text is None:
        return None
    value = " ".join(str(text).split())
    return value or None


class _Converter(HTMLParser):
    def __init__(self, base_url: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.out: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [ordered?, counter]
        self.links: list[str | None] = []
        self.dropping = 0
        self.in_pre = 0

    def result(self) -> str:
        return "".join(self.out)

    def _block_break(self) -> None:
        self.out.append("\n\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v for k, v in attrs if v}
        for key in ("href", "src"):
            if key in a and self.base_url and not urlsplit(a[key]).scheme:
                a[key] = urljoin(self.base_url, a[key])
        if tag in _DROP:
            self.dropping += 1
        elif tag in ("p", "div", "blockquote") or (tag in ("ul", "ol") and not self.lists):
            self._block_break()
            if tag == "blockquote":
                self.out.append("> ")
        if tag in ("ul", "ol"):
            self.lists.append([tag == "ol", 0])
        elif tag == "li":
            depth = max(len(self.lists) - 1, 0)
            marker = "- "
            if self.lists and self.lists[-1][0]:
                self.lists[-1][1] += 1
                marker = f"{self.lists[-1][1]}. "
            self.out.append("\n" + "  " * depth + marker)
        elif tag == "br":
            self.out.append("  \n")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag == "code" and not self.in_pre:
            self.out.append("`")
        elif tag == "pre":
            self.in_pre += 1
            self.out.append("\n\n```\n")
        elif re.fullmatch(r"h[1-6]", tag):
            self._block_break()
            self.out.append("#" * int(tag[1]) + " ")
        elif tag == "a":
            self.links.append(a.get("href"))
            if a.get("href"):
                self.out.append("[")
        elif tag == "img" and a.get("src"):
            self.out.append(f"![{a.get('alt') or ''}]({a['src']})")
        elif tag == "hr":
            self.out.append("\n\n---\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self.dropping = max(self.dropping - 1, 0)
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self._block_break()
        elif tag in ("p", "div", "blockquote") or re.fullmatch(r"h[1-6]", tag):
            self._block_break()
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag == "code" and not self.in_pre:
            self.out.append("`")
        elif tag == "pre":
            self.in_pre = max(self.in_pre - 1, 0)
            self.out.append("\n```\n\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self.out.append(f"]({href})")

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        if self.lists and not data.strip():
            return  # whitespace between list items
        if not self.in_pre:
            data = data.replace("<", "&lt;")
        self.out.append(data)
