"""Session description (Markdown) -> sanitized HTML show notes + plain-text summary. Pure."""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

from .common.safetext import clean_text
from .show.catalog import Episode, Person

__all__ = ["ShowNotes", "clean_text", "markdown_to_html", "markdown_to_text", "render", "sanitize"]

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


#: Markdown digest -> (sanitized HTML, its plain text): what this process rendered (or
#: took from the seed).
_RENDERED: dict[str, tuple[str, str]] = {}
#: The same from a previous run (``seed_cache``), used only where the digest matches.
_SEED: dict[str, tuple[str, str]] = {}


def _digest(markdown: str) -> str:
    return hashlib.blake2b(markdown.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _rendered(markdown: str) -> tuple[str, str]:
    key = _digest(markdown)
    found = _RENDERED.get(key)
    if found is None:
        found = _SEED.get(key)
        if found is None:
            html = sanitize(_markdown().render(clean_text(markdown)))
            found = (html, html_to_text(html))
        _RENDERED[key] = found
    return found


def markdown_to_html(markdown: str) -> str:
    """Markdown (inline HTML allowed) -> sanitized HTML (memoised: the feed, the pages and
    the tags all ask for the same descriptions; a publish seeds it from the last run)."""
    return _rendered(markdown)[0]


def markdown_to_text(markdown: str) -> str:
    """The plain text of ``markdown_to_html(markdown)`` (memoised and seeded the same way)."""
    return _rendered(markdown)[1]


def cache_version() -> str:
    """What the rendered HTML depends on besides the Markdown: library versions and rules."""
    import markdown_it

    rules = json.dumps(
        [
            sorted(ALLOWED_TAGS),
            sorted((k, sorted(v)) for k, v in ALLOWED_ATTRIBUTES.items()),
            sorted(URL_SCHEMES),
        ]
    )
    return f"html+text; markdown-it-py {markdown_it.__version__}; nh3 {nh3.__version__}; {rules}"


def seed_cache(entries: dict[str, list[str]]) -> None:
    """Reuse notes rendered by an earlier run (``{digest: [html, text]}``, same
    ``cache_version``)."""
    _SEED.update(
        (str(k), (str(v[0]), str(v[1])))
        for k, v in entries.items()
        if isinstance(v, list) and len(v) == 2
    )


def cached_html(markdowns: list[str]) -> dict[str, list[str]]:
    """``{digest: [html, text]}`` for these Markdown texts (rendering any not yet rendered),
    to seed the next run with."""
    return {_digest(m): list(_rendered(m)) for m in markdowns}


def html_to_text(fragment: str) -> str:
    """Plain text of sanitized HTML: tags dropped, entities decoded, whitespace folded."""
    text = re.sub(r"\s+", " ", fragment)
    text = re.sub(r"</(p|li|blockquote)>|<br\s*/?>", "\n", text)
    text = html.unescape(nh3.clean(text, tags=set()))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def people_html(episode: Episode) -> str:
    """'Chair: …' and 'Speakers: …' as a list, escaped."""
    return people_html_for(episode.chairs, episode.speakers)


def people_html_for(chairs: tuple[Person, ...], speakers: tuple[Person, ...]) -> str:
    rows = []
    if chairs:
        rows.append(("Chair" if len(chairs) == 1 else "Chairs", chairs))
    if speakers:
        rows.append(("Speaker" if len(speakers) == 1 else "Speakers", speakers))
    if not rows:
        return ""
    items = "".join(
        f"<li><strong>{label}:</strong> {_names(people)}</li>" for label, people in rows
    )
    return f"<ul>{items}</ul>"


def _names(people: tuple[Person, ...]) -> str:
    return ", ".join(html.escape(clean_text(p.label()), quote=False) for p in people)


def render(episode: Episode) -> ShowNotes:
    """Show notes of one episode (memoised: publish asks for them more than once)."""
    return _render(episode.body, episode.title, episode.chairs, episode.speakers)


@lru_cache(maxsize=65536)
def _render(
    body: str, title: str, chairs: tuple[Person, ...], speakers: tuple[Person, ...]
) -> ShowNotes:
    body_html, text = _rendered(body)
    first = next((line for line in text.splitlines() if line.strip()), title)
    # body_html is sanitized already, and the people list is built from escaped names
    # inside allowed tags only: the concatenation needs no second pass
    people = people_html_for(chairs, speakers)
    return ShowNotes(
        html=(body_html + people).strip(),
        summary=truncate(first, SUMMARY_LIMIT),
        text=text,
    )


def truncate(text: str, limit: int) -> str:
    """Cut at a word boundary and add an ellipsis if longer than ``limit`` characters."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.-–— ")
    return cut + "…"
