"""Small pieces of the importers: HTML -> Markdown, cancellation markers, slugs, flags."""

from __future__ import annotations

import pytest

from audiofeed.importers.merge import fingerprint
from audiofeed.importers.model import looks_cancelled, slugify, truthy
from audiofeed.importers.text import body, to_markdown


def test_markdown_and_plain_text_are_kept_with_clean_newlines():
    assert to_markdown("One\r\n\r\n\r\n**Two**  \r\n- three") == "One\n\n**Two**\n- three"
    assert to_markdown(None) == ""


def test_simple_html_becomes_markdown():
    html = (
        "<p>Hello <b>bold</b> and <i>italic</i>, <code>x = 1</code>.</p>\n"
        '<ol><li>one</li><li><a href="/talk/2">two</a></li></ol>'
        "<script>alert(1)</script><p>a&lt;b &amp; c<br>d</p>"
    )
    assert to_markdown(html, "https://example.org/conf/").splitlines() == [
        "Hello **bold** and *italic*, `x = 1`.",
        "",
        "1. one",
        "2. [two](https://example.org/talk/2)",
        "",
        "a&lt;b & c",
        "d",
    ]


def test_markdown_with_inline_html_keeps_paragraphs():
    text = 'First <a href="https://a.example">link</a>.\r\n\r\nSecond paragraph <em>here</em>.'
    assert to_markdown(text) == "First [link](https://a.example).\n\nSecond paragraph *here*."


def test_body_joins_abstract_and_description_without_repeating():
    assert body("Short.", "Long.") == "Short.\n\nLong."
    assert body("Short.", "Short. And more.") == "Short. And more."
    assert body("", "") == ""


@pytest.mark.parametrize(
    "title",
    [
        "[CANCELLED] Talk",
        "Cancelled: Talk",
        "CANCELED - Talk",
        "(abgesagt) Vortrag",
        "ABGESAGT: Vortrag",
        "Entfällt: Vortrag",
        "Talk (cancelled)",
        "Talk [withdrawn]",
    ],
)
def test_cancellation_markers(title):
    assert looks_cancelled(title)


@pytest.mark.parametrize(
    "title", ["Cancel culture", "Cancelled flights and GDPR", "How we cancelled our cloud"]
)
def test_titles_about_cancelling_are_not_cancelled(title):
    assert not looks_cancelled(title)


def test_cancelled_state():
    assert looks_cancelled("Talk", "canceled")
    assert looks_cancelled("Talk", "Withdrawn")
    assert not looks_cancelled("Talk", "confirmed")


def test_slugify():
    assert slugify("Camp2019-10386-opening_ceremony") == "camp2019-10386-opening-ceremony"
    assert slugify("Zoë's Ångström talk!") == "zoes-angstrom-talk"
    assert slugify("山田太郎") == ""


def test_truthy():
    assert truthy(True) and truthy("yes") and truthy("X") and truthy(1)
    assert not truthy(None) and not truthy("") and not truthy("no") and not truthy(False)
    with pytest.raises(ValueError):
        truthy("maybe")


def test_fingerprint_treats_empty_as_absent_and_is_stable():
    assert fingerprint("") == fingerprint(None) == fingerprint([])
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    assert len(fingerprint("x")) == 12
