"""Deciding "nothing changed" before the build: the stamp of a publish's inputs.

After every successful publish audiofeed records, per destination, a stamp of its inputs
(every file of the show folder by path, size and mtime, the files it used from outside
the folder, audiofeed's own code, the options that shape the output) and the sha256 of
the manifest it published. A later ``audiofeed publish`` whose inputs give the same stamp
asks the destination one question — is the manifest still the one we published? — and,
if so, stops there: for S3 one HEAD of the manifest through the S3 backend (boto3), its
``sha256`` metadata; for a folder a read of the manifest file and a ``stat`` of every file
it lists. Anything unusual (another stamp, another manifest, an error of any kind) means
"not sure", and the full publish runs as always.

The record is keyed by the *request* — the config file, the command-line options and the
environment settings that shape a publish — so the answer needs no parsing of config.toml:
what the config says is covered by the stamp (config.toml is one of the show's files),
and what it resolved to (the destination folder, the S3 settings) is stored with the
record. The CLI asks after click has parsed the command line.

The record lives in ``.audiofeed/published.json``; deleting it only costs the full check.
"""

from __future__ import annotations

import json
import os
from hashlib import sha256
from pathlib import Path
from typing import Any

from ..common.codestamp import code_files
from ..common.paths import RealPaths, inside

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
    "AUDIOFEED_FFMPEG",
)
#: the command-line options of ``publish`` that shape what it publishes, and where
OPTION_KEYS = ("destination", "base_url", "profile", "prune")
TIMEOUT = 5.0


def request_key(config_path: Path, options: dict[str, Any]) -> str:
    """What identifies a publish before config.toml is read: the config file, the options
    that shape the output and the environment settings that change where it goes (never a
    secret)."""
    env = {k: os.environ.get(k, "") for k in ENV_KEYS}
    opts = {k: options.get(k) or None for k in OPTION_KEYS}
    return json.dumps([os.path.realpath(config_path), opts, env], sort_keys=True)


def _tree(root: str, skip: str | None) -> list[Any]:
    """Every file of the show folder by path, size and mtime (the destination folder and
    audiofeed's own state left out)."""
    out: list[Any] = []

    def walk(folder: str, rel: str) -> None:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            name = f"{rel}{entry.name}"
            if not rel and entry.name in SKIP_TOP:
                continue
            if entry.is_dir(follow_symlinks=True):
                if skip is None or os.path.realpath(entry.path) != skip:
                    walk(entry.path, name + "/")
            else:
                try:
                    st = entry.stat(follow_symlinks=True)
                except OSError:
                    out.append([name, None])
                    continue
                out.append([name, st.st_size, st.st_mtime_ns])

    walk(root, "")
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


def inputs_stamp(root: Path, key: str, destination: str, external: list[str]) -> str:
    """A hash of everything a publish (``key``: ``request_key``) is built from."""
    skip = None if destination.startswith("s3://") else os.path.realpath(destination)
    blob = json.dumps(
        [key, _tree(os.path.realpath(root), skip), _external(external), code_files()],
        separators=(",", ":"),
    )
    return sha256(blob.encode()).hexdigest()


def _load(root: Path) -> dict[str, Any]:
    try:
        with open(root / RECORD, "rb") as f:
            data = json.loads(f.read())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save(root: Path, data: dict[str, Any]) -> None:
    from .state import write_atomic

    write_atomic(root / RECORD, json.dumps(data, indent=1, sort_keys=True).encode())


def remember(
    root: Path,
    key: str,
    target: dict[str, Any],
    *,
    manifest: bytes,
    external: list[str],
    lines: list[str],
) -> None:
    """Record a successful publish: the stamp of its inputs, where it went (``target_for``),
    the manifest it left, and what a run that finds nothing to do prints."""
    data = _load(root)
    data[key] = {
        "inputs": inputs_stamp(root, key, target["destination"], external),
        "destination": target["destination"],
        "target": target,
        "manifest_sha256": sha256(manifest).hexdigest(),
        "external": external,
        "lines": lines,
    }
    _save(root, data)


