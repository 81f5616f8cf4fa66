"""Deciding "nothing changed" cheaply, before the heavy imports (boto3, feedgen, mutagen …).

After every successful publish audiofeed records, per destination, a stamp of its inputs
(every file of the show folder by path, size and mtime, the files it used from outside
the folder, audiofeed's own code, the options that shape the output) and the sha256 of
the manifest it published. A later ``audiofeed publish`` whose inputs give the same stamp
asks the destination one question — is the manifest still the one we published? — and,
if so, stops there: for S3 a single signed HEAD of the manifest over ``http.client``
(its ``x-amz-meta-sha256``), for a folder a read of the manifest file. Anything unusual
(another stamp, another manifest, credentials only boto3 can find, an error of any kind)
means "not sure", and the full publish runs as always.

The record lives in ``.audiofeed/published.json``; deleting it only costs the full check.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORD = Path(".audiofeed") / "published.json"
MANIFEST_KEY = ".audiofeed/manifest.json"
SKIP_TOP = {".audiofeed", ".git", ".hg", ".svn", "__pycache__", ".pytest_cache"}
#: settings from the environment that change where or how a publish goes
ENV_KEYS = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AUDIOFEED_S3_MAX_BANDWIDTH",
)
TIMEOUT = 5.0


@dataclass(frozen=True)
class Target:
    """Where a publish goes, as far as the record is concerned (never a secret)."""

    destination: str  # "s3://bucket/prefix" or a folder (absolute)
    base_url: str
    endpoint_url: str | None = None
    region: str | None = None
    addressing_style: str | None = None
    profile: str | None = None
    prune: bool = False

    def key(self) -> str:
        env = {k: os.environ.get(k, "") for k in ENV_KEYS}
        return json.dumps([self.__dict__, env], sort_keys=True, default=str)


def _code_stamp() -> list[Any]:
    """audiofeed's own code: an upgrade or a local edit changes what a build produces."""
    here = Path(__file__).resolve().parent
    out = []
    for dirpath, dirnames, filenames in os.walk(here):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if not name.endswith((".pyc", ".pyo")):
                st = os.stat(os.path.join(dirpath, name))
                out.append(
                    [os.path.relpath(os.path.join(dirpath, name), here), st.st_size, st.st_mtime_ns]
                )
    return out


def _tree(root: Path, skip: set[Path]) -> list[Any]:
    out: list[Any] = []

    def walk(folder: str, rel: str) -> None:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            name = f"{rel}{entry.name}"
            if not rel and entry.name in SKIP_TOP:
                continue
            if entry.is_dir(follow_symlinks=True):
                if Path(entry.path).resolve() not in skip:
                    walk(entry.path, name + "/")
            else:
                try:
                    st = entry.stat(follow_symlinks=True)
                except OSError:
                    out.append([name, None])
                    continue
                out.append([name, st.st_size, st.st_mtime_ns])

    walk(str(root), "")
    return out


def _external(paths: list[str]) -> list[Any]:
    out: list[Any] = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append([p, st.st_size, st.st_mtime_ns])
        except OSError:
            out.append([p, None])
    return out


