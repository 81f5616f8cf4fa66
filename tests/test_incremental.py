"""A republish does only the work its changes need, and publishes exactly what a build
from scratch would:

- archive pages are rendered again only when something they are made from changed (the
  session, its neighbours, the show, the templates, audiofeed itself), and so are the
  index's session entries; a page file in the build folder that someone changed is
  rendered again;
- episode files are parsed again only when their bytes changed; the memo gives back the
  very same episodes (dates and zones included);
- feed items that passed every rule before are still checked against the other items.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lxml import etree

from audiofeed import rules, site
from audiofeed.common.memo import Recall
from audiofeed.publish import pipeline as publish
from audiofeed.show import frontmatter
from audiofeed.site.render import Templates
from tests.support.cli import run
from tests.support.show import copy_demo_show, tree_snapshot


def _publish(show: Path, *args: str) -> None:
    run("publish", *args, cwd=show, check=True)


def _pages(show: Path) -> dict[str, tuple[bytes, int]]:
    return tree_snapshot(show / ".audiofeed" / "build" / "episodes")


def _without_memos(show: Path, tmp_path: Path) -> dict[str, bytes]:
    """What the show publishes when its pages, notes, parsed files and checked items are
    all made again (same tagged copies: a description change does not re-tag)."""
    fresh = tmp_path / "fresh"
    shutil.copytree(show, fresh)
    for name in ("pages.json", "index.json", "parsed.json", "rules.json", "notes.json"):
        (fresh / ".audiofeed" / name).unlink()
    shutil.rmtree(fresh / ".audiofeed" / "build" / "episodes")
    run("publish", cwd=fresh, check=True, env={"AUDIOFEED_FULL_CHECK": "1"})
    return {k: v[0] for k, v in tree_snapshot(fresh / "public").items()}


def _published(show: Path) -> dict[str, bytes]:
    return {k: v[0] for k, v in tree_snapshot(show / "public").items()}


def test_only_the_pages_a_change_touches_are_rendered_again(
    show: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _publish(show)
    before = _pages(show)
    rendered: list[str] = []
    entries: list[str] = []
    real, real_text = Templates.render, Templates.text

    def counting(self: Templates, name: str, **context: object) -> bytes:
        rendered.append(str(context["canonical"]).rsplit("/", 1)[-1])
        return real(self, name, **context)

    def counting_text(self: Templates, name: str, **context: object) -> str:
        if name == "_session_entry.html":
            entries.append(context["s"].key)  # type: ignore[attr-defined]
        return real_text(self, name, **context)

    monkeypatch.setattr(Templates, "render", counting)
    monkeypatch.setattr(Templates, "text", counting_text)
    publish.publish(show / "config.toml")
    assert rendered == []  # nothing changed: nothing rendered
    episode = show / "episodes" / "03-keynote-power.md"
    episode.write_text(episode.read_text() + "\nA closing line added after the event.\n")
    publish.publish(show / "config.toml")
    # the session's page, the pages linking to it as previous / next, and the index
    assert sorted(rendered) == [
        "impact-bond-model.html",
        "index.html",
        "keynote-power.html",
        "public-procurement.html",
    ]
    assert entries == ["episodes/keynote-power.html"]  # the index reused the other entries
    after = _pages(show)
    rewritten = {name for name in before if after[name][1] != before[name][1]}
    assert rewritten == {"keynote-power.html"}  # the neighbours' bytes did not change
    assert "A closing line added after the event." in after["keynote-power.html"][0].decode()
    assert _published(show) == _without_memos(show, tmp_path)


def test_a_template_override_renders_every_page_again(show: Path) -> None:
    _publish(show)
    before = _pages(show)
    (show / "templates").mkdir()
    base = Path(site.__file__).parent / "templates" / "base.html"
    text = base.read_text().replace("</body>", "<!-- organiser's footer -->\n</body>")
    (show / "templates" / "base.html").write_text(text)
    _publish(show)
    after = _pages(show)
    assert after.keys() == before.keys()
    assert all(b"organiser's footer" in data for data, _ in after.values())


def test_a_page_changed_in_the_build_folder_is_rendered_again(show: Path, tmp_path: Path) -> None:
    _publish(show)
    page = show / ".audiofeed" / "build" / "episodes" / "keynote-power.html"
    good = page.read_bytes()
    page.write_bytes(good.replace(b"Keynote", b"Tampered"))
    run("publish", cwd=show, check=True, env={"AUDIOFEED_FULL_CHECK": "1"})
    assert page.read_bytes() == good
    assert (show / "public" / "episodes" / "keynote-power.html").read_bytes() == good


def test_parsed_episodes_come_back_identical(show: Path) -> None:
    _, first = publish.load_show(show / "config.toml")
    memo = json.loads((show / ".audiofeed" / "parsed.json").read_text())
    assert len(memo["entries"]) == len(first.episodes) == 6
    _, second = publish.load_show(show / "config.toml")  # every file from the memo
    assert second.episodes == first.episodes
    assert [e.start.utcoffset() for e in second.episodes] == [
        e.start.utcoffset() for e in first.episodes
    ]


def test_a_parse_memo_of_another_version_is_ignored(show: Path) -> None:
    publish.load_show(show / "config.toml")
    path = show / ".audiofeed" / "parsed.json"
    memo = json.loads(path.read_text())
    stale = {k: [{"title": "stale", "start": "x"}, "stale body"] for k in memo["entries"]}
    path.write_text(json.dumps({"version": "another audiofeed", "entries": stale}))
    _, catalog = publish.load_show(show / "config.toml")
    assert "stale" not in {e.title for e in catalog.episodes}


def test_parse_memo_keeps_toml_dates_and_times(tmp_path: Path) -> None:
    path = tmp_path / "e.md"
    path.write_text(
        '+++\ntitle = "T"\nstart = 2022-09-08T09:30:00.250+01:00\nday = 2022-09-08\n'
        "at = 09:30:00\nlocal = 2022-09-08T09:30:00\nnested = [{when = 2020-01-01}]\n+++\nBody\r\n"
    )
    memo = Recall()
    fresh = frontmatter.read(path, memo)
    again = frontmatter.read(path, Recall(json.loads(json.dumps(memo.after))))
    assert again == fresh == frontmatter.read(path)
    assert type(again.meta["day"]) is type(fresh.meta["day"])


def _feed(show: Path) -> bytes:
    _publish(show)
    return (show / "public" / "feed.xml").read_bytes()


def test_remembered_items_are_still_checked_against_the_others(tmp_path: Path) -> None:
    data = _feed(copy_demo_show(tmp_path))
    memo = Recall()
    assert rules.check_feed("feed.xml", data, memo) == rules.check_feed("feed.xml", data)
    assert len(memo.after) == 6  # every item passed
    # the same items twice: each copy passed before on its own, together they clash
    root = etree.fromstring(data)
    channel = root.find("channel")
    for item in list(channel.findall("item"))[:2]:
        channel.append(etree.fromstring(etree.tostring(item)))
    doubled = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    fresh = rules.check_feed("feed.xml", doubled)
    remembered = rules.check_feed("feed.xml", doubled, Recall(memo.after))
    assert remembered == fresh
    assert {p.field for p in fresh if p.severity == "error"} == {"IT-03", "ENC-01"}


def test_an_item_with_a_problem_is_not_remembered(tmp_path: Path) -> None:
    data = _feed(copy_demo_show(tmp_path))
    root = etree.fromstring(data)
    enclosure = root.find("channel/item/enclosure")
    enclosure.set("type", "audio/flac")
    broken = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    memo = Recall()
    problems = rules.check_feed("feed.xml", broken, memo)
    assert [p.field for p in problems if p.severity == "error"] == ["ENC-03"]
    assert len(memo.after) == 5
    assert rules.check_feed("feed.xml", broken, Recall(memo.after)) == problems


def test_publish_leaves_the_garbage_collector_as_it_found_it(show: Path) -> None:
    import gc

    before = gc.get_threshold()
    publish.publish(show / "config.toml")
    assert gc.get_threshold() == before