def record_publish(
    config: Any,
    catalog: Any,
    artifacts: list[Any],
    report: Any,
    *,
    destination: str | None = None,
    base_url: str | None = None,
    profile: str | None = None,
    prune: bool = False,
) -> None:
    """After a successful publish with these command-line options: remember it
    (``remember``) with the files it used from outside the show folder and the lines a run
    that finds nothing to do prints. A publish with warnings is forgotten instead: the next
    run must show them again."""
    import dataclasses

    from ..storage import Action, Plan
    from .state import MANIFEST_KEY as manifest_key

    options = {"destination": destination, "base_url": base_url, "profile": profile}
    key = request_key(config.path, {**options, "prune": prune})
    if report.warnings or report.assigned_guids or report.broken:
        forget(config.root, key)
        return
    manifest = next(a for a in artifacts if a.key == manifest_key)
    used = [config.podcast.image, *(a.path for a in artifacts if a.path)]
    for e in catalog.episodes:
        used += [p for p in (e.audio, e.transcript, e.image) if p]
    real = RealPaths()  # each folder resolved once
    root = real.folder(str(config.root))
    resolved = {real.file(str(p.absolute())) for p in used}
    external = sorted(p for p in resolved if not inside(p, root))
    skips = tuple(Action("skip", a.key, a.size, a) for a in artifacts)
    lines = dataclasses.replace(report, plan=Plan(skips), dry_run=False, applied=None).lines()
    target = target_for(config, destination=destination, profile=profile)
    remember(
        config.root,
        key,
        target,
        manifest=manifest.path.read_bytes(),
        external=external,
        lines=lines,
    )


def forget(root: Path, key: str) -> None:
    """Drop the record of ``key`` (a publish with warnings: a no-op must show them)."""
    data = _load(root)
    if data.pop(key, None) is not None:
        _save(root, data)


def nothing_changed(config_path: Path, options: dict[str, Any]) -> list[str] | None:
    """The lines a no-op publish prints, if the inputs and the published manifest are
    exactly as last recorded for this request; else None (run the full publish)."""
    if os.environ.get("AUDIOFEED_FULL_CHECK"):
        return None
    root = config_path.parent
    key = request_key(config_path, options)
    entry = _load(root).get(key)
    if not isinstance(entry, dict):
        return None
    try:
        destination = entry["destination"]
        external = [str(p) for p in entry.get("external", [])]
        if entry.get("inputs") != inputs_stamp(root, key, destination, external):
            return None
        published = _published_sha256(destination, entry.get("target"))
    except Exception:  # anything unexpected: not sure, so do the full check
        return None
    if published is None or published != entry.get("manifest_sha256"):
        return None
    lines = entry.get("lines")
    return [str(x) for x in lines] if isinstance(lines, list) else None


def target_for(
    config: Any, *, destination: str | None = None, profile: str | None = None
) -> dict[str, Any]:
    """Where a publish of ``config`` goes with these command-line overrides, as far as the
    record is concerned (never a secret): a folder is made absolute."""
    pub = config.publish
    dest = destination or pub.destination
    if not dest.startswith("s3://"):
        dest = str((config.root / dest).resolve())
    return {
        "destination": dest,
        "endpoint_url": getattr(pub, "endpoint_url", None),
        "region": getattr(pub, "region", None),
        "addressing_style": getattr(pub, "addressing_style", None),
        "profile": profile or getattr(pub, "profile", None),
    }


def quick_lines(config_path: Path, as_json: bool, options: dict[str, Any]) -> list[str] | None:
    """``nothing_changed`` for the CLI's ``publish`` options: never for --dry-run (it shows
    the real plan), --retag or --json (they want the full run)."""
    if as_json or options.get("dry_run") or options.get("retag"):
        return None
    return nothing_changed(config_path, options)


# -- asking the destination ----------------------------------------------------------------


def _published_sha256(destination: str, target: Any) -> str | None:
    if not destination.startswith("s3://"):
        return _local_manifest_sha256(Path(destination))
    return _s3_manifest_sha256(destination, target)


def _local_manifest_sha256(folder: Path) -> str | None:
    """A folder is cheap to look at: every object the manifest lists must be there with
    its size (someone may have deleted or replaced a file by hand)."""
    base = os.fspath(folder)
    try:
        with open(os.path.join(base, MANIFEST_KEY), "rb") as f:
            data = f.read()
        objects = json.loads(data)["objects"]
        for key, obj in objects.items():
            if key != MANIFEST_KEY and os.stat(os.path.join(base, key)).st_size != obj["size"]:
                return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return sha256(data).hexdigest()


def _s3_manifest_sha256(destination: str, target: Any) -> str | None:
    """The ``sha256`` metadata of the published manifest, by one HEAD through the S3
    backend (boto3), with the settings the record was made with."""
    if not isinstance(target, dict):
        return None
    from ..storage import RemoteSettings
    from ..storage.s3 import S3Backend

    settings = RemoteSettings(
        endpoint_url=target.get("endpoint_url"),
        region=target.get("region"),
        addressing_style=target.get("addressing_style"),
        profile=target.get("profile"),
    )
    found = S3Backend(destination, settings).head(MANIFEST_KEY)
    return found.sha256 if found else None
