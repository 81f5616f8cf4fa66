"""Bad-input corpus, text side: hypothesis mutates config.toml and an episode's front matter
and body (random types, missing keys, huge strings, control characters, invalid UTF-8,
odd dates and time zones). Every case ends in success or clean ``error:`` lines naming the
file, exit 1, the published folder untouched; whatever reaches the feed is well-formed XML
and whatever reaches an archive page is escaped (the pages stay inert).

Deterministic (``derandomize=True``, no example database) so CI sees the same cases.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import tomlkit
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.support.corpus import (
    EPISODE,
    check_outcome,
    examples,
    invoke,
    make_mini_show,
    scratch_copy,
    snapshot,
)

CORPUS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=examples(60),
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- strategies -------------------------------------------------------------------------
CONTROL = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x1F),
    st.sampled_from("\x7f\x85\u2028\u2029\ufeff\ufffe\uffff\u200b\u202e"),
)
WEIRD_TEXT = st.text(alphabet=st.one_of(CONTROL, st.characters()), max_size=40)
HUGE_TEXT = st.builds(
    lambda ch, n: ch * n,
    st.sampled_from(["a", "é", "\x00", "<", "🎙", " ", "word "]),
    st.integers(5_000, 70_000),
)
TRICKY_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\t\n",
        "../config.toml",
        "../../../../etc/passwd",
        "/etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "recordings/../../outside.mp3",
        "<script>alert(1)</script>",
        "]]><x>",
        "&#0;&#x1;",
        "javascript:alert(1)",
        "http://",
        "https://example.org/" + "a" * 3000,
        "cover.jpg",
        "recordings",
        "a" * 81,
        "Ünïcödé ☃",
        "\u202eevil",
        "en-gb",
        "Business > Non-Profit",
        "Day 1",
        "x@y.z",
    ]
)
TEXT = st.one_of(WEIRD_TEXT, HUGE_TEXT, TRICKY_TEXT)
OFFSET = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m))
)
DATES = st.one_of(
    st.datetimes(timezones=OFFSET),  # year 1 .. 9999, any offset
    st.datetimes(),  # naive
    st.datetimes(
        min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=OFFSET
    ),
    st.dates(),
    st.times(),
)
SCALARS = st.one_of(
    TEXT,
    st.integers(),
    st.integers(-3, 3),
    st.floats(),
    st.booleans(),
    DATES,
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=5,
)


def paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a TOML document (dict keys and list indexes), depth first."""
    out = []
    items = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    )
    for k, v in items:
        out.append((*prefix, k))
        out += paths(v, (*prefix, k))
    return out


#: free-text places (any string is valid there): most edits go here, so many cases publish
FREE_CONFIG = [
    ("podcast", "title"),
    ("podcast", "description"),
    ("podcast", "author"),
    ("podcast", "copyright"),
    ("podcast", "owner", "name"),
    ("podcast", "license"),
    ("podcast", "update_frequency"),
    ("podcast", "location", "name"),
    ("feeds", 0, "title"),
]
FREE_EPISODE = [
    ("title",),
    ("subtitle",),
    ("track",),
    ("keywords", 0),
    ("chair", "name"),
    ("chair", "affiliation"),
    ("speakers", 0, "name"),
    ("speakers", 1, "affiliation"),
]


OPS = ["free", "free", "text", "text", "replace", "delete", "add"]


def mutate(data: st.DataObject, doc: dict, free: list[tuple]) -> dict:
    """1-3 random edits: new text in a string (most often) or a new date-time, another value
    of any type, a key deleted, an unknown key added."""
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        places = paths(doc)
        op = data.draw(st.sampled_from(OPS), label="op")
        if op == "free":
            place = data.draw(st.sampled_from(free), label="place")
            try:
                parent = _get(doc, place[:-1])
                parent[place[-1]] = data.draw(TEXT, label="free text")
            except (KeyError, IndexError, TypeError):
                pass  # an earlier edit replaced or removed the table
            continue
        strings = [p for p in places if isinstance(_get(doc, p), str)]
        dates = [p for p in places if isinstance(_get(doc, p), dt.datetime)]
        if op == "text" and (strings or dates):
            place = data.draw(st.sampled_from(strings + dates), label="place")
            new = TEXT if isinstance(_get(doc, place), str) else DATES
            _get(doc, place[:-1])[place[-1]] = data.draw(new, label="value")
            continue
        if op == "add" or not places:
            tables = [()] + [p for p in places if isinstance(_get(doc, p), dict)]
            where = data.draw(st.sampled_from(tables), label="table")
            key = data.draw(st.text(min_size=1, max_size=10), label="new key")
            _get(doc, where)[key] = data.draw(VALUES, label="new value")
            continue
        place = data.draw(st.sampled_from(places), label="place")
        parent = _get(doc, place[:-1])
        if op == "delete" and isinstance(parent, dict):
            del parent[place[-1]]
        else:
            parent[place[-1]] = data.draw(VALUES, label="value")
    return doc