def inputs_stamp(root: Path, target: Target, external: list[str]) -> str:
    """A hash of everything a publish to ``target`` is built from."""
    skip = set()
    if not target.destination.startswith("s3://"):
        skip.add(Path(target.destination).resolve())
    blob = json.dumps(
        [target.key(), _tree(root.resolve(), skip), _external(external), _code_stamp()],
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _load(root: Path) -> dict[str, Any]:
    try:
        data = json.loads((root / RECORD).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def remember(
    root: Path,
    target: Target,
    *,
    manifest: bytes,
    external: list[str],
    lines: list[str],
) -> None:
    """Record a successful publish: the stamp of its inputs, the manifest it left, and
    what a run that finds nothing to do prints."""
    from .state import write_atomic

    data = _load(root)
    data[target.key()] = {
        "inputs": inputs_stamp(root, target, external),
        "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
        "external": external,
        "lines": lines,
    }
    write_atomic(root / RECORD, json.dumps(data, indent=1, sort_keys=True).encode())


def record_publish(
    config: Any,
    catalog: Any,
    artifacts: list[Any],
    report: Any,
    *,
    destination: str | None = None,
    profile: str | None = None,
    prune: bool = False,
) -> None:
    """After a successful publish: remember it (``remember``) with the files it used from
    outside the show folder and the lines a run that finds nothing to do prints. A publish
    with warnings is forgotten instead: the next run must show them again."""
    import dataclasses

    from .state import MANIFEST_KEY as manifest_key
    from .storage import Action, Plan

    target = target_for(config, destination=destination, profile=profile, prune=prune)
    if report.warnings or report.assigned_guids:
        forget(config.root, target)
        return
    manifest = next(a for a in artifacts if a.key == manifest_key)
    used = [config.podcast.image, *(a.path for a in artifacts if a.path)]
    for e in catalog.episodes:
        used += [p for p in (e.audio, e.transcript, e.image) if p]
    root = config.root.resolve()
    external = sorted({str(p.resolve()) for p in used if not p.resolve().is_relative_to(root)})
    skips = tuple(Action("skip", a.key, a.size, a) for a in artifacts)
    lines = dataclasses.replace(report, plan=Plan(skips), dry_run=False, applied=None).lines()
    remember(
        config.root, target, manifest=manifest.path.read_bytes(), external=external, lines=lines
    )


def forget(root: Path, target: Target) -> None:
    """Drop the record of ``target`` (a publish with warnings: a no-op must show them)."""
    data = _load(root)
    if data.pop(target.key(), None) is not None:
        from .state import write_atomic

        write_atomic(root / RECORD, json.dumps(data, indent=1, sort_keys=True).encode())


def nothing_changed(root: Path, target: Target) -> list[str] | None:
    """The lines a no-op publish prints, if the inputs and the published manifest are
    exactly as last recorded; else None (run the full publish)."""
    if os.environ.get("AUDIOFEED_FULL_CHECK"):
        return None
    entry = _load(root).get(target.key())
    if not isinstance(entry, dict):
        return None
    try:
        if entry.get("inputs") != inputs_stamp(root, target, list(entry.get("external", []))):
            return None
        published = _published_sha256(target)
    except Exception:  # anything unexpected: not sure, so do the full check
        return None
    if published is None or published != entry.get("manifest_sha256"):
        return None
    lines = entry.get("lines")
    return [str(x) for x in lines] if isinstance(lines, list) else None


def target_for(
    config: Any,
    *,
    destination: str | None = None,
    base_url: str | None = None,
    profile: str | None = None,
    prune: bool = False,
) -> Target:
    """The record key of a publish of ``config`` with these command-line overrides."""
    pub = config.publish
    dest = destination or pub.destination
    if not dest.startswith("s3://"):
        dest = str((config.root / dest).resolve())
    return Target(
        destination=dest,
        base_url=(base_url.rstrip("/") + "/") if base_url else pub.base_url,
        endpoint_url=getattr(pub, "endpoint_url", None),
        region=getattr(pub, "region", None),
        addressing_style=getattr(pub, "addressing_style", None),
        profile=profile or getattr(pub, "profile", None),
        prune=prune,
    )


def check(
    config_path: Path,
    *,
    destination: str | None = None,
    base_url: str | None = None,
    profile: str | None = None,
    prune: bool = False,
    **_other_options: Any,
) -> list[str] | None:
    """``nothing_changed`` for ``audiofeed publish``, from the config file (cheap: no SDK,
    no feed, no media libraries are imported)."""
    from . import config as config_mod

    try:
        config = config_mod.load(config_path)
    except Exception:  # the full publish reports it properly
        return None
    target = target_for(
        config, destination=destination, base_url=base_url, profile=profile, prune=prune
    )
    return nothing_changed(config.root, target)


def quick_lines(config_path: Path, as_json: bool, options: dict[str, Any]) -> list[str] | None:
    """``check`` for the CLI's ``publish`` options: never for --dry-run (it shows the real
    plan), --retag or --json (they want the full run)."""
    if as_json or options.get("dry_run") or options.get("retag"):
        return None
    return check(config_path, **options)


# -- asking the destination ----------------------------------------------------------------


def _published_sha256(target: Target) -> str | None:
    if not target.destination.startswith("s3://"):
        return _local_manifest_sha256(Path(target.destination))
    return _s3_manifest_sha256(target)


def _local_manifest_sha256(folder: Path) -> str | None:
    """A folder is cheap to look at: every object the manifest lists must be there with
    its size (someone may have deleted or replaced a file by hand)."""
    try:
        data = (folder / MANIFEST_KEY).read_bytes()
        objects = json.loads(data)["objects"]
        for key, obj in objects.items():
            if key != MANIFEST_KEY and (folder / key).stat().st_size != obj["size"]:
                return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return hashlib.sha256(data).hexdigest()


def _s3_manifest_sha256(target: Target) -> str | None:
    """``x-amz-meta-sha256`` of the published manifest by one SigV4-signed HEAD, where the
    environment says everything (static keys, an endpoint or a region): else not sure."""
    from .storage import sigv4

    creds = sigv4.env_credentials(target.profile)
    rest = target.destination[len("s3://") :]
    bucket, _, prefix = rest.partition("/")
    prefix = "/".join(p for p in prefix.split("/") if p)
    where = sigv4.bucket_location(
        bucket, target.endpoint_url, target.region, target.addressing_style
    )
    if creds is None or where is None:
        return None
    root, region = where
    key = f"{prefix}/{MANIFEST_KEY}" if prefix else MANIFEST_KEY
    session = sigv4.Session(timeout=TIMEOUT)
    try:
        status, found = session.head(sigv4.object_location(root, key), region, creds)
    finally:
        session.close()
    return found.get("x-amz-meta-sha256") if status == 200 else None
