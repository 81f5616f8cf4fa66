"""Destinations for a built show: a local folder or S3-compatible object storage."""

from __future__ import annotations

from pathlib import Path

from .base import (
    Backend,
    BytesCallback,
    RemoteObject,
    RemoteSettings,
    Tagged,
    TransferCancelled,
)
from .plan import Action, Artifact, Plan, plan
from .types import cache_control_for, content_type_for

__all__ = [
    "Action",
    "Artifact",
    "Backend",
    "BytesCallback",
    "Plan",
    "RemoteObject",
    "RemoteSettings",
    "Tagged",
    "TransferCancelled",
    "cache_control_for",
    "content_type_for",
    "is_remote",
    "open_backend",
    "plan",
]


def is_remote(destination: str) -> bool:
    """True for object storage destinations (``s3://bucket/prefix``)."""
    return destination.startswith("s3://")


def open_backend(destination: str, root: Path, settings: RemoteSettings | None = None) -> Backend:
    """The backend for a destination string: ``s3://bucket/prefix`` or a folder path
    (relative to ``root``). boto3 is imported only for ``s3://``."""
    if is_remote(destination):
        from .s3 import S3Backend

        return S3Backend(destination, settings or RemoteSettings())
    from .local import LocalBackend

    return LocalBackend((root / destination).resolve())