def _get(doc: Any, place: tuple) -> Any:
    for k in place:
        doc = doc[k]
    return doc


# -- fixtures -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_mini_show(tmp_path_factory.mktemp("corpus-text"))


def split_episode(text: str) -> tuple[dict, str]:
    _, head, body = text.split("+++\n", 2)
    return tomllib.loads(head), body


def run_case(show: Path, names: set[str]) -> None:
    before = snapshot(show / "public")
    sources = snapshot(show / "recordings")
    out = invoke(show, "publish")
    event(check_outcome(out, show, before, names))
    assert snapshot(show / "recordings") == sources
    if out.exit_code == 0:
        check_feed_text(show)
        check_pages(show / "public")


def check_inert(doc: Any, where: object, *, site_js: bool = False) -> None:
    """No script (but the site's own file), no event handler attributes, no javascript:
    URLs, no frames or embedded objects in a parsed HTML document or fragment."""
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue  # comments, processing instructions
        tag = el.tag.lower()
        assert tag not in ("iframe", "object", "embed", "frame", "base"), (where, tag)
        if tag == "script":
            assert site_js and (el.get("src") or "").endswith("assets/site.js"), where
            assert not (el.text or "").strip(), (where, el.text)
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (where, tag, name, value)
            if name.lower() in ("href", "src", "action", "formaction", "xlink:href"):
                squashed = "".join(value.split()).lower()
                bad = ("javascript:", "vbscript:", "data:text")
                assert not squashed.startswith(bad), (where, value)


def check_pages(public: Path) -> None:
    """Archive pages stay inert whatever the input."""
    pages = sorted(public.rglob("*.html"))
    assert pages, "no archive pages published"
    for page in pages:
        check_inert(lxml.html.fromstring(page.read_bytes()), page, site_js=True)


def check_feed_text(show: Path) -> None:
    """Show notes in the feed (HTML inside description / content:encoded) stay inert."""
    root = etree.fromstring((show / "public" / "feed.xml").read_bytes())
    for item in root.iter("item"):
        for el in item.iter("description", "{http://purl.org/rss/1.0/modules/content/}encoded"):
            if (el.text or "").strip():
                fragment = lxml.html.fragment_fromstring(el.text, create_parent="div")
                check_inert(fragment, el.text[:200])


# -- tests --------------------------------------------------------------------------------
@CORPUS
@given(data=st.data())
def test_config_corpus(base: Path, data: st.DataObject) -> None:
    doc = mutate(data, tomllib.loads((base / "config.toml").read_text()), FREE_CONFIG)
    with scratch_copy(base) as show:
        (show / "config.toml").write_text(tomlkit.dumps(doc), "utf-8", "surrogatepass")
        run_case(show, {"config.toml", "cover.jpg", "feed.xml", "day1.xml"})


@CORPUS
@given(data=st.data())
def test_front_matter_corpus(base: Path, data: st.DataObject) -> None:
    meta, body = split_episode((base / EPISODE).read_text())
    meta = mutate(data, meta, FREE_EPISODE)
    if data.draw(st.booleans(), label="new body"):
        body = data.draw(st.one_of(TEXT, HOSTILE_BODY), label="body")
    with scratch_copy(base) as show:
        text = f"+++\n{tomlkit.dumps(meta)}+++\n{body}"
        (show / EPISODE).write_text(text, "utf-8", "surrogatepass")  # lone surrogate: bad UTF-8
        run_case(show, {Path(EPISODE).name})


HOSTILE_BODY = st.lists(
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '<img src=x onerror="alert(1)">',
            "[click](javascript:alert(1))",
            "<a href='javascript:alert(1)'>x</a>",
            "]]>",
            "<![CDATA[",
            "\x00\x01\x1b[31m",
            "&#0; &#xD800; &bogus;",
            "<!-- unterminated",
            "<svg><script>alert(1)</script></svg>",
            "\u2028\u2029\ufffe",
            "# heading\n\n* list\n\n> quote",
            "<iframe src='https://evil.example'></iframe>",
            "<style>body{display:none}</style>",
        ]
    ),
    min_size=1,
    max_size=6,
).map("\n\n".join)

BYTE_JUNK = st.sampled_from(
    [b"\xff", b"\xfe\xff", b"\xed\xa0\x80", b"\xc0\x80", b"\x80", b"\xf4\x90\x80\x80", b"\x00"]
)


@CORPUS
@given(
    which=st.sampled_from(["config.toml", EPISODE]),
    where=st.floats(0, 1),
    junk=BYTE_JUNK,
    cut=st.booleans(),
)
def test_raw_bytes_corpus(base: Path, which: str, where: float, junk: bytes, cut: bool) -> None:
    """Invalid UTF-8 (and truncation) anywhere in config.toml or an episode file."""
    with scratch_copy(base) as show:
        path = show / which
        raw = path.read_bytes()
        at = int(len(raw) * where)
        path.write_bytes(raw[:at] + junk + (b"" if cut else raw[at:]))
        run_case(show, {Path(which).name})
