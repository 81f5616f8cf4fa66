"""The ``Backend`` protocol every destination implements."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class RemoteObject:
    """What the destination holds under a key; ``sha256`` where the destination knows it."""

    key: str
    size: int
    sha256: str | None = None
    content_type: str | None = None


class Backend(Protocol):
    """A place objects are published to. Keys are '/'-separated, relative, never '..'."""

    def describe(self) -> str:
        """Where this is, for messages (never includes secrets)."""
        ...

    def list(self) -> dict[str, RemoteObject]:
        """Every object under the destination."""
        ...

    def get(self, key: str) -> bytes | None:
        """A small object's bytes (the manifest), or None if absent."""
        ...

    def put(
        self, key: str, source: Path, *, content_type: str, cache_control: str, sha256: str
    ) -> RemoteObject:
        """Store ``source`` under ``key`` atomically and verify it; return what is stored."""
        ...

    def delete(self, key: str) -> None:
        """Remove an object; absent is fine."""
        ...
