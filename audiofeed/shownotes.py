"""Session description (Markdown) -> sanitized HTML show notes + plain-text summary. Pure."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

from .catalog import Episode, Person
from .safetext import clean_text

__all__ = ["ShowNotes", "clean_text", "markdown_to_html", "render", "sanitize"]

#: Tags allowed in show notes: Apple's and PSP-1's lists plus a few harmless ones.
ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "a", "strong", "b", "em", "i", "code", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
SUMMARY_LIMIT = 600  # characters of plain text in <description> and the file's comment tag


@dataclass(frozen=True)
class ShowNotes:
    """What the feed and the pages say about one episode."""

    html: str  # sanitized HTML: description + people
    summary: str  # plain text, first paragraph, at most SUMMARY_LIMIT characters
    text: str  # whole description as plain text


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})


def sanitize(fragment: str) -> str:
    """Allow-list sanitizer: no scripts, no event handlers, no javascript: URLs."""
    return nh3.clean(
        clean_text(fragment),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    ).strip()


def markdown_to_html(markdown: str) -> str:
    """Markdown (inline HTML allowed) -> sanitized HTML."""
    return sanitize(_markdown().render(clean_text(markdown)))


def html_to_text(fragment: str) -> str:
    """Plain text of sanitized HTML: tags dropped, entities decoded, whitespace folded."""
    text = re.sub(r"\s+", " ", fragment)
    text = re.sub(r"</(p|li|blockquote)>|<br\s*/?>", "\n", text)
    text = html.unescape(nh3.clean(text, tags=set()))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def people_html(episode: Episode) -> str:
    """'Chair: …' and 'Speakers: …' as a list, escaped."""
    rows = []
    if episode.chairs:
        rows.append(("Chair" if len(episode.chairs) == 1 else "Chairs", episode.chairs))
    if episode.speakers:
        rows.append(("Speaker" if len(episode.speakers) == 1 else "Speakers", episode.speakers))
    if not rows:
        return ""
    items = "".join(
        f"<li><strong>{label}:</strong> {_names(people)}</li>" for label, people in rows
    )
    return f"<ul>{items}</ul>"


def _names(people: tuple[Person, ...]) -> str:
    return ", ".join(html.escape(clean_text(p.label()), quote=False) for p in people)


def render(episode: Episode) -> ShowNotes:
    """Show notes of one episode."""
    body_html = markdown_to_html(episode.body)
    text = html_to_text(body_html)
    first = next((line for line in text.splitlines() if line.strip()), episode.title)
    return ShowNotes(
        html=sanitize(body_html + people_html(episode)),
        summary=truncate(first, SUMMARY_LIMIT),
        text=text,
    )


def truncate(text: str, limit: int) -> str:
    """Cut at a word boundary and add an ellipsis if longer than ``limit`` characters."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.-–— ")
    return cut + "…"
