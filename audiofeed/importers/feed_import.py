"""``import feed``: an existing podcast's RSS feed -> config.toml, one episode file per item
and the recordings (plus art, transcripts, chapters) in ``recordings/``.

Everything is read and checked first; a feed with an error writes nothing. Then the
missing files are fetched (``download``), then the episode files of the items whose
recording is in place are written, then config.toml. A re-run fetches only what is
missing and keeps every hand edit (``merge``), like ``import schedule``.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..show import frontmatter
from . import download, feed_config, feed_map, feed_rss
from .episodes import EpisodeFile, Folder, write_atomic
from .merge import fingerprint, merge_values, new_from_values
from .model import ScheduleError, slugify
from .schedule import Change

DEFAULT_MAX_BYTES = 2_000_000_000  # 2 GB: more than any talk recording needs


@dataclass
class FeedReport:
    """What ``import feed`` did (or, with ``dry_run``, would do)."""

    source: str
    items: int
    dry_run: bool
    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fetch: list[download.Job] = field(default_factory=list)
    fetched: list[download.Outcome] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # episodes not written: recording missing
    gone: list[str] = field(default_factory=list)  # imported before, not in the feed now

    @property
    def failed(self) -> list[download.Outcome]:
        return [o for o in self.fetched if not o.ok]

    def problems(self) -> list[Problem]:
        """Failed downloads as error lines (the import exits non-zero with them)."""
        return [Problem(Path(o.job.label), "download", o.error or "failed") for o in self.failed]

    def lines(self) -> list[str]:
        out = [f"warning: {w}" for w in self.warnings]
        for change in self.changes:
            out.append(f"{change.action} {change.path}: {change.title}")
            if change.action == "update":
                out.extend(change.diff())
        out.extend(f"keep {line}" for line in self.kept)
        if self.dry_run:
            out.extend(f"fetch {job.label} <- {job.url}" for job in self.fetch)
        out.extend(f"note: {o.job.label}: {o.note}" for o in self.fetched if o.ok and o.note)
        out.extend(f"hold {line}" for line in self.held)
        out.extend(f"note: {line}" for line in self.gone)
        created = sum(c.action == "create" and c.path.startswith("episodes/") for c in self.changes)
        updated = sum(c.action == "update" and c.path.startswith("episodes/") for c in self.changes)
        ok = [o for o in self.fetched if o.ok]
        files = (
            f"{len(self.fetch)} files to fetch"
            if self.dry_run
            else f"{len(ok)} files fetched ({download.human(sum(o.size for o in ok))}), "
            f"{len(self.failed)} failed"
        )
        summary = (
            f"{self.source}: {self.items} items: {created} created, {updated} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.kept)} hand edits kept; {files}"
        )
        out.append(summary + (" (dry run: nothing written)" if self.dry_run else ""))
        return out


@dataclass
class _Plan:
    item: feed_rss.Item
    existing: EpisodeFile | None
    slug: str
    targets: dict[str, tuple[str, str]]  # field -> (url, relative path)


def read_source(source: str) -> tuple[bytes, str | None, str]:
    """(document bytes, the feed's URL if known, how lines name it)."""
    if re.match(r"^https?://", source, re.IGNORECASE):
        request = urllib.request.Request(source, headers={"User-Agent": download.USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=download.TIMEOUT) as response:
                data = response.read(feed_rss.MAX_FEED_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise ScheduleError(f"HTTP {exc.code}; check the feed URL", field=source) from None
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise ScheduleError(f"cannot fetch ({reason})", field=source) from None
        return data, source, source
    path = Path(source)
    try:
        return path.read_bytes(), None, path.name
    except OSError as exc:
        raise ScheduleError(f"cannot read: {exc.strerror}", path=path) from None


def import_feed(
    show_dir: Path,
    source: str,
    *,
    dry_run: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    workers: int = download.WORKERS,
) -> FeedReport:
    """Import the feed at ``source`` (URL or file) into the show at ``show_dir``.

    Raises :class:`ScheduleError` listing every problem before anything is written.
    Failed downloads do not raise: they are in ``report.failed``."""
    show_dir = Path(show_dir)
    config_path = show_dir / "config.toml"
    if not config_path.is_file():
        raise ScheduleError("not found; run 'audiofeed init DIR' first", path=config_path)
    data, feed_url, label = read_source(source)
    try:
        feed = feed_rss.parse(data, feed_url, label)
    except feed_rss.FeedSyntaxError as exc:
        where = f"{label}: {exc.field}" if feed_url else exc.field
        raise ScheduleError(
            f"{exc}; the feed cannot be imported",
            path=None if feed_url else Path(source),
            field=where,
        ) from None
    if (feed.channel.generator or "").startswith("audiofeed"):
        raise ScheduleError(
            "this feed was made by audiofeed (does the old URL already redirect here?); "
            "import the old host's feed before the move",
            path=None if feed_url else Path(source),
            field=label if feed_url else None,
        )
    old_url = feed_url or feed.channel.new_feed_url or feed.channel.self_url
    folder = Folder(show_dir)
    folder.names.add("cover")  # recordings/cover.jpg is the show's art, not an episode's
    problems = list(feed.problems)
    plans = []
    for item in feed.items:
        if feed_map.audio_suffix(item) is None:
            problems.append(
                Problem(
                    None,
                    f"{label}: {item.label()}: enclosure",
                    f"type {item.enclosure_type!r} of {item.enclosure_url} is not audio "
                    "audiofeed can publish (mp3, m4a, aac, ogg, opus, flac, wav)",
                )
            )
            continue
        existing = folder.find(item.guid, ("feed", item.guid))
        name = slugify(item.title, max_length=70) or "episode"
        slug = _slug(existing) or folder.free_name(name, None)
        plans.append(_Plan(item, existing, slug, feed_map.file_targets(item, slug)))
    if problems:
        raise ScheduleError.collect(problems)
    report = FeedReport(source=label, items=len(feed.items), dry_run=dry_run)
    report.warnings.extend(feed.warnings)
    guids = {item.guid.lower() for item in feed.items}
    for episode in folder.files:
        key = episode.source_key()
        if key and key[0] == "feed" and (episode.guid or "").lower() not in guids:
            where = folder.relative(episode.path)
            report.gone.append(f"{where}: not in this feed (file left as is)")

    # what to fetch: each file a (merged) episode will point at that is not here yet
    jobs: list[download.Job] = []
    for plan in plans:
        merged_meta = _merge(plan, feed, old_url, show_dir, files_ok=None)[0].meta
        for key, (url, rel) in plan.targets.items():
            wanted = key == "chapters" or merged_meta.get(key) == rel
            if wanted and not (show_dir / rel).is_file():
                expected = plan.item.enclosure_length if key == "audio" else None
                jobs.append(download.Job(url, show_dir / rel, rel, expected, max_bytes))
    cover = _cover_target(feed.channel)
    if cover and not (show_dir / cover[1]).is_file():
        jobs.append(download.Job(cover[0], show_dir / cover[1], cover[1], None, max_bytes))
    report.fetch = jobs
    if not dry_run:
        report.fetched = download.download_all(jobs, workers=workers)
    failed = {o.job.label for o in report.fetched if not o.ok}

    for plan in plans:
        merged, body_changed = _merge(plan, feed, old_url, show_dir, files_ok=failed)
        audio = plan.targets["audio"][1]
        if audio in failed:  # fetched for this episode and failed: no file without it
            report.held.append(
                f"{plan.item.label()}: no episode file until {audio} is fetched; "
                "run the import again"
            )
            continue
        _record_change(report, plan, merged, body_changed, folder)

    report.warnings.extend(w for w in dict.fromkeys(feed.warnings) if w not in report.warnings)
    image = cover[1] if cover and (dry_run or (show_dir / cover[1]).is_file()) else None
    channel_warnings: list[str] = []
    values = feed_map.channel_values(feed.channel, feed.items, old_url, image, channel_warnings)
    report.warnings.extend(f"config.toml: {w}" for w in channel_warnings)
    update = feed_config.update(config_path, values, feed_map.CONFIG_MANAGED, old_url or label)
    report.kept.extend(f"config.toml: {line}" for line in update.kept)
    if update.changed:
        first = "[imported]" not in update.old
        what = "the show's settings" + (" (first import)" if first else "")
        report.changes.append(Change("config.toml", "update", what, update.old, update.new))
    if not dry_run:
        for change in report.changes:
            write_atomic(show_dir / change.path, change.new)
    return report


def _slug(existing: EpisodeFile | None) -> str | None:
    if existing is None:
        return None
    value = existing.meta.get("slug")
    return str(value) if value else existing.path.stem


def _cover_target(channel: feed_rss.Channel) -> tuple[str, str] | None:
    if not channel.image_url:
        return None
    suffix = feed_map.image_suffix(channel.image_url)
    return channel.image_url, f"{feed_map.RECORDINGS}/cover{suffix}"


def _merge(
    plan: _Plan, feed: feed_rss.Feed, old_url: str | None, show_dir: Path, files_ok: set[str] | None
) -> tuple[Any, bool]:
    """The merged episode for ``plan``; ``files_ok`` None: assume every file arrives, else
    the labels of the files that failed (left out of the front matter)."""
    files = {
        key: rel
        for key, (_, rel) in plan.targets.items()
        if key != "chapters" and (files_ok is None or rel not in files_ok)
    }
    chapters = None
    if "chapters" in plan.targets:
        path = show_dir / plan.targets["chapters"][1]
        if path.is_file():
            chapters = feed_map.chapters_from_json(path.read_bytes())
            if chapters is None:
                feed.warnings.append(f"{path.name}: not a Podcasting 2.0 chapters file; left out")
    values = feed_map.episode_values(plan.item, feed.channel, old_url, files, chapters)
    body = feed_map.episode_body(plan.item)
    if plan.existing is None:
        return new_from_values(values, body, plan.item.guid, plan.slug, feed_map.MANAGED), True
    merged = merge_values(
        plan.existing.meta, plan.existing.body, values, body, feed_map.MANAGED, source="feed"
    )
    return merged, merged.body.strip() != plan.existing.body.strip()


def _record_change(
    report: FeedReport, plan: _Plan, merged: Any, body_changed: bool, folder: Folder
) -> None:
    title = f"'{plan.item.title}' ({plan.item.start.date().isoformat()})"
    text = frontmatter.render(merged.meta, merged.body)
    if plan.existing is None:
        path = f"{folder.dir.name}/{plan.slug}.md"
        report.changes.append(Change(path, "create", title, None, text))
        return
    path = folder.relative(plan.existing.path)
    report.kept.extend(f"{path}: {line}" for line in merged.kept)
    if fingerprint(plan.existing.meta) == fingerprint(merged.meta) and not body_changed:
        report.unchanged.append(path)
        return
    report.changes.append(Change(path, "update", title, plan.existing.text, text))
