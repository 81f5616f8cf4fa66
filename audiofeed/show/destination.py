"""The destination part of ``[publish]`` in config.toml: a folder or ``s3://BUCKET/PREFIX``
and how to reach object storage. Validated here; credentials are refused, never echoed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..common.paths import RealPaths, inside

#: optional [publish] keys for s3:// destinations (None: the SDK's standard chain decides)
STORAGE_KEYS = ("endpoint_url", "region", "addressing_style", "acl", "storage_class", "profile")
ADDRESSING_STYLES = ("auto", "path", "virtual")
ACLS = ("public-read", "private")
S3_DESTINATION_RE = re.compile(r"^s3://[A-Za-z0-9][A-Za-z0-9._-]{2,254}(/[^\s]*)?$")
SECRET_KEY_RE = re.compile(r"secret|access_key|key_id|password|token|credential", re.IGNORECASE)
NO_SECRETS = (
    "credentials never go in config.toml; remove it and use the environment "
    "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or a shared profile (publish.profile, --profile)"
)


def is_secret_key(key: str) -> bool:
    """A key that looks like a credential (reported as such, not as an unknown key)."""
    return bool(SECRET_KEY_RE.search(key))


def storage_settings(
    pub: dict[str, Any], destination: str
) -> tuple[dict[str, str | None], list[tuple[str, str]]]:
    """The storage keys of a ``[publish]`` table and every problem as (field, message)."""
    p = "publish."
    problems = [(p + key, NO_SECRETS) for key in sorted(pub) if is_secret_key(key)]
    if "://" in destination and not S3_DESTINATION_RE.match(destination):
        problems.append(
            (
                p + "destination",
                f"{destination!r}: use a folder such as 'public' or s3://BUCKET/PREFIX "
                "(bucket names: 3 or more letters, digits, '.', '-', '_')",
            )
        )
    values: dict[str, str | None] = {}
    for key in STORAGE_KEYS:
        value = pub.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append((p + key, "must be a non-empty string"))
            value = None
        values[key] = value.strip() if value else None
    endpoint = values["endpoint_url"]
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(
                (
                    p + "endpoint_url",
                    "must be an absolute http(s) URL such as https://s3.example.com",
                )
            )
        elif parts.username is not None or parts.password is not None:
            problems.append((p + "endpoint_url", NO_SECRETS))  # never echo it
            values["endpoint_url"] = None
    if values["addressing_style"] and values["addressing_style"] not in ADDRESSING_STYLES:
        problems.append((p + "addressing_style", f"must be one of {', '.join(ADDRESSING_STYLES)}"))
    if values["acl"] and values["acl"] not in ACLS:
        problems.append(
            (
                p + "acl",
                f"must be one of {', '.join(ACLS)} (or leave it out when a bucket policy "
                "makes objects public)",
            )
        )
    return values, problems


def sources_inside(root: Path, destination: str, sources: list[Path]) -> str | None:
    """Why a local ``destination`` cannot be used: not a folder, or it would put the show's
    own files at risk (``--prune`` deletes what the feed does not name); else None.
    ``sources``: every file the show reads."""
    if "://" in destination:
        return None
    dest = (root / destination).resolve()
    if dest.exists() and not dest.is_dir():
        return f"{destination!r} is a file, not a folder"
    if dest == root.resolve() or root.resolve().is_relative_to(dest):
        return f"{destination!r} is the show folder or holds it; use a folder such as 'public'"
    real, folder = RealPaths(), str(dest)
    held = sorted(p for p in sources if inside(real.file(str(p.absolute())), folder))
    if held:
        return (
            f"{destination!r} holds the show's own files ({held[0].name}"
            f"{f' and {len(held) - 1} more' if len(held) > 1 else ''}); "
            "publish into a folder of its own such as 'public'"
        )
    return None
