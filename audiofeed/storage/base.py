"""The ``Backend`` protocol every destination implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

#: Called with the number of bytes just transferred (from any thread). It may raise
#: ``TransferCancelled`` to abort the transfer: nothing of it becomes visible.
BytesCallback = Callable[[int], None]


class TransferCancelled(Exception):
    """Raised by a progress callback to stop an upload (Ctrl+C, another upload failed)."""


@dataclass(frozen=True)
class RemoteObject:
    """What the destination holds under a key; ``sha256`` where the destination knows it."""

    key: str
    size: int
    sha256: str | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class Tagged:
    """A small object's bytes and the destination's version token for them (S3: the ETag;
    a folder: the sha256); both None when the object is absent."""

    data: bytes | None
    etag: str | None


@dataclass(frozen=True)
class RemoteSettings:
    """How to reach object storage (``[publish]`` in config.toml; never credentials).

    ``None`` means "whatever the SDK's standard chain says" (environment, shared config)."""

    endpoint_url: str | None = None
    region: str | None = None
    addressing_style: str | None = None  # "auto" | "path" | "virtual"
    acl: str | None = None  # "public-read" or None (bucket policy decides)
    storage_class: str | None = None
    profile: str | None = None


class Backend(Protocol):
    """A place objects are published to. Keys are '/'-separated, relative, never '..'.

    Implementations are safe to call from several threads at once."""

    def describe(self) -> str:
        """Where this is, for messages (never includes secrets)."""
        ...

    def list(self) -> dict[str, RemoteObject]:
        """Every object under the destination (``sha256`` only where it costs nothing)."""
        ...

    def head(self, key: str) -> RemoteObject | None:
        """What is stored under ``key`` (size, sha256, Content-Type), or None if absent."""
        ...

    def get(self, key: str) -> bytes | None:
        """A small object's bytes (the manifest), or None if absent."""
        ...

    def put(
        self,
        key: str,
        source: Path,
        *,
        content_type: str,
        cache_control: str,
        sha256: str,
        progress: BytesCallback | None = None,
    ) -> RemoteObject | None:
        """Store ``source`` under ``key`` atomically (readers see the old object or the new
        one, never part of one), streaming it; report bytes sent through ``progress``.
        Returns what is stored when the transfer itself verified it (the destination
        checked the sha256), else None: the caller asks with ``head``."""
        ...

    def delete(self, key: str) -> None:
        """Remove an object; absent is fine."""
        ...

    def get_tagged(self, key: str) -> Tagged:
        """A small object's bytes with its version token (the manifest a publish starts
        from)."""
        ...

    def put_if(
        self,
        key: str,
        data: bytes,
        expected: str | None,
        *,
        content_type: str,
        cache_control: str,
        force: bool = False,
    ) -> str:
        """Store ``data`` under ``key`` only if the object is still at version ``expected``
        (``None``: only if there is none), atomically; the new version token. Raises
        ``ConcurrentPublishError`` when the condition fails. A store that ignores
        conditional writes stores regardless: ``commit.probe`` finds that out. ``force``
        sends no condition at all (for such a store)."""
        ...
