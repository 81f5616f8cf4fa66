"""Destinations for a built show: a local folder or S3-compatible object storage."""

from __future__ import annotations

from pathlib import Path

from .base import Backend, RemoteObject
from .plan import Action, Artifact, Plan, plan
from .types import cache_control_for, content_type_for

__all__ = [
    "Action",
    "Artifact",
    "Backend",
    "Plan",
    "RemoteObject",
    "cache_control_for",
    "content_type_for",
    "open_backend",
    "plan",
]


def open_backend(destination: str, root: Path) -> Backend:
    """The backend for a destination string: a folder path (relative to ``root``)."""
    from .local import LocalBackend

    return LocalBackend((root / destination).resolve())
